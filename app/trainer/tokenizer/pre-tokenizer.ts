// Pre-tokenization: how text is cut into "words" before BPE, which never merges across a cut.
// The trainer and the tokenizer.json it writes must cut identically, or the merges learned would
// not be the merges applied; the pattern below is therefore written once and put into the file as
// the Split pre-tokenizer's regex (test/unit/trainer/tokenizer checks the library cuts the same).
//
// The pattern is Llama 3's, spelled so that JavaScript's RegExp (flag u), @huggingface/tokenizers
// and Oniguruma (the Rust tokenizers) all read it the same way:
// - Llama 3 writes the contractions as (?i:'s|'t|...), an inline flag Node 20 does not parse, so
//   the cases are listed in character classes instead;
// - whitespace is \p{White_Space}, not \s: JavaScript's \s takes U+FEFF and leaves out U+0085,
//   Oniguruma's does the opposite, and the library rewrites \s to \p{White_Space} to copy Rust.
// The parts, in the order they are tried:
//   contractions      's 't 're 've 'm 'll 'd, any case
//   words             one optional non-letter, non-digit (a space, a quote, a bracket) + letters
//   numbers           1 to 3 digits at a time, so the vocabulary needs no numbers beyond 999
//   punctuation       optional space + a run of symbols + the line breaks that follow
//   line breaks       spaces + line breaks together (paragraph ends become one word)
//   other whitespace  a run of spaces minus the last one (which goes to the next word), or all of it

const SPACE = String.raw`\p{White_Space}`;
const NOT_SPACE = String.raw`\P{White_Space}`;
export const PRE_TOKENIZER_PATTERN = [
  String.raw`'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])`,
  String.raw`[^\r\n\p{L}\p{N}]?\p{L}+`,
  String.raw`\p{N}{1,3}`,
  String.raw` ?[^${SPACE}\p{L}\p{N}]+[\r\n]*`,
  String.raw`${SPACE}*[\r\n]+`,
  String.raw`${SPACE}+(?!${NOT_SPACE})`,
  String.raw`${SPACE}+`,
].join('|');

const WORD_PATTERN = new RegExp(PRE_TOKENIZER_PATTERN, 'gu');

/**
 * Calls onWord for each word of the text, in order; together the words are the whole text.
 * Text the pattern does not match is passed on as a word of its own, as the Split pre-tokenizer's
 * "Isolated" behaviour does (the pattern matches every character, so this is only a safeguard).
 */
export function forEachWord(text: string, onWord: (word: string) => void): void {
  let end = 0;
  for (const match of text.matchAll(WORD_PATTERN)) {
    const start = match.index;
    if (start > end) onWord(text.slice(end, start));
    if (match[0].length > 0) onWord(match[0]);
    end = start + match[0].length;
  }
  if (end < text.length) onWord(text.slice(end));
}

export function splitIntoWords(text: string): string[] {
  const words: string[] = [];
  forEachWord(text, (word) => words.push(word));
  return words;
}

/** A piece of text between special tokens, or one special token. */
export interface TextSection {
  text: string;
  special: boolean;
}

function escapeForRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Cuts special tokens out of a text before pre-tokenization, as the library does with added tokens:
 * the leftmost occurrence first, the longest token where several start at one place.
 */
export class SpecialTokenSplitter {
  private readonly pattern: RegExp | null;

  constructor(specialTokens: readonly string[]) {
    const longestFirst = [...specialTokens].sort((a, b) => b.length - a.length);
    this.pattern = longestFirst.length === 0 ? null : new RegExp(longestFirst.map(escapeForRegExp).join('|'), 'gu');
  }

  split(text: string): TextSection[] {
    if (this.pattern === null) return text === '' ? [] : [{ text, special: false }];
    const sections: TextSection[] = [];
    let end = 0;
    for (const match of text.matchAll(this.pattern)) {
      if (match.index > end) sections.push({ text: text.slice(end, match.index), special: false });
      sections.push({ text: match[0], special: true });
      end = match.index + match[0].length;
    }
    if (end < text.length) sections.push({ text: text.slice(end), special: false });
    return sections;
  }
}
