// What the trainer writes is what the app reads: @huggingface/tokenizers (directly, and through
// TextTokenizer) loads tokenizer.json, encodes every text to the ids of the trainer's own
// encoder, and decodes back to the exact text.

import { Tokenizer } from '@huggingface/tokenizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TextTokenizer } from '../../../../app/checkpoint/tokenizer.js';
import { BpeEncoder } from '../../../../app/trainer/tokenizer/bpe-encoder.js';
import { trainBpe } from '../../../../app/trainer/tokenizer/bpe-trainer.js';
import { DEFAULT_SPECIAL_TOKENS, specialTokenIds, tokenizerConfigText, tokenizerJsonText } from '../../../../app/trainer/tokenizer/tokenizer-files.js';
import { mixedCorpus, TRICKY_LINES, WordCounter } from './corpus-fixtures.js';

const VOCAB_SIZE = 1024;
const corpus = mixedCorpus(600);
const counter = new WordCounter(DEFAULT_SPECIAL_TOKENS);
counter.addText(corpus);
const trained = trainBpe(counter.counts, { symbolCount: VOCAB_SIZE - DEFAULT_SPECIAL_TOKENS.length });
const specials = specialTokenIds(trained.symbolPieces.length, DEFAULT_SPECIAL_TOKENS);
const jsonText = tokenizerJsonText(trained, specials);
const configText = tokenizerConfigText(specials);
const encoder = new BpeEncoder(trained.merges, specials);
const tokenizer = TextTokenizer.fromJson(JSON.parse(jsonText), JSON.parse(configText) as Record<string, unknown>, 'trained/tokenizer.json');
const library = new Tokenizer(JSON.parse(jsonText), JSON.parse(configText));

const ROUND_TRIP_TEXTS = [
  ...TRICKY_LINES,
  '',
  ' ',
  '\n',
  '\n\n\n',
  '   \t  \n \n',
  'plain ASCII: The quick brown fox jumps over the lazy dog.',
  'accents: résumé, crème brûlée, São Paulo, İstanbul, Dvořák',
  'emoji only 🙂🙃🫠 and a skin tone 👋🏿 and ZWJ 🧑‍💻',
  'CJK: 我们今天去公园。東京タワー。',
  'whitespace runs:      many\t\t\ttabs\u00a0\u00a0nbsp\u3000ideographic',
  'newlines\n\nparagraph\r\n\r\nwindows\n',
];

describe('a trained tokenizer, read by @huggingface/tokenizers', () => {
  it('has exactly the vocabulary size asked for, ids 0..N-1 without holes', () => {
    expect(tokenizer.vocabSize).toBe(VOCAB_SIZE);
    const json = JSON.parse(jsonText) as { model: { vocab: Record<string, number> }; added_tokens: Array<{ id: number }> };
    const ids = [...Object.values(json.model.vocab), ...json.added_tokens.map((token) => token.id)].sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: VOCAB_SIZE }, (_, i) => i));
  });

  it('round-trips every line of its training corpus, with the trainer\'s ids', () => {
    const lines = corpus.split('\n');
    expect(lines.length).toBeGreaterThan(1000);
    for (const line of lines) {
      const ids = tokenizer.encode(line);
      expect(ids).toEqual(encoder.encode(line));
      expect(tokenizer.decode(ids)).toBe(line);
    }
    // And the whole corpus in one piece, newlines included.
    const ids = tokenizer.encode(corpus);
    expect(ids).toEqual(encoder.encode(corpus));
    expect(tokenizer.decode(ids)).toBe(corpus);
  });

  it.each(ROUND_TRIP_TEXTS.map((text) => [text]))('round-trips %j', (text) => {
    const ids = tokenizer.encode(text);
    expect(ids).toEqual(encoder.encode(text));
    expect(tokenizer.decode(ids)).toBe(text);
    // The library itself refuses to decode an empty list.
    const libraryIds = library.encode(text, { add_special_tokens: false }).ids;
    expect(libraryIds).toEqual(ids);
    if (libraryIds.length > 0) expect(library.decode(libraryIds)).toBe(text);
  });

  it('round-trips any text, with the trainer\'s ids', () => {
    const anyText = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 50 }),
      fc.string({ unit: fc.constantFrom(...Array.from("the and of, .\n\t  éü中😀's1234")), maxLength: 50 }),
    );
    fc.assert(
      fc.property(anyText, (text) => {
        const ids = tokenizer.encode(text);
        expect(ids).toEqual(encoder.encode(text));
        expect(tokenizer.decode(ids)).toBe(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('encodes common words as one token and the corpus in fewer tokens than bytes', () => {
    expect(tokenizer.encode(' the')).toHaveLength(1);
    expect(tokenizer.encode('The people')).toHaveLength(2);
    expect(tokenizer.encode(corpus).length).toBeLessThan(Buffer.byteLength(corpus) / 2.5);
  });

  it('encodes each special token as its single id, also inside text', () => {
    for (const { content, id } of specials) {
      expect(tokenizer.encode(content)).toEqual([id]);
      expect(tokenizer.isSpecial(id)).toBe(true);
      const ids = tokenizer.encode(`before${content}after`);
      expect(ids.filter((x) => x === id)).toHaveLength(1);
      expect(ids).toEqual(encoder.encode(`before${content}after`));
      expect(tokenizer.decode(ids)).toBe(`before${content}after`);
      expect(tokenizer.decode(ids, { skipSpecialTokens: true })).toBe('beforeafter');
    }
    expect(specials.map((token) => token.id)).toEqual([VOCAB_SIZE - 3, VOCAB_SIZE - 2, VOCAB_SIZE - 1]);
  });

  it('takes BOS and EOS from tokenizer_config.json', () => {
    expect(tokenizer.bosTokenId).toBe(tokenizer.idOf('<|endoftext|>'));
    expect(tokenizer.eosTokenIds).toEqual([tokenizer.idOf('<|im_end|>')]);
    expect(tokenizer.encode('hi', { addSpecialTokens: true })).toEqual(tokenizer.encode('hi'));
  });
});
