// tokenizer.json (+ tokenizer_config.json) -> TextTokenizer: text to ids with @huggingface/tokenizers,
// ids back to exact bytes with our own table. Streaming needs the bytes each token stands for (a
// token may hold half of a UTF-8 character), which the library only gives as already-decoded text,
// so decoding is done here from those bytes and the library is used for encoding only.
//
// Supported, per FORMAT.md: BPE models whose decoder is either byte-level (GPT-2, Llama 3, Qwen) or
// the piece pipeline of Llama 2 / Mistral / Gemma (Replace "▁"->" ", ByteFallback, Fuse, Strip) or a
// Metaspace decoder. Anything else is refused at load with the file name and the reason, rather than
// decoding into text that silently differs from what the model meant.

import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError, quoteName } from './errors.js';
import { describeValue, isJsonObject, ownValue, type JsonObject } from './json-values.js';

// ---------------------------------------------------------------------------------------------
// Decoding rules: how one token becomes bytes, and how the start of a sequence is trimmed

/** A decoder that trims the start of the decoded text (Llama 2's Strip, Metaspace's prefix space). */
export interface LeadingStripRule {
  byte: number; // the byte dropped, 0x20 for a space
  maxCount: number; // how many of them at most, counted from the very first byte of the text
}

type TokenByteRule =
  | { kind: 'byte-level' } // GPT-2: every character of a piece stands for one byte
  | { kind: 'pieces'; replacements: Array<[string, string]>; byteFallback: boolean };

interface DecoderPlan {
  tokenRule: TokenByteRule;
  leadingStrip: LeadingStripRule | null;
}

/**
 * Drops the bytes a LeadingStripRule trims, from a byte stream that arrives in pieces. Stripping
 * stops at the first byte that is not the stripped one, as the Strip decoder does on fused text.
 */
export class LeadingStripper {
  private remaining: number;

  constructor(private readonly rule: LeadingStripRule | null) {
    this.remaining = rule?.maxCount ?? 0;
  }

  take(bytes: Uint8Array): Uint8Array {
    if (this.rule === null) return bytes;
    let start = 0;
    while (this.remaining > 0 && start < bytes.length) {
      if (bytes[start] !== this.rule.byte) {
        this.remaining = 0;
        break;
      }
      start += 1;
      this.remaining -= 1;
    }
    return start === 0 ? bytes : bytes.subarray(start);
  }
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes are
// shifted to U+0100.. in byte order, so that every byte has a visible character in the vocab.
function byteLevelCharToByte(): Map<number, number> {
  const charToByte = new Map<number, number>();
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 0x21 && byte <= 0x7e) || (byte >= 0xa1 && byte <= 0xac) || byte >= 0xae;
    charToByte.set(printable ? byte : 256 + shifted++, byte);
  }
  return charToByte;
}

const BYTE_LEVEL_CHAR_TO_BYTE = byteLevelCharToByte();
const BYTE_TOKEN = /^<0x([0-9A-Fa-f]{2})>$/;
const utf8Encoder = new TextEncoder();
const NO_BYTES = new Uint8Array(0);

/** Raw bytes of one byte-level piece; a piece with a character outside the alphabet is taken as UTF-8. */
function byteLevelPieceBytes(piece: string): Uint8Array {
  const bytes: number[] = [];
  for (const char of piece) {
    const byte = BYTE_LEVEL_CHAR_TO_BYTE.get(char.codePointAt(0) ?? -1);
    if (byte === undefined) return utf8Encoder.encode(piece);
    bytes.push(byte);
  }
  return Uint8Array.from(bytes);
}

function piecePipelineBytes(piece: string, rule: Extract<TokenByteRule, { kind: 'pieces' }>): Uint8Array {
  let text = piece;
  for (const [from, to] of rule.replacements) text = text.replaceAll(from, to);
  if (rule.byteFallback) {
    const match = BYTE_TOKEN.exec(text);
    if (match?.[1] !== undefined) return Uint8Array.of(parseInt(match[1], 16));
  }
  return utf8Encoder.encode(text);
}

// ---------------------------------------------------------------------------------------------
// Reading tokenizer.json: the parts the library does not check, checked with the file name

// Far above any real vocabulary (~256k); a larger id in a file is damage, and would make the id
// tables huge.
const MAX_TOKEN_ID = 2 ** 24;

function isTokenId(id: unknown): id is number {
  return typeof id === 'number' && Number.isInteger(id) && id >= 0 && id < MAX_TOKEN_ID;
}

/** What we need of an added_tokens entry; the library gets the entries as written. */
type AddedToken = { id: number; content: string; special: boolean };

const SUPPORTED_DECODERS = 'ByteLevel, or a Sequence of Replace, ByteFallback, Fuse, Strip, Metaspace';

class TokenizerJsonReader {
  constructor(readonly label: string) {}

  fail(rule: string, key?: string): never {
    throw new CheckpointError(this.label, rule, key === undefined ? {} : { key });
  }

  root(json: unknown): JsonObject {
    if (!isJsonObject(json)) this.fail(`tokenizer.json must be a JSON object, got ${describeValue(json)}`);
    return json;
  }

  model(json: JsonObject): JsonObject {
    const model = ownValue(json, 'model');
    if (!isJsonObject(model)) this.fail(`must be an object, got ${describeValue(model)}`, 'model');
    const type = ownValue(model, 'type');
    if (type === undefined) this.fail('is missing (expected "BPE")', 'model.type');
    if (type !== 'BPE') {
      this.fail(`${describeValue(type)} is not supported; CoLM reads BPE tokenizers (byte-level or with byte fallback)`, 'model.type');
    }
    const vocab = ownValue(model, 'vocab');
    if (vocab === undefined || vocab === null) this.fail('is missing', 'model.vocab');
    if (!isJsonObject(vocab)) this.fail(`must be an object of token -> id, got ${describeValue(vocab)}`, 'model.vocab');
    for (const [piece, id] of Object.entries(vocab)) {
      if (!isTokenId(id)) {
        this.fail(`token ${quoteName(piece)} has id ${describeValue(id)}, not an integer in [0, ${MAX_TOKEN_ID})`, 'model.vocab');
      }
    }
    const merges = ownValue(model, 'merges');
    if (!Array.isArray(merges)) this.fail(`must be a list, got ${describeValue(merges)}`, 'model.merges');
    for (const merge of merges) {
      const pair = typeof merge === 'string' ? merge.split(' ') : merge;
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((part) => typeof part === 'string')) {
        this.fail(`${describeValue(merge)} is not a pair of tokens ("a b" or ["a", "b"])`, 'model.merges');
      }
    }
    return model;
  }

  addedTokens(json: JsonObject): AddedToken[] {
    const list = ownValue(json, 'added_tokens') ?? [];
    if (!Array.isArray(list)) this.fail(`must be a list, got ${describeValue(list)}`, 'added_tokens');
    return list.map((entry) => {
      const id = isJsonObject(entry) ? ownValue(entry, 'id') : undefined;
      const content = isJsonObject(entry) ? ownValue(entry, 'content') : undefined;
      if (!isTokenId(id) || typeof content !== 'string' || content === '') {
        this.fail(`${describeValue(entry)} needs an integer "id" and a non-empty "content"`, 'added_tokens');
      }
      return { id, content, special: isJsonObject(entry) && ownValue(entry, 'special') === true };
    });
  }

  /** Flattens nested Sequence decoders into the list of steps they run, in order. */
  private decoderSteps(decoder: unknown): JsonObject[] {
    if (!isJsonObject(decoder)) this.fail(`must be an object, got ${describeValue(decoder)}`, 'decoder');
    if (ownValue(decoder, 'type') !== 'Sequence') return [decoder];
    const inner = ownValue(decoder, 'decoders');
    if (!Array.isArray(inner)) this.fail('a Sequence decoder needs a "decoders" list', 'decoder');
    return inner.flatMap((step) => this.decoderSteps(step));
  }

  decoderPlan(json: JsonObject): DecoderPlan {
    const decoder = ownValue(json, 'decoder');
    if (decoder === undefined || decoder === null) {
      this.fail(`is missing; without one, ids cannot be turned back into text (supported: ${SUPPORTED_DECODERS})`, 'decoder');
    }
    const steps = this.decoderSteps(decoder);
    if (steps.some((step) => ownValue(step, 'type') === 'ByteLevel')) {
      if (steps.length !== 1) this.fail('ByteLevel combined with other decoders is not supported', 'decoder');
      return { tokenRule: { kind: 'byte-level' }, leadingStrip: null };
    }
    const replacements: Array<[string, string]> = [];
    let byteFallback = false;
    let fused = false;
    let leadingStrip: LeadingStripRule | null = null;
    for (const step of steps) {
      const type = ownValue(step, 'type');
      if (type === 'Replace') {
        replacements.push(this.replaceStep(step));
      } else if (type === 'ByteFallback') {
        byteFallback = true;
      } else if (type === 'Fuse') {
        fused = true;
      } else if (type === 'Metaspace') {
        const replacement = ownValue(step, 'replacement') ?? '\u2581';
        if (typeof replacement !== 'string') this.fail('Metaspace "replacement" must be a string', 'decoder');
        replacements.push([replacement, ' ']);
        // The Metaspace decoder drops the space its pre-tokenizer put in front of the first word,
        // unless that pre-tokenizer never adds one.
        const scheme = ownValue(step, 'prepend_scheme') ?? (ownValue(step, 'add_prefix_space') === false ? 'never' : 'always');
        if (scheme !== 'never') leadingStrip = { byte: 0x20, maxCount: 1 };
      } else if (type === 'Strip') {
        leadingStrip = this.stripStep(step, fused) ?? leadingStrip;
      } else {
        this.fail(`type ${describeValue(type)} is not supported (supported: ${SUPPORTED_DECODERS})`, 'decoder');
      }
    }
    return { tokenRule: { kind: 'pieces', replacements, byteFallback }, leadingStrip };
  }

  private replaceStep(step: JsonObject): [string, string] {
    const pattern = ownValue(step, 'pattern');
    const from = isJsonObject(pattern) ? ownValue(pattern, 'String') : undefined;
    const to = ownValue(step, 'content') ?? '';
    if (typeof from !== 'string' || from === '' || typeof to !== 'string') {
      this.fail(`Replace needs a non-empty {"String": ...} pattern and a string content (regex patterns are not supported), got ${describeValue(step)}`, 'decoder');
    }
    return [from, to];
  }

  // Strip works token by token; only after Fuse is there one token, so only then is it a trim of
  // the whole text's start, which is the form streaming can reproduce.
  private stripStep(step: JsonObject, fused: boolean): LeadingStripRule | null {
    const content = ownValue(step, 'content') ?? ' ';
    const start = ownValue(step, 'start') ?? 0;
    const stop = ownValue(step, 'stop') ?? 0;
    if (typeof content !== 'string' || content.length !== 1 || content.charCodeAt(0) > 0x7f) {
      this.fail(`Strip "content" must be one ASCII character, got ${describeValue(content)}`, 'decoder');
    }
    if (typeof start !== 'number' || !Number.isInteger(start) || start < 0 || typeof stop !== 'number' || stop !== 0) {
      this.fail('only a Strip with "stop": 0 and a whole-number "start" is supported (a trailing strip cannot be streamed)', 'decoder');
    }
    if (start === 0) return null;
    if (!fused) this.fail('a Strip before Fuse (trimming every token) is not supported', 'decoder');
    return { byte: content.charCodeAt(0), maxCount: start };
  }
}

// ---------------------------------------------------------------------------------------------
// Special tokens the post-processor wraps a text in (BOS for Llama, nothing for GPT-2)

interface SpecialFrame {
  prefix: number[];
  suffix: number[];
}

function postProcessorFrame(processor: unknown, idOf: (token: string) => number | null, reader: TokenizerJsonReader): SpecialFrame {
  if (processor === undefined || processor === null) return { prefix: [], suffix: [] };
  if (!isJsonObject(processor)) reader.fail(`must be an object, got ${describeValue(processor)}`, 'post_processor');
  const type = ownValue(processor, 'type');
  const tokenId = (token: unknown): number => {
    const id = typeof token === 'string' ? idOf(token) : null;
    if (id === null) reader.fail(`names ${describeValue(token)}, which is not a token`, 'post_processor');
    return id;
  };
  switch (type) {
    case 'ByteLevel':
      return { prefix: [], suffix: [] };
    case 'Sequence': {
      const inner = ownValue(processor, 'processors');
      if (!Array.isArray(inner)) reader.fail('a Sequence needs a "processors" list', 'post_processor');
      // Each processor wraps what the one before produced.
      return inner.reduce<SpecialFrame>((frame, next) => {
        const outer = postProcessorFrame(next, idOf, reader);
        return { prefix: [...outer.prefix, ...frame.prefix], suffix: [...frame.suffix, ...outer.suffix] };
      }, { prefix: [], suffix: [] });
    }
    case 'TemplateProcessing':
      return templateFrame(processor, tokenId, reader);
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = ownValue(processor, 'cls');
      const sep = ownValue(processor, 'sep');
      return { prefix: [tokenId(Array.isArray(cls) ? cls[0] : cls)], suffix: [tokenId(Array.isArray(sep) ? sep[0] : sep)] };
    }
    default:
      return reader.fail(`type ${describeValue(type)} is not supported`, 'post_processor');
  }
}

function templateFrame(processor: JsonObject, tokenId: (token: unknown) => number, reader: TokenizerJsonReader): SpecialFrame {
  const single = ownValue(processor, 'single');
  if (!Array.isArray(single)) reader.fail('TemplateProcessing needs a "single" list', 'post_processor');
  const specialTokens = ownValue(processor, 'special_tokens');
  const frame: SpecialFrame = { prefix: [], suffix: [] };
  let seenText = false;
  for (const item of single) {
    if (isJsonObject(item) && isJsonObject(ownValue(item, 'Sequence'))) {
      seenText = true;
      continue;
    }
    const special = isJsonObject(item) ? ownValue(item, 'SpecialToken') : undefined;
    const name = isJsonObject(special) ? ownValue(special, 'id') : undefined;
    if (typeof name !== 'string') reader.fail(`template item ${describeValue(item)} is neither a Sequence nor a SpecialToken`, 'post_processor');
    // special_tokens maps a template name to the ids it stands for; plain token names also work.
    const entry = isJsonObject(specialTokens) ? ownValue(specialTokens, name) : undefined;
    const listed = isJsonObject(entry) ? ownValue(entry, 'ids') : undefined;
    const ids = Array.isArray(listed) && listed.every((id) => typeof id === 'number') ? (listed as number[]) : [tokenId(name)];
    (seenText ? frame.suffix : frame.prefix).push(...ids);
  }
  return frame;
}

// ---------------------------------------------------------------------------------------------
// Token strings <-> ids, over the model vocab and the added tokens

class PieceTable {
  readonly pieces: Array<string | undefined> = []; // by id; holes where the file has no token
  readonly ids = new Map<string, number>();
  readonly addedIds = new Set<number>();

  constructor(vocab: Record<string, number>, addedTokens: readonly AddedToken[]) {
    for (const [piece, id] of Object.entries(vocab)) this.set(piece, id);
    // An added token replaces a vocab entry with the same id or text, as in the library.
    for (const token of addedTokens) {
      this.set(token.content, token.id);
      this.addedIds.add(token.id);
    }
  }

  private set(piece: string, id: number): void {
    while (this.pieces.length <= id) this.pieces.push(undefined);
    this.pieces[id] = piece;
    this.ids.set(piece, id);
  }

  idOf(piece: string): number | null {
    return this.ids.get(piece) ?? null;
  }
}

// ---------------------------------------------------------------------------------------------
// tokenizer_config.json: named special tokens, which may be "<s>" or {"content": "<s>", ...}

const NAMED_SPECIAL_TOKENS = ['bos_token', 'eos_token', 'unk_token', 'pad_token', 'sep_token', 'cls_token', 'mask_token'];

function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (isJsonObject(value) && typeof ownValue(value, 'content') === 'string') return ownValue(value, 'content') as string;
  return null;
}

/** The id of a named token in tokenizer_config; bos and eos must exist, the others may be absent. */
function configTokenId(config: JsonObject, key: string, table: PieceTable, reader: TokenizerJsonReader): number | null {
  const value = ownValue(config, key);
  if (value === undefined || value === null) return null;
  const content = tokenContent(value);
  if (content === null) reader.fail(`tokenizer_config ${key} must be a string or {"content": ...}, got ${describeValue(value)}`, key);
  const id = table.idOf(content);
  if (id === null && (key === 'bos_token' || key === 'eos_token')) {
    reader.fail(`tokenizer_config ${key} ${quoteName(content)} is not a token of this tokenizer`, key);
  }
  return id;
}

// transformers' tokenizer classes name some special tokens by default, used where tokenizer_config
// does not have the key at all (a key set to null means none). They count for all_special_ids, so
// decode(skip_special_tokens) drops them: Gemma's "<mask>" is special only this way.
const CLASS_DEFAULT_SPECIAL_TOKENS: Record<string, Record<string, string>> = {
  GemmaTokenizer: { unk_token: '<unk>', bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', mask_token: '<mask>' },
  LlamaTokenizer: { unk_token: '<unk>', bos_token: '<s>', eos_token: '</s>' },
  Qwen2Tokenizer: { unk_token: '<|endoftext|>', eos_token: '<|endoftext|>', pad_token: '<|endoftext|>' },
};

function classDefaultSpecialTokens(config: JsonObject): Record<string, string> {
  const name = ownValue(config, 'tokenizer_class');
  if (typeof name !== 'string') return {};
  return CLASS_DEFAULT_SPECIAL_TOKENS[name.replace(/Fast$/, '')] ?? {};
}

/** Token texts in a list or a {name: token} object (additional_special_tokens, extra_special_tokens). */
function listedTokens(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isJsonObject(value)) return Object.values(value);
  return [];
}

/**
 * transformers' special_tokens_map: bos_token, eos_token, ... as tokenizer_config names them (or the
 * class default where the key is absent), plus the named extra_special_tokens (Gemma's boi_token).
 * Chat templates see these as variables.
 */
function namedSpecialTokens(config: JsonObject): Record<string, string> {
  const named: Record<string, string> = {};
  const defaults = classDefaultSpecialTokens(config);
  for (const key of NAMED_SPECIAL_TOKENS) {
    const value = ownValue(config, key);
    const content = value === undefined ? (defaults[key] ?? null) : tokenContent(value);
    if (content !== null) named[key] = content;
  }
  const extra = ownValue(config, 'extra_special_tokens');
  if (isJsonObject(extra)) {
    for (const [key, value] of Object.entries(extra)) {
      const content = tokenContent(value);
      if (content !== null && !(key in named)) named[key] = content;
    }
  }
  return named;
}

/** Added tokens marked special, plus every token tokenizer_config names, as transformers' all_special_ids. */
function specialTokenIds(addedTokens: readonly AddedToken[], config: JsonObject, table: PieceTable, reader: TokenizerJsonReader): Set<number> {
  const ids = new Set(addedTokens.filter((token) => token.special).map((token) => token.id));
  for (const key of NAMED_SPECIAL_TOKENS) {
    const id = configTokenId(config, key, table, reader);
    if (id !== null) ids.add(id);
  }
  for (const [key, content] of Object.entries(classDefaultSpecialTokens(config))) {
    const id = ownValue(config, key) === undefined ? table.idOf(content) : null;
    if (id !== null) ids.add(id);
  }
  for (const token of [...listedTokens(ownValue(config, 'additional_special_tokens')), ...listedTokens(ownValue(config, 'extra_special_tokens'))]) {
    const content = tokenContent(token);
    const id = content === null ? null : table.idOf(content);
    if (id !== null) ids.add(id);
  }
  return ids;
}

/** tokenizer_config's add_bos_token / add_eos_token, when given, decide over the post-processor. */
function withConfigOverrides(frame: SpecialFrame, config: JsonObject, bos: number | null, eos: number | null): SpecialFrame {
  let { prefix, suffix } = frame;
  const addBos = ownValue(config, 'add_bos_token');
  const addEos = ownValue(config, 'add_eos_token');
  if (bos !== null && addBos === true && prefix[0] !== bos) prefix = [bos, ...prefix];
  if (bos !== null && addBos === false) prefix = prefix.filter((id) => id !== bos);
  if (eos !== null && addEos === true && suffix[suffix.length - 1] !== eos) suffix = [...suffix, eos];
  if (eos !== null && addEos === false) suffix = suffix.filter((id) => id !== eos);
  return { prefix, suffix };
}

// The library compares special tokens as strings; give it the {content} objects already resolved.
function configForLibrary(config: JsonObject): JsonObject {
  const copy: JsonObject = { ...config };
  for (const key of NAMED_SPECIAL_TOKENS) {
    if (ownValue(config, key) !== undefined) copy[key] = tokenContent(ownValue(config, key));
  }
  const extra = ownValue(config, 'additional_special_tokens');
  if (Array.isArray(extra)) copy.additional_special_tokens = extra.map(tokenContent).filter((token) => token !== null);
  return copy;
}

function buildLibraryTokenizer(json: JsonObject, config: JsonObject, reader: TokenizerJsonReader): Tokenizer {
  try {
    // The library insists that these keys exist, even as null; real files sometimes omit them.
    const libraryJson = { normalizer: null, pre_tokenizer: null, post_processor: null, ...json, added_tokens: ownValue(json, 'added_tokens') ?? [] };
    return new Tokenizer(libraryJson, configForLibrary(config));
  } catch (error) {
    return reader.fail(`the tokenizer could not be built: ${error instanceof Error ? error.message : String(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// TextTokenizer

export interface EncodeOptions {
  /** Wrap the text in the tokenizer's special tokens (BOS for Llama). Default false: chat templates write BOS themselves. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  skipSpecialTokens?: boolean;
}

export class TextTokenizer {
  readonly vocabSize: number; // largest id + 1, over the model vocab and the added tokens
  readonly bosTokenId: number | null;
  readonly eosTokenIds: number[];
  /** How the decoder trims the start of a sequence (Llama 2 drops one space); null when it does not. */
  readonly leadingStrip: LeadingStripRule | null;

  private readonly bytesById: Array<Uint8Array | undefined>;
  private readonly namedTokens: Record<string, string>;

  private constructor(
    private readonly library: Tokenizer, // used to encode only
    private readonly table: PieceTable,
    private readonly tokenRule: TokenByteRule,
    private readonly specialIds: Set<number>,
    private readonly specialFrame: SpecialFrame,
    named: { bosTokenId: number | null; eosTokenIds: number[]; leadingStrip: LeadingStripRule | null; namedTokens: Record<string, string> },
  ) {
    this.vocabSize = table.pieces.length;
    this.bosTokenId = named.bosTokenId;
    this.eosTokenIds = named.eosTokenIds;
    this.leadingStrip = named.leadingStrip;
    this.namedTokens = named.namedTokens;
    this.bytesById = new Array<Uint8Array | undefined>(this.vocabSize);
  }

  /** label is the tokenizer.json path; every error message starts with it. */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: Record<string, unknown> | null, label: string): TextTokenizer {
    const reader: TokenizerJsonReader = new TokenizerJsonReader(label);
    const json = reader.root(tokenizerJson);
    const model = reader.model(json);
    const addedTokens = reader.addedTokens(json);
    const decoderPlan = reader.decoderPlan(json);
    const config = tokenizerConfig ?? {};
    const table = new PieceTable(ownValue(model, 'vocab') as Record<string, number>, addedTokens);

    const bosTokenId = configTokenId(config, 'bos_token', table, reader);
    const eosTokenId = configTokenId(config, 'eos_token', table, reader);
    const specialIds = specialTokenIds(addedTokens, config, table, reader);
    const frame = postProcessorFrame(ownValue(json, 'post_processor'), (piece) => table.idOf(piece), reader);
    // Last, so that our own checks, which name the key, come before the library's.
    const library = buildLibraryTokenizer(json, config, reader);

    return new TextTokenizer(library, table, decoderPlan.tokenRule, specialIds, withConfigOverrides(frame, config, bosTokenId, eosTokenId), {
      bosTokenId,
      eosTokenIds: eosTokenId === null ? [] : [eosTokenId],
      leadingStrip: decoderPlan.leadingStrip,
      namedTokens: namedSpecialTokens(config),
    });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    // Special tokens are added here from the post-processor we read, not by the library, so that
    // tokenizer_config's add_bos_token / add_eos_token can override it as transformers does.
    const ids = this.library.encode(text, { add_special_tokens: false }).ids;
    if (!options.addSpecialTokens) return ids;
    return [...this.specialFrame.prefix, ...ids, ...this.specialFrame.suffix];
  }

  /** Ids the tokenizer does not know decode to nothing, as in Hugging Face tokenizers. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const stripper = new LeadingStripper(this.leadingStrip);
    const parts: Uint8Array[] = [];
    let length = 0;
    for (const id of ids) {
      if (options.skipSpecialTokens && this.isSpecial(id)) continue;
      const bytes = stripper.take(this.tokenBytes(id));
      parts.push(bytes);
      length += bytes.length;
    }
    const all = new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    // ignoreBOM: a U+FEFF the model wrote is text, not a byte-order mark to hide.
    return new TextDecoder('utf-8', { ignoreBOM: true }).decode(all);
  }

  /**
   * The exact bytes a token stands for (special and added tokens: their content as UTF-8), before
   * any leading strip. The array is shared between calls: read it, do not change it.
   */
  tokenBytes(id: number): Uint8Array {
    const cached = this.bytesById[id];
    if (cached !== undefined) return cached;
    const piece = Number.isInteger(id) && id >= 0 ? this.table.pieces[id] : undefined;
    if (piece === undefined) return NO_BYTES;
    let bytes: Uint8Array;
    if (this.tokenRule.kind === 'byte-level') {
      // Added tokens are stored as plain text, not in the byte alphabet.
      bytes = this.table.addedIds.has(id) ? utf8Encoder.encode(piece) : byteLevelPieceBytes(piece);
    } else {
      bytes = piecePipelineBytes(piece, this.tokenRule);
    }
    this.bytesById[id] = bytes;
    return bytes;
  }

  /** Added tokens marked special, plus the tokens tokenizer_config names (bos, eos, unk, pad, ...). */
  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }

  /**
   * The named special tokens as transformers' special_tokens_map has them ({bos_token: "<s>", ...}):
   * the variables a chat template gets besides the messages.
   */
  namedSpecialTokens(): Record<string, string> {
    return { ...this.namedTokens };
  }

  /** Id of a vocabulary entry as written in tokenizer.json (byte-level pieces use "Ġ" for a space). */
  idOf(token: string): number | null {
    return this.table.idOf(token);
  }
}
