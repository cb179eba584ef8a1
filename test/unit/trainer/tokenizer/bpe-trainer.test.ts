// The BPE trainer on its own: sizes, order of merges, ties, determinism, early stop.

import { describe, expect, it } from 'vitest';
import { BYTE_SYMBOL_COUNT, trainBpe, type TrainedBpe } from '../../../../app/trainer/tokenizer/bpe-trainer.js';
import { englishCorpus, mixedCorpus, WordCounter } from './corpus-fixtures.js';

function countsOf(text: string): Map<string, number> {
  const counter = new WordCounter();
  counter.addText(text);
  return counter.counts;
}

function mergeTexts(trained: TrainedBpe): string[] {
  return trained.merges.map((merge) => `${trained.symbolPieces[merge.left]} ${trained.symbolPieces[merge.right]}`);
}

describe('trainBpe', () => {
  const corpus = countsOf(mixedCorpus(400));

  it('starts from the 256 bytes in byte order and reaches the size asked for exactly', () => {
    const trained = trainBpe(corpus, { symbolCount: 700 });
    expect(trained.symbolPieces).toHaveLength(700);
    expect(trained.stoppedEarly).toBe(false);
    expect(trained.symbolBytes.slice(0, BYTE_SYMBOL_COUNT).map((bytes) => [...bytes])).toEqual(
      Array.from({ length: BYTE_SYMBOL_COUNT }, (_, byte) => [byte]),
    );
    expect(trained.symbolPieces[0x20]).toBe('Ġ');
    expect(trained.symbolPieces[0x0a]).toBe('Ċ');
    expect(new Set(trained.symbolPieces).size).toBe(700);
    // Each new symbol's bytes are its merge's two halves.
    for (const merge of trained.merges) {
      expect(Buffer.from(trained.symbolBytes[merge.merged]!)).toEqual(
        Buffer.concat([trained.symbolBytes[merge.left]!, trained.symbolBytes[merge.right]!]),
      );
      expect(merge.merged).toBeGreaterThan(Math.max(merge.left, merge.right));
    }
  });

  it('learns the most frequent pair first: " t", "he", " the" on English', () => {
    const trained = trainBpe(countsOf(englishCorpus(300)), { symbolCount: 300 });
    expect(mergeTexts(trained).slice(0, 12)).toContain('Ġt he');
  });

  it('is deterministic, whatever order the words were counted in', () => {
    const first = trainBpe(corpus, { symbolCount: 600 });
    const reversed = new Map([...corpus.entries()].reverse());
    const second = trainBpe(reversed, { symbolCount: 600 });
    expect(mergeTexts(second)).toEqual(mergeTexts(first));
    expect(second.symbolPieces).toEqual(first.symbolPieces);
  });

  it('breaks ties between equal counts by the bytes of the pair', () => {
    // "ab", "cd" and "ba" each occur 3 times: "a b" < "b a" < "c d" by bytes.
    const trained = trainBpe(new Map([['cd', 3], ['ab', 3], ['ba', 3]]), { symbolCount: 259 });
    expect(mergeTexts(trained)).toEqual(['a b', 'b a', 'c d']);
  });

  it('makes the corpus shorter with every size step', () => {
    const sizes = [256, 300, 400, 600, 900];
    const tokens = sizes.map((symbolCount) => trainBpe(corpus, { symbolCount }).tokenCount);
    let bytes = 0;
    for (const [word, count] of corpus) bytes += Buffer.byteLength(word) * count;
    expect(tokens[0]).toBe(bytes);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeLessThan(tokens[i - 1]!);
  });

  it('stops early when no pair occurs twice, and says so', () => {
    const trained = trainBpe(new Map([['abcd', 1], ['xy', 5]]), { symbolCount: 1000 });
    expect(trained.stoppedEarly).toBe(true);
    expect(mergeTexts(trained)).toEqual(['x y']);
    expect(trained.symbolPieces).toHaveLength(257);
  });

  it('joins overlapping pairs left to right: "aaa" is "aa a"', () => {
    const trained = trainBpe(new Map([['aaa', 4]]), { symbolCount: 258 });
    expect(mergeTexts(trained)).toEqual(['a a', 'aa a']);
    expect(trained.tokenCount).toBe(4);
  });

  it('refuses a size below the 256 bytes', () => {
    expect(() => trainBpe(corpus, { symbolCount: 255 })).toThrow(/symbolCount must be an integer in \[256/);
  });

  it('reports progress once per new symbol', () => {
    const seen: number[] = [];
    trainBpe(corpus, { symbolCount: 266, onProgress: (done, wanted) => seen.push(done * 1000 + wanted) });
    expect(seen).toEqual(Array.from({ length: 10 }, (_, i) => (i + 1) * 1000 + 10));
  });
});
