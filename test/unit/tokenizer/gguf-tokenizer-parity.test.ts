// The tokenizer rebuilt from a GGUF file's tokenizer.ggml.* metadata (gguf-tokenizer.ts) against
// the tokenizer.json it was converted from, and against transformers loading the same GGUF.
// test/python/gguf_tokenizer_oracle.py writes the GGUF from a real tokenizer.json the way
// llama.cpp's convert_hf_to_gguf.py does (Llama 3: gpt2 + "llama-bpe"; Qwen3: gpt2 + "qwen2";
// Llama 2 / Mistral style: llama SentencePiece with scores and <0xNN> byte tokens); the GGUF
// reader (gguf-file.ts) reads it back here.
//
// Oracles, on the multilingual text set of tokenizer-parity.test.ts:
// 1. The original tokenizer.json (TextTokenizer on it equals the `tokenizers` library, see
//    tokenizer-parity.test.ts): ids with and without BOS, and decode, must be equal on every text.
// 2. transformers' own GGUF loading (AutoTokenizer.from_pretrained(dir, gguf_file=...)). Its
//    converters lose parts of these tokenizers, so on some texts it differs from the file it came
//    from: Llama 3 is split with GPT-2's regex instead of Llama 3's (digit runs, whitespace runs),
//    Qwen's user-defined tokens (<think>, <tool_call>) are not matched as tokens, and for Llama 2
//    it adds no BOS (it swaps bos and eos). The rule checked: on every text we equal transformers,
//    or transformers differs from the original file there and we equal the file.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufFile } from '../../../app/checkpoint/gguf/gguf-file.js';
import { tokenizerFromGguf } from '../../../app/checkpoint/gguf/gguf-tokenizer.js';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { runPython } from '../../helpers/python.js';
import { loadRealTokenizer, readTextSet } from './real-tokenizers.js';

const FAMILIES = ['llama3', 'qwen3', 'llama2'] as const;
type Family = (typeof FAMILIES)[number];

interface OracleAnswer {
  gguf: string;
  class: string;
  texts: Array<{ hf: number[]; hf_special: number[] }>;
}

const TEXTS = readTextSet();
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'colm-gguf-tokenizer-'));
const oracle = new Map<Family, OracleAnswer>();
const rebuilt = new Map<Family, { tokenizer: TextTokenizer; config: Record<string, unknown> | null }>();

beforeAll(async () => {
  for (const name of FAMILIES) {
    const request = { name, dir: loadRealTokenizer(name).dir, out: outDir, texts: TEXTS };
    const answer = JSON.parse(runPython('test/python/gguf_tokenizer_oracle.py', [], { input: JSON.stringify(request), timeoutMs: 600_000 })) as OracleAnswer;
    oracle.set(name, answer);
    const gguf = await readGgufFile(answer.gguf);
    const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(gguf.metadata, answer.gguf);
    rebuilt.set(name, { tokenizer: TextTokenizer.fromJson(tokenizerJson, tokenizerConfig, answer.gguf), config: tokenizerConfig });
  }
}, 900_000);

afterAll(() => fs.rmSync(outDir, { recursive: true, force: true }));

describe.each(FAMILIES)('tokenizer rebuilt from a GGUF of %s', (name) => {
  const real = loadRealTokenizer(name);
  const original = TextTokenizer.fromJson(real.tokenizerJson, real.tokenizerConfig, real.label);

  it(`encodes all ${TEXTS.length} texts as the original tokenizer.json, with and without BOS`, () => {
    const { tokenizer } = rebuilt.get(name)!;
    const got = TEXTS.map((text) => ({ text, plain: tokenizer.encode(text), special: tokenizer.encode(text, { addSpecialTokens: true }) }));
    expect(got).toEqual(TEXTS.map((text) => ({ text, plain: original.encode(text), special: original.encode(text, { addSpecialTokens: true }) })));
  });

  it('decodes as the original, keeping and skipping special tokens, and keeps the named tokens and chat template', () => {
    const { tokenizer, config } = rebuilt.get(name)!;
    for (const text of TEXTS) {
      const ids = original.encode(text, { addSpecialTokens: true });
      expect({ text, keep: tokenizer.decode(ids), skip: tokenizer.decode(ids, { skipSpecialTokens: true }) }).toEqual({
        text,
        keep: original.decode(ids),
        skip: original.decode(ids, { skipSpecialTokens: true }),
      });
    }
    expect(tokenizer.vocabSize).toBe(original.vocabSize);
    expect(tokenizer.bosTokenId).toBe(original.bosTokenId);
    expect(tokenizer.eosTokenIds).toEqual(original.eosTokenIds);
    expect(tokenizer.leadingStrip).toEqual(original.leadingStrip);
    expect(config?.chat_template ?? null).toBe(real.tokenizerConfig.chat_template ?? null);
  });

  it('equals transformers loading the GGUF wherever transformers keeps the original tokenizer', () => {
    const { tokenizer } = rebuilt.get(name)!;
    const answer = oracle.get(name)!;
    let agree = 0;
    for (const [index, text] of TEXTS.entries()) {
      const want = answer.texts[index]!;
      for (const [ours, theirs, file] of [
        [tokenizer.encode(text), want.hf, original.encode(text)],
        [tokenizer.encode(text, { addSpecialTokens: true }), want.hf_special, original.encode(text, { addSpecialTokens: true })],
      ] as const) {
        if (JSON.stringify(ours) === JSON.stringify(theirs)) {
          agree += 1;
        } else {
          // transformers, not we, departs from the file here.
          expect({ text, transformersEqualsFile: JSON.stringify(theirs) === JSON.stringify(file) }).toEqual({ text, transformersEqualsFile: false });
          expect({ text, ours }).toEqual({ text, ours: file });
        }
      }
    }
    console.log(`${name}: equal to transformers' GGUF tokenizer on ${agree} of ${2 * TEXTS.length} encodings (with and without special tokens)`);
    expect(agree).toBeGreaterThan(0);
  });
});
