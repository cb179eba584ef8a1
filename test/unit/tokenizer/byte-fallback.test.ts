// Llama 2 style BPE with byte fallback: "▁" pieces, <0xNN> byte tokens, BOS from the
// post-processor, and the decoder's Strip of the one space the normalizer put in front.

import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../app/checkpoint/tokenizer.js';
import { byteToken, llama2StyleTokenizerConfig, llama2StyleTokenizerJson } from './fixtures.js';

const LABEL = '/models/llama-ish/tokenizer.json';
const tokenizer = TextTokenizer.fromJson(llama2StyleTokenizerJson(), llama2StyleTokenizerConfig(), LABEL);
const metaspace = TextTokenizer.fromJson(llama2StyleTokenizerJson({ spaces: 'metaspace' }), llama2StyleTokenizerConfig(), LABEL);
const utf8 = new TextEncoder();

// Texts Llama 2 itself cannot round-trip are left out: "▁" is read back as a space, and the text of
// a special token becomes that token.
const SPECIAL_TEXT = /\u2581|<s>|<\/s>|<unk>/;
const anyText = fc.string({ unit: 'binary', maxLength: 40 }).filter((text) => !SPECIAL_TEXT.test(text));
const SAMPLES = ['', 'hello world', ' hello', '  two leading spaces', 'the café', '中 中文', '😀 emoji', 'Ünïcödé', 'x\n\ty', '\uFEFFbom'];

describe('byte-fallback BPE tokenizer (Llama 2 style)', () => {
  it('encodes known words as "▁" pieces and unknown characters as UTF-8 byte tokens', () => {
    expect(tokenizer.encode('hello world')).toEqual([tokenizer.idOf('▁hello'), tokenizer.idOf('▁world')]);
    const emoji = tokenizer.encode('😀'); // "▁" then F0 9F 98 80 as bytes
    expect(emoji).toEqual(['▁', byteToken(0xf0), byteToken(0x9f), byteToken(0x98), byteToken(0x80)].map((piece) => tokenizer.idOf(piece)));
  });

  it('gives each token its bytes: <0xNN> is one byte, "▁" is a space', () => {
    const bytesOf = (piece: string) => [...tokenizer.tokenBytes(tokenizer.idOf(piece)!)];
    expect(bytesOf(byteToken(0x41))).toEqual([0x41]);
    expect(bytesOf(byteToken(0xf0))).toEqual([0xf0]);
    expect(bytesOf('▁the')).toEqual([...utf8.encode(' the')]);
    expect(bytesOf('café')).toEqual([...utf8.encode('café')]);
    expect(bytesOf('<s>')).toEqual([...utf8.encode('<s>')]);
    expect(tokenizer.leadingStrip).toEqual({ byte: 0x20, maxCount: 1 });
  });

  it('round-trips sample texts, leading spaces included', () => {
    for (const text of SAMPLES) expect(tokenizer.decode(tokenizer.encode(text))).toBe(text);
  });

  it('round-trips any text: decode(encode(s)) == s', () => {
    fc.assert(
      fc.property(anyText, (text) => tokenizer.decode(tokenizer.encode(text)) === text),
      { numRuns: 300 },
    );
  });

  it('token bytes are the UTF-8 of the text with the prepended space', () => {
    fc.assert(
      fc.property(anyText.filter((text) => text.length > 0), (text) => {
        const bytes = tokenizer.encode(text).flatMap((id) => [...tokenizer.tokenBytes(id)]);
        expect(bytes).toEqual([...utf8.encode(` ${text}`)]);
      }),
      { numRuns: 200 },
    );
  });

  it('adds BOS as the post-processor and add_bos_token say, and decodes it only when asked', () => {
    const ids = tokenizer.encode('hello', { addSpecialTokens: true });
    expect(ids).toEqual([1, tokenizer.idOf('▁hello')]);
    const library = new Tokenizer(llama2StyleTokenizerJson(), llama2StyleTokenizerConfig());
    expect(ids).toEqual(library.encode('hello').ids);
    expect(tokenizer.decode(ids)).toBe('<s> hello'); // the Strip sees "<s>" first, as in transformers
    expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('hello');
    const noBos = TextTokenizer.fromJson(llama2StyleTokenizerJson(), { ...llama2StyleTokenizerConfig(), add_bos_token: false }, LABEL);
    expect(noBos.encode('hello', { addSpecialTokens: true })).toEqual([tokenizer.idOf('▁hello')]);
    const withEos = TextTokenizer.fromJson(llama2StyleTokenizerJson(), { ...llama2StyleTokenizerConfig(), add_eos_token: true }, LABEL);
    expect(withEos.encode('hello', { addSpecialTokens: true })).toEqual([1, tokenizer.idOf('▁hello'), 2]);
  });

  it('resolves bos/eos written as {content} objects', () => {
    expect(tokenizer.bosTokenId).toBe(1);
    expect(tokenizer.eosTokenIds).toEqual([2]);
    expect([0, 1, 2].map((id) => tokenizer.isSpecial(id))).toEqual([true, true, true]);
    expect(tokenizer.isSpecial(tokenizer.idOf(byteToken(0x41))!)).toBe(false);
  });

  it('decodes like the library on random id sequences', () => {
    const library = new Tokenizer(llama2StyleTokenizerJson(), llama2StyleTokenizerConfig());
    // The library's ByteFallback decoder drops a U+FEFF at the start of every run of byte tokens
    // (its TextDecoder hides byte-order marks); ours keeps it (tested below), so leave 0xEF out.
    const notEf = tokenizer.idOf(byteToken(0xef))!;
    const ids = fc.array(fc.integer({ min: 0, max: tokenizer.vocabSize - 1 }).filter((id) => id !== notEf), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(ids, (sequence) => {
        expect(tokenizer.decode(sequence)).toBe(library.decode(sequence, { clean_up_tokenization_spaces: false }));
        expect(tokenizer.decode(sequence, { skipSpecialTokens: true })).toBe(
          library.decode(sequence, { skip_special_tokens: true, clean_up_tokenization_spaces: false }),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('keeps a U+FEFF that arrives as byte tokens', () => {
    expect(tokenizer.decode(tokenizer.encode('\uFEFF'))).toBe('\uFEFF');
  });

  describe('with a Metaspace pre-tokenizer (Mistral v0.3 style)', () => {
    it('round-trips any text that does not start with a space', () => {
      // Metaspace adds its "▁" only when the text does not already start with one, so a leading
      // space is lost in Hugging Face tokenizers too.
      fc.assert(
        fc.property(anyText.filter((text) => !text.startsWith(' ')), (text) => metaspace.decode(metaspace.encode(text)) === text),
        { numRuns: 300 },
      );
    });

    it('encodes words like the normalizer form', () => {
      expect(metaspace.encode('hello world the')).toEqual(tokenizer.encode('hello world the'));
    });
  });

  describe('with a Metaspace decoder', () => {
    const json = { ...llama2StyleTokenizerJson(), decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true } };

    it('turns "▁" into spaces and drops the first one', () => {
      const withMetaspaceDecoder = TextTokenizer.fromJson(json, null, LABEL);
      const ids = withMetaspaceDecoder.encode('hello world');
      expect(withMetaspaceDecoder.decode(ids)).toBe('hello world');
      expect(withMetaspaceDecoder.leadingStrip).toEqual({ byte: 0x20, maxCount: 1 });
    });

    it('keeps the first space when the pre-tokenizer never adds one', () => {
      const never = TextTokenizer.fromJson({ ...json, decoder: { ...json.decoder, prepend_scheme: 'never' } }, null, LABEL);
      expect(never.leadingStrip).toBeNull();
      expect(never.decode(never.encode('hello world'))).toBe(' hello world');
    });
  });
});
