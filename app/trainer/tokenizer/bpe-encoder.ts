// Text -> ids with the merges the trainer learned, independent of @huggingface/tokenizers, so
// that tests and the post-training check can compare the library's ids with the trainer's own.
//
// Within a word, the merge applied next is the one learned earliest among the adjacent pairs,
// and of several places where it applies, the leftmost; one merge at a time, exactly as the
// library and the Rust tokenizers do, so that the ids agree for any merge list, not only for the
// well-ordered lists this trainer writes.

import type { BpeMerge } from './bpe-trainer.js';
import { forEachWord, SpecialTokenSplitter } from './pre-tokenizer.js';

interface MergeRule {
  rank: number; // position in the merge list: lower is applied first
  merged: number;
}

export interface SpecialTokenId {
  content: string;
  id: number;
}

const utf8 = new TextEncoder();

export class BpeEncoder {
  private readonly rules = new Map<string, MergeRule>();
  private readonly specialIds = new Map<string, number>();
  private readonly specialSplitter: SpecialTokenSplitter;
  private readonly wordCache = new Map<string, number[]>();

  constructor(merges: readonly BpeMerge[], specialTokens: readonly SpecialTokenId[] = []) {
    merges.forEach((merge, rank) => {
      const key = `${merge.left},${merge.right}`;
      // A pair learned twice cannot happen (its count drops to zero once merged); keep the first.
      if (!this.rules.has(key)) this.rules.set(key, { rank, merged: merge.merged });
    });
    for (const token of specialTokens) this.specialIds.set(token.content, token.id);
    this.specialSplitter = new SpecialTokenSplitter(specialTokens.map((token) => token.content));
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const section of this.specialSplitter.split(text)) {
      if (section.special) {
        ids.push(this.specialIds.get(section.text)!);
        continue;
      }
      forEachWord(section.text, (word) => {
        for (const id of this.encodeWord(word)) ids.push(id);
      });
    }
    return ids;
  }

  private encodeWord(word: string): number[] {
    const cached = this.wordCache.get(word);
    if (cached !== undefined) return cached;
    const symbols = Array.from(utf8.encode(word)); // ids 0..255 are the bytes
    for (;;) {
      let best: MergeRule | undefined;
      let bestAt = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rule = this.rules.get(`${symbols[i]},${symbols[i + 1]}`);
        if (rule !== undefined && (best === undefined || rule.rank < best.rank)) {
          best = rule;
          bestAt = i;
        }
      }
      if (best === undefined) break;
      symbols.splice(bestAt, 2, best.merged);
    }
    if (this.wordCache.size < 100_000) this.wordCache.set(word, symbols);
    return symbols;
  }
}
