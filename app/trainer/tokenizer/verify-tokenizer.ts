// A last check before the files are written: @huggingface/tokenizers, through the app's own
// TextTokenizer, must load the new tokenizer.json, give the same ids as the trainer's encoder,
// and decode back to the exact text. A mismatch here is a bug in this trainer, and it is better
// to refuse than to train a model on a tokenizer the app reads differently.

import { TextTokenizer } from '../../checkpoint/tokenizer.js';
import type { BpeEncoder } from './bpe-encoder.js';

/** Texts with the cases a byte-level tokenizer most often gets wrong, checked on every run. */
export const PROBE_TEXTS: readonly string[] = [
  'Hello, world! It\'s 12345 o\'clock; they\'LL see.',
  'café naïve Ångström — “quotes” and ‘more’',
  'emoji 😀👍🏽 family 👨‍👩‍👧 flags 🇺🇸',
  '中文字符 日本語のテキスト 한국어',
  'tabs\tand   runs of spaces   \n\n\nnew\r\nlines\n',
  ' leading space, trailing space ',
  '\u0000\u0007\u007f\u00ad\uFEFF',
];

export class TokenizerCheckError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenizerCheckError';
  }
}

function shown(text: string): string {
  return JSON.stringify(text.length > 60 ? text.slice(0, 60) + '…' : text);
}

/** Throws TokenizerCheckError on the first text that differs; returns how many texts were checked. */
export function checkTokenizerAgainstLibrary(tokenizerJsonText: string, configText: string, encoder: BpeEncoder, texts: Iterable<string>): number {
  const library = TextTokenizer.fromJson(JSON.parse(tokenizerJsonText), JSON.parse(configText) as Record<string, unknown>, 'tokenizer.json (new)');
  let checked = 0;
  for (const text of texts) {
    const ids = library.encode(text);
    const ours = encoder.encode(text);
    if (ids.length !== ours.length || ids.some((id, i) => id !== ours[i])) {
      throw new TokenizerCheckError(`@huggingface/tokenizers encodes ${shown(text)} as [${ids.join(',')}], the trainer as [${ours.join(',')}]`);
    }
    const decoded = library.decode(ids);
    if (decoded !== text) throw new TokenizerCheckError(`${shown(text)} decodes back as ${shown(decoded)}`);
    checked += 1;
  }
  return checked;
}

/** Up to `count` non-empty lines spread evenly over the texts, so every part of the corpus is seen. */
export function sampleLines(texts: readonly string[], count: number): string[] {
  const lines = texts.flatMap((text) => text.split('\n')).filter((line) => line.trim() !== '');
  if (lines.length <= count) return lines;
  const step = lines.length / count;
  return Array.from({ length: count }, (_, i) => lines[Math.floor(i * step)]!);
}
