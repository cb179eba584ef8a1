// The pre-tokenizer: the cuts the trainer makes, and that the same regex in tokenizer.json makes
// @huggingface/tokenizers cut the text the same way.

import * as tokenizersLibrary from '@huggingface/tokenizers';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PRE_TOKENIZER_PATTERN, SpecialTokenSplitter, splitIntoWords } from '../../../../app/trainer/tokenizer/pre-tokenizer.js';
import { TRICKY_LINES, englishCorpus } from './corpus-fixtures.js';

// The library exports SplitPreTokenizer, but its .d.ts re-exports use extensionless paths that
// NodeNext resolution cannot follow: name the one method this test uses.
const { SplitPreTokenizer } = tokenizersLibrary as unknown as {
  SplitPreTokenizer: new (config: Record<string, unknown>) => { pre_tokenize_text(text: string): string[] };
};

describe('pre-tokenizer', () => {
  it.each([
    ['Hello world', ['Hello', ' world']],
    ['The jury said, "no."', ['The', ' jury', ' said', ',', ' "', 'no', '."']],
    ['(quoted)', ['(quoted', ')']],
    ['BOM\uFEFF and NEL\u0085', ['BOM', '\uFEFF', ' and', ' NEL', '\u0085']],
    ['12345 apples', ['123', '45', ' apples']],
    ["they'LL don't", ['they', "'LL", ' don', "'t"]],
    ['a   b', ['a', '  ', ' b']],
    ['end.\n\nNext', ['end', '.\n\n', 'Next']],
    ['line\n\n  indented', ['line', '\n\n', ' ', ' indented']],
    ['中文 😀😀', ['中文', ' 😀😀']],
  ])('cuts %j', (text, words) => {
    expect(splitIntoWords(text)).toEqual(words);
  });

  it('keeps every character: the words join back to the text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => splitIntoWords(text).join('') === text),
      { numRuns: 500 },
    );
  });

  it('cuts exactly as the library does with the Split pre-tokenizer written to tokenizer.json', () => {
    const split = new SplitPreTokenizer({ type: 'Split', pattern: { Regex: PRE_TOKENIZER_PATTERN }, behavior: 'Isolated', invert: false });
    const texts = [...TRICKY_LINES, ...englishCorpus(20).split('\n')];
    for (const text of texts) expect(split.pre_tokenize_text(text)).toEqual(splitIntoWords(text));
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(split.pre_tokenize_text(text)).toEqual(splitIntoWords(text));
      }),
      { numRuns: 500 },
    );
  });

  it('cuts special tokens out first, the longest where two start at one place', () => {
    const splitter = new SpecialTokenSplitter(['<|a|>', '<|a|>x', '[x]']);
    expect(splitter.split('pre<|a|>xmid<|a|>[x]')).toEqual([
      { text: 'pre', special: false },
      { text: '<|a|>x', special: true },
      { text: 'mid', special: false },
      { text: '<|a|>', special: true },
      { text: '[x]', special: true },
    ]);
    expect(new SpecialTokenSplitter([]).split('plain')).toEqual([{ text: 'plain', special: false }]);
  });
});
