// Small corpora for the trainer tests, built in code from a seeded generator so that every run
// (and every machine) trains on the same text.

const WORDS = (
  'the of and to a in that is was he for it with as his on be at by I had not are but from or have an they which ' +
  'one you were her all she there would their we him been has when who will more no if out so said what up its ' +
  'about into than them can only other new some could time these two may then do first any my now such like our ' +
  'over man me even most made after also did many before must through back years where much your way well down ' +
  'should because each just those people Mr. how too little state good very make world still own see men work long'
).split(' ');

const PUNCTUATION = [',', ',', '.', '.', '.', ';', '?', '!', ':'];

/** A deterministic pseudo-random generator (mulberry32), so the corpus never changes. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** English-like paragraphs: words with Zipf-ish frequencies, punctuation, numbers, quotes. */
export function englishCorpus(paragraphs: number, seed = 1): string {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() ** 2 * list.length)]!;
  const out: string[] = [];
  for (let p = 0; p < paragraphs; p++) {
    const sentences: string[] = [];
    const sentenceCount = 2 + Math.floor(random() * 4);
    for (let s = 0; s < sentenceCount; s++) {
      const words: string[] = [];
      const length = 4 + Math.floor(random() * 14);
      for (let w = 0; w < length; w++) {
        let word = random() < 0.03 ? String(Math.floor(random() * 100000)) : pick(WORDS);
        if (w === 0) word = word[0]!.toUpperCase() + word.slice(1);
        if (random() < 0.02) word = `"${word}"`;
        if (random() < 0.02) word += "'s";
        words.push(word);
        if (w < length - 1 && random() < 0.08) words[words.length - 1] += ',';
      }
      sentences.push(words.join(' ') + pick(PUNCTUATION.slice(2)));
    }
    out.push(sentences.join(' '));
  }
  return out.join('\n\n') + '\n';
}

/** Lines that stress a byte-level tokenizer: accents, emoji, CJK, whitespace runs, controls. */
export const TRICKY_LINES: readonly string[] = [
  'Café, naïve, Ångström, façade, jalapeño, Zürich, Œuvre, smørrebrød.',
  'Emoji: 😀 😀😀 👍🏽 👨‍👩‍👧‍👦 🇯🇵 ❤️ and ✨sparkles✨',
  '中文字符和标点。日本語のテキスト、カタカナ。한국어 문장입니다.',
  'Русский текст и ελληνικά γράμματα, עברית, العربية.',
  'tabs\there\t\tand   three spaces,    four, trailing   ',
  '  leading spaces and a lone\ttab',
  'Windows line\r\nend and old Mac\rend',
  'numbers 1 12 123 1234 12345 3.14159 1,000,000 -42 ½ ² ٣',
  "contractions: don't I'm you're we've she'll he'd IT'S THEY'RE",
  'symbols: <html> {json: [1, 2]} a->b x==y ~!@#$%^&*()_+ `code` \\back\\slash',
  '\u0000\u0001\u0007\u001b\u007f\u0085\u00a0\u00ad\u200b\u2028\uFEFF\uFFFD',
];

/** The English corpus with the tricky lines spread through it. */
export function mixedCorpus(paragraphs: number, seed = 1): string {
  const english = englishCorpus(paragraphs, seed).split('\n\n');
  const every = Math.max(1, Math.floor(english.length / TRICKY_LINES.length));
  const parts: string[] = [];
  english.forEach((paragraph, i) => {
    parts.push(paragraph);
    const tricky = TRICKY_LINES[i / every];
    if (i % every === 0 && tricky !== undefined) parts.push(tricky);
  });
  return parts.join('\n\n');
}

/** Word counts the way the CLI makes them, for calling trainBpe directly. */
export { WordCounter } from '../../../../app/trainer/tokenizer/word-counts.js';
