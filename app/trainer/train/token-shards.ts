// The corpus as token shards: every document (corpus file) encoded once, ended by the EOS token,
// and written as raw little-endian ids (uint16 when the vocabulary fits, else int32) in shards of
// at most SHARD_TOKENS, with a manifest that says what made them. A later run (or --resume) with
// the same corpus and tokenizer reads the shards instead of encoding again.
//
// Held-out data: every 50th document (HOLDOUT_EVERY) goes to the evaluation shards; with fewer
// documents than that, the last 2% of every document's tokens does.

import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { TextTokenizer } from '../../checkpoint/tokenizer.js';
import { brownFileText } from '../tokenizer/brown-corpus.js';
import { writeFileAtomic as writeTextAtomically } from '../../common/atomic-write.js';
import { TrainError } from './train-error.js';

export type CorpusFormat = 'text' | 'brown';
export type TokenArray = Uint16Array | Int32Array;

export const HOLDOUT_EVERY = 50;
const SHARD_TOKENS = 1 << 24;

export interface ShardManifest {
  version: 1;
  key: string; // sha256 of the tokenizer and of every corpus file's path, size and mtime
  dtype: 'uint16' | 'int32';
  train: { file: string; tokens: number }[];
  eval: { file: string; tokens: number }[];
  documents: number;
}

export interface TokenData {
  train: TokenArray[];
  eval: TokenArray[];
  manifest: ShardManifest;
}

async function corpusKey(files: string[], format: CorpusFormat, tokenizerText: string): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`format ${format}\n`);
  hash.update(tokenizerText);
  for (const file of files) {
    let info;
    try {
      info = await stat(file);
    } catch {
      throw new TrainError(`corpus file ${file} does not exist`);
    }
    if (!info.isFile()) throw new TrainError(`corpus file ${file} is not a file`);
    hash.update(`\n${file}\t${info.size}\t${info.mtimeMs}`);
  }
  return hash.digest('hex');
}

async function readText(file: string, format: CorpusFormat): Promise<string> {
  const bytes = await readFile(file);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new TrainError(`corpus file ${file} is not UTF-8 text`);
  }
  return format === 'brown' ? brownFileText(text) : text;
}

function pack(ids: number[], dtype: ShardManifest['dtype']): TokenArray {
  return dtype === 'uint16' ? Uint16Array.from(ids) : Int32Array.from(ids);
}

function bytesOf(a: TokenArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Splits a token stream into shards of at most SHARD_TOKENS. */
function shards(ids: number[], dtype: ShardManifest['dtype']): TokenArray[] {
  const out: TokenArray[] = [];
  for (let i = 0; i < ids.length; i += SHARD_TOKENS) out.push(pack(ids.slice(i, i + SHARD_TOKENS), dtype));
  return out;
}

async function readShards(dir: string, list: { file: string; tokens: number }[], dtype: ShardManifest['dtype']): Promise<TokenArray[]> {
  const out: TokenArray[] = [];
  for (const { file, tokens } of list) {
    const bytes = await readFile(join(dir, file));
    const size = dtype === 'uint16' ? 2 : 4;
    if (bytes.byteLength !== tokens * size) throw new TrainError(`token shard ${join(dir, file)} has ${bytes.byteLength} bytes, its manifest says ${tokens * size}`);
    const copy = new Uint8Array(bytes.byteLength);
    copy.set(bytes);
    out.push(dtype === 'uint16' ? new Uint16Array(copy.buffer) : new Int32Array(copy.buffer));
  }
  return out;
}

export async function loadShards(dir: string): Promise<TokenData | null> {
  let manifest: ShardManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ShardManifest;
  } catch {
    return null;
  }
  return { manifest, train: await readShards(dir, manifest.train, manifest.dtype), eval: await readShards(dir, manifest.eval, manifest.dtype) };
}

export interface ShardOptions {
  dir: string; // where shards and manifest live
  corpusFiles: string[];
  format: CorpusFormat;
  tokenizerJsonText: string;
  tokenizerConfig: Record<string, unknown> | null;
  log: (line: string) => void;
}

/** Reads the shards in `dir` when they were made from this corpus and tokenizer; makes them otherwise. */
export async function prepareShards(o: ShardOptions): Promise<TokenData> {
  if (o.corpusFiles.length === 0) throw new TrainError('no corpus files given (--corpus FILE...)');
  const key = await corpusKey(o.corpusFiles, o.format, o.tokenizerJsonText);
  const existing = await loadShards(o.dir);
  if (existing && existing.manifest.key === key) {
    o.log(`token shards: reusing ${o.dir} (${count(existing.train)} training and ${count(existing.eval)} held-out tokens)`);
    return existing;
  }
  const tokenizer = TextTokenizer.fromJson(JSON.parse(o.tokenizerJsonText) as unknown, o.tokenizerConfig, 'tokenizer.json');
  const eos = tokenizer.eosTokenIds[0] ?? null;
  const dtype: ShardManifest['dtype'] = tokenizer.vocabSize <= 65536 ? 'uint16' : 'int32';
  const train: number[] = [];
  const evalIds: number[] = [];
  const started = performance.now();
  const many = o.corpusFiles.length >= HOLDOUT_EVERY;
  for (let d = 0; d < o.corpusFiles.length; d++) {
    const file = o.corpusFiles[d]!;
    const ids = tokenizer.encode(await readText(file, o.format));
    if (eos !== null) ids.push(eos);
    if (many) {
      const target = d % HOLDOUT_EVERY === HOLDOUT_EVERY - 1 ? evalIds : train;
      for (const id of ids) target.push(id);
    } else {
      const cut = ids.length - Math.max(1, Math.floor(ids.length * 0.02));
      for (let i = 0; i < ids.length; i++) (i < cut ? train : evalIds).push(ids[i]!);
    }
    if ((d + 1) % 50 === 0 || d + 1 === o.corpusFiles.length)
      o.log(`encoding the corpus: ${d + 1}/${o.corpusFiles.length} files, ${train.length + evalIds.length} tokens (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  }
  if (train.length === 0) throw new TrainError('the corpus holds no tokens');
  await mkdir(o.dir, { recursive: true });
  const trainShards = shards(train, dtype);
  const evalShards = shards(evalIds, dtype);
  const manifest: ShardManifest = {
    version: 1,
    key,
    dtype,
    train: trainShards.map((s, i) => ({ file: `train-${String(i).padStart(5, '0')}.bin`, tokens: s.length })),
    eval: evalShards.map((s, i) => ({ file: `eval-${String(i).padStart(5, '0')}.bin`, tokens: s.length })),
    documents: o.corpusFiles.length,
  };
  for (const [list, data] of [[manifest.train, trainShards], [manifest.eval, evalShards]] as const)
    for (let i = 0; i < list.length; i++) await writeFile(join(o.dir, list[i]!.file), bytesOf(data[i]!));
  await writeTextAtomically(join(o.dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
  o.log(`token shards: ${train.length} training and ${evalIds.length} held-out tokens in ${o.dir}`);
  return { manifest, train: trainShards, eval: evalShards };
}

export function count(shards: TokenArray[]): number {
  return shards.reduce((n, s) => n + s.length, 0);
}
