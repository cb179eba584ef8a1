// Small tokenizer.json objects built in code, in the two shapes FORMAT.md requires: GPT-2 style
// byte-level BPE and Llama 2 style BPE with byte fallback. Vocabularies are tiny but have the
// features that matter: merges inside words, merges that join only part of a UTF-8 character,
// special tokens, and (Llama 2) characters that exist only as <0xNN> byte tokens.

// GPT-2's bytes_to_unicode, written out independently of app/checkpoint/tokenizer.ts so the tests
// check the production table rather than repeat it.
export function gpt2ByteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = '!'.charCodeAt(0); b <= '~'.charCodeAt(0); b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const alphabet = new Array<string>(256);
  for (const b of printable) alphabet[b] = String.fromCharCode(b);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    if (alphabet[b] === undefined) alphabet[b] = String.fromCharCode(next++);
  }
  return alphabet;
}

const ALPHABET = gpt2ByteAlphabet();
const utf8 = new TextEncoder();

/** A byte-level piece for these bytes. */
export function byteLevelPiece(bytes: readonly number[]): string {
  return bytes.map((b) => ALPHABET[b]).join('');
}

/** A byte-level piece for the UTF-8 of this text (" the" -> "Ġthe"). */
export function byteLevelText(text: string): string {
  return byteLevelPiece([...utf8.encode(text)]);
}

// Each merge is [left, right] in the alphabet's characters; the vocab gets left+right.
function vocabFromMerges(base: string[], merges: Array<[string, string]>): Record<string, number> {
  const vocab: Record<string, number> = {};
  let id = 0;
  for (const piece of base) if (!(piece in vocab)) vocab[piece] = id++;
  for (const [left, right] of merges) {
    if (!(left in vocab) || !(right in vocab)) throw new Error(`fixture merge ${left} ${right} uses a missing piece`);
    if (!(left + right in vocab)) vocab[left + right] = id++;
  }
  return vocab;
}

// ---------------------------------------------------------------------------------------------
// GPT-2 style byte-level BPE

const t = byteLevelText;
const GPT2_MERGES: Array<[string, string]> = [
  [t('l'), t('l')],
  [t('e'), t('ll')],
  [t(' '), t('h')],
  [t(' h'), t('ell')],
  [t(' hell'), t('o')],
  [t(' '), t('t')],
  [t('h'), t('e')],
  [t(' t'), t('he')],
  [t('o'), t('r')],
  [t(' '), t('w')],
  [t(' w'), t('or')],
  [t('l'), t('d')],
  [t(' wor'), t('ld')],
  // é (C3 A9) whole; 中 (E4 B8 AD) in two steps; 😀 (F0 9F 98 80) only in halves, so the emoji
  // is always split across tokens, one of which holds nothing but continuation bytes.
  [byteLevelPiece([0xc3]), byteLevelPiece([0xa9])],
  [byteLevelPiece([0xe4]), byteLevelPiece([0xb8])],
  [byteLevelPiece([0xe4, 0xb8]), byteLevelPiece([0xad])],
  [byteLevelPiece([0xf0]), byteLevelPiece([0x9f])],
  [byteLevelPiece([0x98]), byteLevelPiece([0x80])],
];

export const GPT2_SPECIALS = { endOfText: '<|endoftext|>', imStart: '<|im_start|>', imEnd: '<|im_end|>', tool: '<tool>' };

export function gpt2StyleTokenizerJson(): Record<string, unknown> {
  const vocab = vocabFromMerges(ALPHABET, GPT2_MERGES);
  let nextId = Object.keys(vocab).length;
  const added = [
    { content: GPT2_SPECIALS.endOfText, special: true },
    { content: GPT2_SPECIALS.imStart, special: true },
    { content: GPT2_SPECIALS.imEnd, special: true },
    { content: GPT2_SPECIALS.tool, special: false }, // an added token that is ordinary text
  ].map((token) => ({ id: nextId++, single_word: false, lstrip: false, rstrip: false, normalized: false, ...token }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: GPT2_MERGES.map(([left, right]) => `${left} ${right}`),
    },
  };
}

export function gpt2StyleTokenizerConfig(): Record<string, unknown> {
  return { bos_token: GPT2_SPECIALS.endOfText, eos_token: GPT2_SPECIALS.endOfText, add_bos_token: false, clean_up_tokenization_spaces: true };
}

// ---------------------------------------------------------------------------------------------
// Llama 2 style BPE with byte fallback

const SPACE = '\u2581'; // ▁
const LLAMA_BASE_CHARS = [SPACE, ...'abcdefghijklmnopqrstuvwxyz', 'é', '中', ',', '.'];
const LLAMA_MERGES: Array<[string, string]> = [
  ['l', 'l'],
  ['e', 'll'],
  [SPACE, 'h'],
  [`${SPACE}h`, 'ell'],
  [`${SPACE}hell`, 'o'],
  [SPACE, 't'],
  ['h', 'e'],
  [`${SPACE}t`, 'he'],
  [SPACE, 'w'],
  ['o', 'r'],
  [`${SPACE}w`, 'or'],
  ['l', 'd'],
  [`${SPACE}wor`, 'ld'],
  [SPACE, '中'],
  ['c', 'a'],
  ['ca', 'f'],
  ['caf', 'é'],
];

export const LLAMA_SPECIALS = { unk: '<unk>', bos: '<s>', eos: '</s>' };

export function byteToken(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

export interface LlamaFixtureOptions {
  /** 'normalizer': Llama 2 (Prepend + Replace normalizer). 'metaspace': Mistral v0.3 (Metaspace pre-tokenizer, prepend "first"). */
  spaces?: 'normalizer' | 'metaspace';
}

export function llama2StyleTokenizerJson(options: LlamaFixtureOptions = {}): Record<string, unknown> {
  const specials = [LLAMA_SPECIALS.unk, LLAMA_SPECIALS.bos, LLAMA_SPECIALS.eos];
  const bytes = Array.from({ length: 256 }, (_, b) => byteToken(b));
  const vocab = vocabFromMerges([...specials, ...bytes, ...LLAMA_BASE_CHARS], LLAMA_MERGES);
  const metaspace = options.spaces === 'metaspace';
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: metaspace
      ? null
      : {
          type: 'Sequence',
          normalizers: [
            { type: 'Prepend', prepend: SPACE },
            { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
          ],
        },
    pre_tokenizer: metaspace ? { type: 'Metaspace', replacement: SPACE, prepend_scheme: 'first', split: false } : null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '<s>', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '<s>', type_id: 1 } },
        { Sequence: { id: 'B', type_id: 1 } },
      ],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        { type: 'Strip', content: ' ', start: 1, stop: 0 },
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab,
      merges: LLAMA_MERGES.map(([left, right]) => [left, right]), // the newer list-of-pairs form
    },
  };
}

export function llama2StyleTokenizerConfig(): Record<string, unknown> {
  return {
    add_bos_token: true,
    add_eos_token: false,
    bos_token: { __type: 'AddedToken', content: '<s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
    eos_token: { __type: 'AddedToken', content: '</s>', lstrip: false, normalized: false, rstrip: false, single_word: false },
    unk_token: '<unk>',
    clean_up_tokenization_spaces: false,
    legacy: true,
  };
}
