// The corpus, as BPE training sees it: each distinct pre-tokenized word once, with how often it
// occurs. Training then works on tens of thousands of distinct words instead of millions of
// running ones.

import { forEachWord, SpecialTokenSplitter } from './pre-tokenizer.js';

export class WordCounter {
  readonly counts = new Map<string, number>();
  totalWords = 0;
  totalBytes = 0; // UTF-8 bytes of the text counted, special tokens left out
  private readonly specials: SpecialTokenSplitter;

  /** Special tokens found in the text are left out of the counts, as encoding keeps them whole. */
  constructor(specialTokens: readonly string[] = []) {
    this.specials = new SpecialTokenSplitter(specialTokens);
  }

  addText(text: string): void {
    for (const section of this.specials.split(text)) {
      if (section.special) continue;
      this.totalBytes += Buffer.byteLength(section.text, 'utf8');
      forEachWord(section.text, (word) => {
        this.counts.set(word, (this.counts.get(word) ?? 0) + 1);
        this.totalWords += 1;
      });
    }
  }
}
