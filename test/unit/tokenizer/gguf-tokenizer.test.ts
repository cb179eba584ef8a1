// gguf-tokenizer.ts on small hand-made metadata: what it refuses (naming the key), and the shapes
// it builds. The real-file parity is gguf-tokenizer-parity.test.ts.

import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import type { GgufMetadata, GgufValue } from '../../../app/checkpoint/gguf/gguf-types.js';
import { tokenizerFromGguf } from '../../../app/checkpoint/gguf/gguf-tokenizer.js';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';

function metadata(entries: Record<string, GgufValue>): GgufMetadata {
  return new Map(Object.entries(entries));
}

// A byte-level vocabulary: the 256 byte characters, "Ġa" and a control token.
function gpt2Metadata(extra: Record<string, GgufValue> = {}): GgufMetadata {
  const alphabet: string[] = [];
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    alphabet.push(String.fromCodePoint(printable ? b : 256 + shifted++));
  }
  const tokens = [...alphabet, '\u0120a', '<|end|>'];
  return metadata({
    'tokenizer.ggml.model': 'gpt2',
    'tokenizer.ggml.pre': 'default',
    'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.token_type': tokens.map((_, id) => (id === tokens.length - 1 ? 3 : 1)),
    'tokenizer.ggml.merges': ['\u0120 a'],
    'tokenizer.ggml.eos_token_id': tokens.length - 1,
    'tokenizer.chat_template': '{{ messages[0].content }}',
    ...extra,
  });
}

function refusal(meta: GgufMetadata): CheckpointError {
  try {
    tokenizerFromGguf(meta, 'x.gguf');
  } catch (error) {
    if (error instanceof CheckpointError) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('tokenizerFromGguf', () => {
  it('rebuilds a gpt2 tokenizer: merges, control tokens, eos, chat template', () => {
    const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(gpt2Metadata(), 'x.gguf');
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig, 'x.gguf');
    expect(tokenizer.encode(' a<|end|>')).toEqual([256, 257]);
    expect(tokenizer.decode([256, 257], { skipSpecialTokens: true })).toBe(' a');
    expect(tokenizer.eosTokenIds).toEqual([257]);
    expect(tokenizerConfig?.chat_template).toBe('{{ messages[0].content }}');
    expect(tokenizerConfig?.add_bos_token).toBe(false);
  });

  it('rebuilds a llama SentencePiece tokenizer from scores, with byte fallback and the leading space', () => {
    const bytes = Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    const tokens = ['<unk>', '<s>', '</s>', ...bytes, '\u2581', 'h', 'i', 'hi', '\u2581hi'];
    const types = tokens.map((token, id) => (id === 0 ? 2 : id < 3 ? 3 : token.startsWith('<0x') ? 6 : 1));
    const scores = tokens.map((token) => (token === '\u2581hi' ? -1 : token === 'hi' ? -2 : -10));
    const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(
      metadata({
        'tokenizer.ggml.model': 'llama',
        'tokenizer.ggml.tokens': tokens,
        'tokenizer.ggml.token_type': types,
        'tokenizer.ggml.scores': scores,
        'tokenizer.ggml.bos_token_id': 1,
        'tokenizer.ggml.eos_token_id': 2,
        'tokenizer.ggml.unknown_token_id': 0,
      }),
      'x.gguf',
    );
    const tokenizer = TextTokenizer.fromJson(tokenizerJson, tokenizerConfig, 'x.gguf');
    const ids = tokenizer.encode('hi é', { addSpecialTokens: true });
    expect(ids.slice(0, 2)).toEqual([1, tokens.indexOf('\u2581hi')]);
    expect(ids.slice(-2)).toEqual([3 + 0xc3, 3 + 0xa9]); // é only as bytes
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('hi é');
  });

  it('refuses what it does not know, naming the key', () => {
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.model': 'bert' })).key).toBe('tokenizer.ggml.model');
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.model': 'bert' })).message).toMatch(/"bert" is not supported/);
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.pre': 'deepseek-llm' })).key).toBe('tokenizer.ggml.pre');
    const noModel = gpt2Metadata();
    noModel.delete('tokenizer.ggml.model');
    expect(refusal(noModel).key).toBe('tokenizer.ggml.model');
    const noTokens = gpt2Metadata();
    noTokens.delete('tokenizer.ggml.tokens');
    expect(refusal(noTokens).key).toBe('tokenizer.ggml.tokens');
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.merges': ['abc'] })).key).toBe('tokenizer.ggml.merges');
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.token_type': [1, 2] })).key).toBe('tokenizer.ggml.token_type');
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.tokens': [1, 2] })).key).toBe('tokenizer.ggml.tokens');
    expect(refusal(metadata({ 'tokenizer.ggml.model': 'llama', 'tokenizer.ggml.tokens': ['a'] })).key).toBe('tokenizer.ggml.scores');
    expect(refusal(gpt2Metadata({ 'tokenizer.ggml.add_bos_token': 1 })).key).toBe('tokenizer.ggml.add_bos_token');
  });
});
