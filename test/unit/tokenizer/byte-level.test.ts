// GPT-2 style byte-level BPE: encode, decode, exact token bytes, special tokens.

import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { GPT2_SPECIALS, byteLevelPiece, byteLevelText, gpt2StyleTokenizerConfig, gpt2StyleTokenizerJson } from './fixtures.js';

const LABEL = '/models/tiny/tokenizer.json';
const tokenizer = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), gpt2StyleTokenizerConfig(), LABEL);
const utf8 = new TextEncoder();

function concatBytes(parts: Uint8Array[]): number[] {
  return parts.flatMap((part) => [...part]);
}

// Everything a user might type: full Unicode (no lone surrogates, which no UTF-8 text can hold).
const anyText = fc.string({ unit: 'binary', maxLength: 40 });
const SAMPLES = ['', 'hello world', ' the hello', 'café au lait', '中文 中', '😀 grin 😀😀', 'tab\tnew\nline  two  spaces', '\u0000\u007f\u00ad', '\uFEFFbom'];

describe('byte-level BPE tokenizer', () => {
  it('merges whole words and keeps the leading space in the piece', () => {
    const ids = tokenizer.encode(' hello world the');
    expect(ids).toEqual([byteLevelText(' hello'), byteLevelText(' world'), byteLevelText(' the')].map((piece) => tokenizer.idOf(piece)));
  });

  it('round-trips sample texts', () => {
    for (const text of SAMPLES) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('round-trips any text: decode(encode(s)) == s', () => {
    fc.assert(
      fc.property(anyText, (text) => tokenizer.decode(tokenizer.encode(text)) === text),
      { numRuns: 300 },
    );
  });

  it('token bytes concatenate to the UTF-8 of the text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const bytes = concatBytes(tokenizer.encode(text).map((id) => tokenizer.tokenBytes(id)));
        expect(bytes).toEqual([...utf8.encode(text)]);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the raw bytes of tokens that hold part of a character', () => {
    const emoji = tokenizer.encode('😀'); // F0 9F 98 80, merged only in halves
    expect(emoji.map((id) => [...tokenizer.tokenBytes(id)])).toEqual([
      [0xf0, 0x9f],
      [0x98, 0x80],
    ]);
    expect([...tokenizer.tokenBytes(tokenizer.idOf(byteLevelPiece([0x20]))!)]).toEqual([0x20]);
    expect([...tokenizer.tokenBytes(tokenizer.idOf(byteLevelPiece([0x00]))!)]).toEqual([0x00]);
  });

  it('decodes like the library (without its clean-up of spaces) on random id sequences', () => {
    const library = new Tokenizer(gpt2StyleTokenizerJson(), gpt2StyleTokenizerConfig());
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: tokenizer.vocabSize - 1 }), { minLength: 1, maxLength: 30 }), (ids) => {
        expect(tokenizer.decode(ids)).toBe(library.decode(ids, { clean_up_tokenization_spaces: false }));
      }),
      { numRuns: 300 },
    );
  });

  it('reads special tokens from added_tokens and tokenizer_config', () => {
    const endOfText = tokenizer.idOf(GPT2_SPECIALS.endOfText)!;
    const imStart = tokenizer.idOf(GPT2_SPECIALS.imStart)!;
    const tool = tokenizer.idOf(GPT2_SPECIALS.tool)!;
    expect(tokenizer.bosTokenId).toBe(endOfText);
    expect(tokenizer.eosTokenIds).toEqual([endOfText]);
    expect(tokenizer.isSpecial(imStart)).toBe(true);
    expect(tokenizer.isSpecial(tool)).toBe(false);
    expect(tokenizer.isSpecial(tokenizer.idOf(byteLevelText('hello'))!)).toBe(false);
    expect(new TextDecoder().decode(tokenizer.tokenBytes(imStart))).toBe('<|im_start|>');
    expect(tokenizer.vocabSize).toBe(tool + 1);
    expect(tokenizer.idOf('no such token')).toBeNull();
  });

  it('encodes special token text as the special token and can skip it when decoding', () => {
    const ids = tokenizer.encode('<|im_start|>user\nhello<|im_end|><tool>');
    expect(ids[0]).toBe(tokenizer.idOf(GPT2_SPECIALS.imStart));
    expect(ids).toContain(tokenizer.idOf(GPT2_SPECIALS.imEnd));
    expect(ids.at(-1)).toBe(tokenizer.idOf(GPT2_SPECIALS.tool));
    expect(tokenizer.decode(ids)).toBe('<|im_start|>user\nhello<|im_end|><tool>');
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('user\nhello<tool>');
  });

  it('adds no BOS unless tokenizer_config asks for one', () => {
    expect(tokenizer.encode('hello', { addSpecialTokens: true })).toEqual(tokenizer.encode('hello'));
    const withBos = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), { ...gpt2StyleTokenizerConfig(), add_bos_token: true }, LABEL);
    expect(withBos.encode('hello', { addSpecialTokens: true })).toEqual([withBos.bosTokenId, ...withBos.encode('hello')]);
    expect(withBos.encode('hello')).toEqual(tokenizer.encode('hello'));
  });

  it('works without a tokenizer_config', () => {
    const bare = TextTokenizer.fromJson(gpt2StyleTokenizerJson(), null, LABEL);
    expect(bare.bosTokenId).toBeNull();
    expect(bare.eosTokenIds).toEqual([]);
    expect(bare.decode(bare.encode('hello 😀'))).toBe('hello 😀');
  });

  it('decodes ids it does not know to nothing, and an empty list to ""', () => {
    expect(tokenizer.decode([])).toBe('');
    expect(tokenizer.decode([tokenizer.vocabSize + 5, -1, 1.5])).toBe('');
    expect(tokenizer.tokenBytes(tokenizer.vocabSize)).toHaveLength(0);
  });
});
