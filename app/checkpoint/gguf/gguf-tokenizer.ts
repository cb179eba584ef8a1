// A GGUF file's tokenizer.ggml.* metadata -> the tokenizer.json (+ tokenizer_config.json) it was
// converted from, so that the same TextTokenizer reads both. llama.cpp's converter writes:
//   tokenizer.ggml.model       "gpt2" (byte-level BPE: Llama 3, Qwen, SmolLM) or "llama" (SentencePiece
//                              BPE with byte fallback: Llama 2, Mistral, TinyLlama)
//   tokenizer.ggml.pre         gpt2 only: which pre-tokenizer regex the family splits text with
//   tokenizer.ggml.tokens      every token's text, by id (gpt2: in the GPT-2 byte alphabet, except
//                              user-defined tokens, which are plain text)
//   tokenizer.ggml.token_type  by id: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
//   tokenizer.ggml.merges      gpt2: "a b" in rank order; llama: usually absent (built from scores)
//   tokenizer.ggml.scores      llama: SentencePiece scores, higher merges first
//   tokenizer.ggml.{bos,eos,unknown,padding}_token_id, add_bos_token, add_eos_token, add_space_prefix
//   tokenizer.chat_template    tokenizer_config's chat_template
// Anything else in tokenizer.ggml.model or .pre is refused with the key, not guessed.

import { CheckpointError, quoteName } from '../errors.js';
import type { GgufMetadata, GgufValue } from './gguf-types.js';

const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

// The pre-tokenizer regexes of the Hugging Face files these `pre` names come from.
const LLAMA3_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_SPLIT =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface BytePairSetup {
  normalizer: unknown;
  preTokenizer: unknown;
  ignoreMerges: boolean;
  addBosByDefault: boolean; // llama.cpp's default where add_bos_token is absent
}

function splitThenByteLevel(regex: string): unknown {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    ],
  };
}

const GPT2_BYTE_LEVEL = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true };

/** tokenizer.ggml.pre -> the Hugging Face pre-tokenizer (and normalizer) of that family. */
const BYTE_PAIR_PRE: Record<string, BytePairSetup> = {
  'llama-bpe': { normalizer: null, preTokenizer: splitThenByteLevel(LLAMA3_SPLIT), ignoreMerges: true, addBosByDefault: true },
  llama3: { normalizer: null, preTokenizer: splitThenByteLevel(LLAMA3_SPLIT), ignoreMerges: true, addBosByDefault: true },
  'llama-v3': { normalizer: null, preTokenizer: splitThenByteLevel(LLAMA3_SPLIT), ignoreMerges: true, addBosByDefault: true },
  // Qwen's tokenizer.json normalizes to NFC before splitting.
  qwen2: { normalizer: { type: 'NFC' }, preTokenizer: splitThenByteLevel(QWEN2_SPLIT), ignoreMerges: false, addBosByDefault: false },
  default: { normalizer: null, preTokenizer: GPT2_BYTE_LEVEL, ignoreMerges: false, addBosByDefault: false },
  'gpt-2': { normalizer: null, preTokenizer: GPT2_BYTE_LEVEL, ignoreMerges: false, addBosByDefault: false },
  gpt2: { normalizer: null, preTokenizer: GPT2_BYTE_LEVEL, ignoreMerges: false, addBosByDefault: false },
  // SmolLM: every digit apart, then GPT-2's regex.
  smollm: {
    normalizer: null,
    preTokenizer: { type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, GPT2_BYTE_LEVEL] },
    ignoreMerges: false,
    addBosByDefault: false,
  },
};

class MetadataReader {
  constructor(
    private readonly metadata: GgufMetadata,
    private readonly file: string,
  ) {}

  fail(key: string, rule: string): never {
    throw new CheckpointError(this.file, rule, { key });
  }

  optional(key: string): GgufValue | undefined {
    return this.metadata.get(key);
  }

  string(key: string): string | null {
    const value = this.metadata.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'string') this.fail(key, `must be a string, got ${describe(value)}`);
    return value;
  }

  bool(key: string): boolean | null {
    const value = this.metadata.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'boolean') this.fail(key, `must be a boolean, got ${describe(value)}`);
    return value;
  }

  tokenId(key: string, count: number): number | null {
    const value = this.metadata.get(key);
    if (value === undefined) return null;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) this.fail(key, `must be a token id, got ${describe(value)}`);
    // llama.cpp writes -1 as u32 0xFFFFFFFF for "none" in some files; an id past the vocabulary is none.
    if (value >= count) return null;
    return value;
  }

  strings(key: string, required: boolean): string[] | null {
    const value = this.metadata.get(key);
    if (value === undefined) {
      if (required) this.fail(key, 'is missing');
      return null;
    }
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) this.fail(key, `must be an array of strings, got ${describe(value)}`);
    return value as string[];
  }

  numbers(key: string, count: number, integers: boolean): number[] | null {
    const value = this.metadata.get(key);
    if (value === undefined) return null;
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'number' && (!integers || Number.isInteger(item)))) {
      this.fail(key, `must be an array of ${integers ? 'integers' : 'numbers'}, got ${describe(value)}`);
    }
    if (value.length !== count) this.fail(key, `has ${value.length} entries, but tokenizer.ggml.tokens has ${count}`);
    return value as number[];
  }
}

function describe(value: GgufValue): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `the string ${quoteName(value)}`;
  return `${typeof value} ${String(value)}`;
}

interface AddedTokenJson {
  id: number;
  content: string;
  single_word: false;
  lstrip: false;
  rstrip: false;
  normalized: false;
  special: boolean;
}

function addedToken(id: number, content: string, special: boolean): AddedTokenJson {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special };
}

/** BOS / EOS around a text, as the converted tokenizer.json's post-processor writes it. */
function templateProcessor(tokens: readonly string[], bos: number | null, eos: number | null, addBos: boolean, addEos: boolean): unknown {
  const specials: Record<string, unknown> = {};
  const special = (id: number, typeId: number) => {
    const token = tokens[id]!;
    specials[token] = { id: token, ids: [id], tokens: [token] };
    return { SpecialToken: { id: token, type_id: typeId } };
  };
  const sequence = (name: 'A' | 'B', typeId: number): unknown[] => [
    ...(addBos && bos !== null ? [special(bos, typeId)] : []),
    { Sequence: { id: name, type_id: typeId } },
    ...(addEos && eos !== null ? [special(eos, typeId)] : []),
  ];
  const single = sequence('A', 0);
  if (single.length === 1) return null;
  return { type: 'TemplateProcessing', single, pair: [...single, ...sequence('B', 1)], special_tokens: specials };
}

/**
 * Merges of a SentencePiece BPE model from its scores, as transformers builds them for a GGUF
 * file without tokenizer.ggml.merges: every split of a piece into two pieces of the vocabulary,
 * ranked by the score of the piece they make (higher first), then by the scores of the two halves.
 * Splits are by code point, as Python slices strings.
 */
function mergesFromScores(tokens: readonly string[], scores: readonly number[]): Array<[string, string]> {
  const scoreOf = new Map<string, number>();
  tokens.forEach((token, id) => scoreOf.set(token, scores[id]!)); // a repeated token keeps its last score
  const ranked: Array<{ left: string; right: string; score: number }> = [];
  for (const [piece, score] of scoreOf) {
    const chars = Array.from(piece);
    const local: Array<{ left: string; right: string; score: number }> = [];
    for (let index = 1; index < chars.length; index++) {
      const left = chars.slice(0, index).join('');
      const right = chars.slice(index).join('');
      if (scoreOf.has(left) && scoreOf.has(right)) local.push({ left, right, score });
    }
    local.sort((a, b) => scoreOf.get(b.left)! - scoreOf.get(a.left)! || scoreOf.get(b.right)! - scoreOf.get(a.right)!);
    ranked.push(...local);
  }
  ranked.sort((a, b) => b.score - a.score); // stable: ties keep vocabulary order, as Python's sorted
  return ranked.map(({ left, right }) => [left, right]);
}

function mergePairs(reader: MetadataReader, key: string, merges: readonly string[]): Array<[string, string]> {
  return merges.map((merge, index) => {
    const space = merge.indexOf(' ');
    if (space <= 0 || space === merge.length - 1 || merge.indexOf(' ', space + 1) !== -1) {
      reader.fail(key, `entry ${index} ${quoteName(merge)} is not two tokens separated by one space`);
    }
    return [merge.slice(0, space), merge.slice(space + 1)];
  });
}

export interface GgufTokenizer {
  tokenizerJson: unknown;
  tokenizerConfig: Record<string, unknown> | null;
}

/** Rebuilds tokenizer.json and tokenizer_config.json from a GGUF file's metadata; `file` names it in refusals. */
export function tokenizerFromGguf(metadata: GgufMetadata, file: string): GgufTokenizer {
  const reader: MetadataReader = new MetadataReader(metadata, file);
  const model = reader.string('tokenizer.ggml.model');
  if (model === null) reader.fail('tokenizer.ggml.model', 'is missing: the file carries no tokenizer');
  if (model !== 'gpt2' && model !== 'llama') {
    reader.fail('tokenizer.ggml.model', `${quoteName(model)} is not supported (supported: "gpt2" byte-level BPE, "llama" SentencePiece BPE)`);
  }
  const tokens = reader.strings('tokenizer.ggml.tokens', true)!;
  if (tokens.length === 0) reader.fail('tokenizer.ggml.tokens', 'is empty');
  const count = tokens.length;
  const types = reader.numbers('tokenizer.ggml.token_type', count, true) ?? new Array<number>(count).fill(TOKEN_TYPE.normal);
  const bos = reader.tokenId('tokenizer.ggml.bos_token_id', count);
  const eos = reader.tokenId('tokenizer.ggml.eos_token_id', count);
  const unknownId = reader.tokenId('tokenizer.ggml.unknown_token_id', count);
  const pad = reader.tokenId('tokenizer.ggml.padding_token_id', count);
  const chatTemplate = reader.string('tokenizer.chat_template');

  const built = model === 'gpt2' ? bytePairTokenizer(reader, tokens, types) : sentencePieceTokenizer(reader, tokens, types, unknownId);
  const addBos = reader.bool('tokenizer.ggml.add_bos_token') ?? built.addBosByDefault;
  const addEos = reader.bool('tokenizer.ggml.add_eos_token') ?? false;

  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: built.addedTokens,
    normalizer: built.normalizer,
    pre_tokenizer: built.preTokenizer,
    post_processor: templateProcessor(tokens, bos, eos, addBos, addEos),
    decoder: built.decoder,
    model: built.model,
  };
  const tokenizerConfig: Record<string, unknown> = { add_bos_token: addBos, add_eos_token: addEos };
  const named: Array<[string, number | null]> = [
    ['bos_token', bos],
    ['eos_token', eos],
    ['unk_token', built.unknownId],
    ['pad_token', pad],
  ];
  for (const [key, id] of named) tokenizerConfig[key] = id === null ? null : tokens[id];
  if (chatTemplate !== null) tokenizerConfig.chat_template = chatTemplate;
  return { tokenizerJson, tokenizerConfig };
}

interface BuiltTokenizer {
  model: unknown;
  addedTokens: AddedTokenJson[];
  normalizer: unknown;
  preTokenizer: unknown;
  decoder: unknown;
  unknownId: number | null;
  addBosByDefault: boolean;
}

function bytePairTokenizer(reader: MetadataReader, tokens: readonly string[], types: readonly number[]): BuiltTokenizer {
  const pre = reader.string('tokenizer.ggml.pre') ?? 'default';
  const setup = Object.hasOwn(BYTE_PAIR_PRE, pre) ? BYTE_PAIR_PRE[pre] : undefined;
  if (setup === undefined) {
    reader.fail('tokenizer.ggml.pre', `${quoteName(pre)} is not a pre-tokenizer CoLM knows (supported: ${Object.keys(BYTE_PAIR_PRE).join(', ')})`);
  }
  const merges = mergePairs(reader, 'tokenizer.ggml.merges', reader.strings('tokenizer.ggml.merges', true)!);
  // Control and user-defined tokens are the tokenizer.json's added tokens (matched in the text
  // before BPE); the rest, unused [PADn] fillers included, is the BPE vocabulary.
  const vocab: Record<string, number> = {};
  const addedTokens: AddedTokenJson[] = [];
  tokens.forEach((token, id) => {
    const type = types[id];
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.userDefined) {
      addedTokens.push(addedToken(id, token, type === TOKEN_TYPE.control));
    } else if (!Object.hasOwn(vocab, token)) {
      vocab[token] = id;
    }
  });
  return {
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: setup.ignoreMerges,
      vocab,
      merges,
    },
    addedTokens,
    normalizer: setup.normalizer,
    preTokenizer: setup.preTokenizer,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    unknownId: null,
    addBosByDefault: setup.addBosByDefault,
  };
}

function sentencePieceTokenizer(reader: MetadataReader, tokens: readonly string[], types: readonly number[], unknownKey: number | null): BuiltTokenizer {
  const listed = reader.strings('tokenizer.ggml.merges', false);
  let merges: Array<[string, string]>;
  if (listed !== null) {
    merges = mergePairs(reader, 'tokenizer.ggml.merges', listed);
  } else {
    const scores = reader.numbers('tokenizer.ggml.scores', tokens.length, false);
    if (scores === null) reader.fail('tokenizer.ggml.scores', 'is missing (a "llama" tokenizer needs scores or merges)');
    merges = mergesFromScores(tokens, scores);
  }
  const unknownId = unknownKey ?? (types.indexOf(TOKEN_TYPE.unknown) >= 0 ? types.indexOf(TOKEN_TYPE.unknown) : null);
  const vocab: Record<string, number> = {};
  const addedTokens: AddedTokenJson[] = [];
  tokens.forEach((token, id) => {
    if (!Object.hasOwn(vocab, token)) vocab[token] = id;
    const type = types[id];
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.unknown || id === unknownId) addedTokens.push(addedToken(id, token, true));
    else if (type === TOKEN_TYPE.userDefined) addedTokens.push(addedToken(id, token, false));
  });
  // SentencePiece puts a space in front of the text (add_dummy_prefix) unless the file says not to.
  const spacePrefix = reader.bool('tokenizer.ggml.add_space_prefix') ?? true;
  const replaceSpaces = { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' };
  const decoders: unknown[] = [{ type: 'Replace', pattern: { String: '\u2581' }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }];
  if (spacePrefix) decoders.push({ type: 'Strip', content: ' ', start: 1, stop: 0 });
  return {
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unknownId === null ? null : tokens[unknownId],
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      vocab,
      merges,
    },
    addedTokens,
    normalizer: spacePrefix ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: '\u2581' }, replaceSpaces] } : replaceSpaces,
    preTokenizer: null,
    decoder: { type: 'Sequence', decoders },
    unknownId,
    addBosByDefault: true,
  };
}
