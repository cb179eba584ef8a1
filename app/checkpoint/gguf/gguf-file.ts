// Reads and checks the parts of a GGUF file that come before the weights: header, metadata and
// tensor infos. The weights themselves are never read here. Every count and length in the file is
// checked against the bytes that are left BEFORE anything is allocated for it, so a hostile file can
// neither make us read past its end nor allocate more than it could hold.
//
// Layout (little-endian; llama.cpp's ggml/docs/gguf.md):
//   "GGUF" magic, u32 version (2 or 3), u64 tensor_count, u64 metadata_kv_count,
//   metadata_kv_count x { string key, u32 value_type, value },
//   tensor_count x { string name, u32 n_dims, n_dims x u64 ne, u32 ggml_type, u64 offset },
//   padding to general.alignment, then the data section; offsets are relative to its start.
//   string = u64 length + UTF-8 bytes; array = u32 element type + u64 count + elements.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { CheckpointError } from '../errors.js';
import { describeGgmlType, GGML_TYPES } from './ggml-types.js';
import type { GgufFile, GgufMetadata, GgufTensorInfo, GgufValue } from './gguf-types.js';

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
const MAX_ARRAY_DEPTH = 8; // real files nest arrays at most once; deeper only costs stack
const MAX_ARRAY_ELEMENTS = 1 << 24; // a vocabulary of 16M entries is far past any real model
const MAX_NAME_BYTES = 1 << 16;

const VALUE_TYPE_NAMES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'];
// Smallest number of bytes a value of each type takes, for checking counts before allocating.
const MIN_VALUE_BYTES = [1, 1, 2, 2, 4, 4, 4, 1, 8, 12, 8, 8, 8];

/** Random access to the bytes of a file (or of a buffer, for tests and fuzzing). */
export interface ByteSource {
  readonly size: number;
  /** Copies `length` bytes at `position` into `target` (the caller keeps both inside `size`). */
  readInto(target: Uint8Array, position: number, length: number): void;
}

export function bufferSource(bytes: Uint8Array): ByteSource {
  return { size: bytes.length, readInto: (target, position, length) => target.set(bytes.subarray(position, position + length)) };
}

class FileSource implements ByteSource {
  readonly size: number;
  constructor(private readonly fd: number) {
    this.size = fstatSync(fd).size;
  }
  readInto(target: Uint8Array, position: number, length: number): void {
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, target, done, length - done, position + done);
      if (n === 0) throw new Error('file shrank while it was being read');
      done += n;
    }
  }
}

const CHUNK = 1 << 20;
const decoder = new TextDecoder('utf-8', { ignoreBOM: true }); // a token may be U+FEFF itself

/** A read position over a ByteSource with a 1 MiB window, so metadata is not read a value at a time. */
class Cursor {
  pos = 0;
  private window = new Uint8Array(0);
  private view = new DataView(this.window.buffer);
  private windowStart = 0;

  constructor(
    private readonly source: ByteSource,
    readonly file: string,
  ) {}

  get remaining(): number {
    return this.source.size - this.pos;
  }

  fail(rule: string, subject: { tensor?: string; key?: string } = {}): never {
    throw new CheckpointError(this.file, rule, subject);
  }

  /** Makes the next n bytes readable through `view` and returns their index in it. */
  private need(n: number, what: string, subject: { tensor?: string; key?: string }): number {
    if (n > this.remaining) this.fail(`${what} at byte ${this.pos} runs past the end of the file (${this.source.size} bytes)`, subject);
    const at = this.pos - this.windowStart;
    if (at >= 0 && at + n <= this.window.length) return at;
    const length = Math.min(Math.max(CHUNK, n), this.source.size - this.pos);
    this.window = new Uint8Array(length);
    this.source.readInto(this.window, this.pos, length);
    this.view = new DataView(this.window.buffer);
    this.windowStart = this.pos;
    return 0;
  }

  u32(what: string, subject: { tensor?: string; key?: string } = {}): number {
    const at = this.need(4, what, subject);
    this.pos += 4;
    return this.view.getUint32(at, true);
  }

  /** A u64 as a number; values past 2^53 are returned as Infinity (every caller refuses them as too large). */
  u64(what: string, subject: { tensor?: string; key?: string } = {}): number {
    const at = this.need(8, what, subject);
    this.pos += 8;
    const value = this.view.getBigUint64(at, true);
    return value > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(value);
  }

  bytes(n: number, what: string, subject: { tensor?: string; key?: string }): Uint8Array {
    const at = this.need(n, what, subject);
    this.pos += n;
    return this.window.subarray(at, at + n);
  }

  string(what: string, subject: { tensor?: string; key?: string } = {}, maxBytes = Infinity): string {
    const length = this.u64(`length of ${what}`, subject);
    if (length > this.remaining) {
      this.fail(`${what}: length ${length === Infinity ? '>= 2^53' : length} at byte ${this.pos - 8} runs past the end of the file (${this.source.size} bytes)`, subject);
    }
    if (length > maxBytes) this.fail(`${what}: length ${length} is longer than ${maxBytes} bytes`, subject);
    return decoder.decode(this.bytes(length, what, subject));
  }

  scalar(type: number, key: string): GgufValue {
    const subject = { key };
    const what = `value of type ${VALUE_TYPE_NAMES[type]}`;
    // take() may move the window, so each read uses the view only after it.
    const read = <T>(n: number, get: (view: DataView, at: number) => T): T => {
      const at = this.take(n, what, subject);
      return get(this.view, at);
    };
    switch (type) {
      case 0: return read(1, (v, at) => v.getUint8(at));
      case 1: return read(1, (v, at) => v.getInt8(at));
      case 2: return read(2, (v, at) => v.getUint16(at, true));
      case 3: return read(2, (v, at) => v.getInt16(at, true));
      case 4: return read(4, (v, at) => v.getUint32(at, true));
      case 5: return read(4, (v, at) => v.getInt32(at, true));
      case 6: return read(4, (v, at) => v.getFloat32(at, true));
      case 7: {
        const byte = read(1, (v, at) => v.getUint8(at));
        if (byte > 1) this.fail(`bool value ${byte} is neither 0 nor 1`, subject);
        return byte === 1;
      }
      case 8: return this.string('string value', subject);
      case 10: return exactOrBig(read(8, (v, at) => v.getBigUint64(at, true)));
      case 11: return exactOrBig(read(8, (v, at) => v.getBigInt64(at, true)));
      case 12: return read(8, (v, at) => v.getFloat64(at, true));
      default: return this.fail(`value type ${type} is not a GGUF type (0..12)`, subject);
    }
  }

  private take(n: number, what: string, subject: { key?: string }): number {
    const at = this.need(n, what, subject);
    this.pos += n;
    return at;
  }

  value(type: number, key: string, depth = 0): GgufValue {
    if (type !== 9) return this.scalar(type, key);
    if (depth >= MAX_ARRAY_DEPTH) this.fail(`arrays nested deeper than ${MAX_ARRAY_DEPTH}`, { key });
    const elementType = this.u32('array element type', { key });
    if (elementType > 12) this.fail(`array element type ${elementType} is not a GGUF type (0..12)`, { key });
    const count = this.u64('array length', { key });
    const minBytes = MIN_VALUE_BYTES[elementType] ?? 1;
    if (count > this.remaining / minBytes) {
      this.fail(`array of ${count === Infinity ? '>= 2^53' : count} ${VALUE_TYPE_NAMES[elementType]} at byte ${this.pos - 8} runs past the end of the file (${this.source.size} bytes)`, { key });
    }
    if (count > MAX_ARRAY_ELEMENTS) this.fail(`array of ${count} elements is longer than ${MAX_ARRAY_ELEMENTS}`, { key });
    const out: GgufValue[] = new Array<GgufValue>(count);
    for (let i = 0; i < count; i++) out[i] = this.value(elementType, key, depth + 1);
    return out;
  }
}

function exactOrBig(value: bigint): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value;
}

function alignUp(position: number, alignment: number): number {
  return Math.ceil(position / alignment) * alignment;
}

function readAlignment(cursor: Cursor, metadata: GgufMetadata): number {
  const value = metadata.get('general.alignment');
  if (value === undefined) return DEFAULT_ALIGNMENT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0 || (value & (value - 1)) !== 0 || value > 1 << 30) {
    cursor.fail(`must be a power of two, got ${String(value)}`, { key: 'general.alignment' });
  }
  return value;
}

interface RawTensorInfo {
  name: string;
  ne: number[]; // GGUF order: ne[0] is the row length
  typeId: number;
  relativeOffset: number;
}

function readTensorInfo(cursor: Cursor, index: number): RawTensorInfo {
  const name = cursor.string(`name of tensor ${index}`, {}, MAX_NAME_BYTES);
  if (name.length === 0) cursor.fail(`tensor ${index} has an empty name`);
  const subject = { tensor: name };
  const nDims = cursor.u32('n_dims', subject);
  if (nDims === 0 || nDims > MAX_DIMS) cursor.fail(`n_dims ${nDims} must be 1 to ${MAX_DIMS}`, subject);
  const ne: number[] = [];
  for (let d = 0; d < nDims; d++) {
    const dim = cursor.u64(`dimension ${d}`, subject);
    if (dim === 0) cursor.fail(`dimension ${d} is 0 (every dimension must be positive)`, subject);
    if (dim === Infinity) cursor.fail(`dimension ${d} is >= 2^53, larger than any file`, subject);
    ne.push(dim);
  }
  const typeId = cursor.u32('type', subject);
  const relativeOffset = cursor.u64('offset', subject);
  return { name, ne, typeId, relativeOffset };
}

/** Type, shape and byte range of one tensor, checked against the file and its alignment. */
function checkTensor(cursor: Cursor, raw: RawTensorInfo, dataOffset: number, alignment: number, fileSize: number): GgufTensorInfo {
  const subject = { tensor: raw.name };
  const type = GGML_TYPES.get(raw.typeId);
  if (!type) cursor.fail(`${describeGgmlType(raw.typeId)} is not supported (this reader takes F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K)`, subject);
  const rowLength = raw.ne[0] ?? 0;
  if (rowLength % type.blockSize !== 0) {
    cursor.fail(`row length ${rowLength} is not a multiple of ${type.name}'s block of ${type.blockSize}`, subject);
  }
  // Bytes = blocks per row * bytes per block * rows. Stop as soon as it passes the file size:
  // the product of four u64 dimensions could be far past 2^53.
  let byteLength = (rowLength / type.blockSize) * type.typeSize;
  for (const dim of raw.ne.slice(1)) {
    byteLength *= dim;
    if (byteLength > fileSize) break;
  }
  const shapeText = `[${[...raw.ne].reverse().join(', ')}]`;
  if (byteLength > fileSize) cursor.fail(`shape ${shapeText} of ${type.name} needs more bytes than the whole file holds (${fileSize})`, subject);
  if (raw.relativeOffset === Infinity) cursor.fail('offset is >= 2^53, past the end of the file', subject);
  if (raw.relativeOffset % alignment !== 0) cursor.fail(`offset ${raw.relativeOffset} is not a multiple of general.alignment ${alignment}`, subject);
  const offset = dataOffset + raw.relativeOffset;
  if (offset > fileSize) cursor.fail(`offset ${raw.relativeOffset} is past the end of the file (data section starts at ${dataOffset}, file has ${fileSize} bytes)`, subject);
  if (offset + byteLength > fileSize) {
    cursor.fail(`shape ${shapeText} of ${type.name} needs ${byteLength} bytes at offset ${raw.relativeOffset}, but the file ends ${fileSize - offset} bytes after it (tensor too small for its shape)`, subject);
  }
  return { name: raw.name, shape: [...raw.ne].reverse(), type: type.name, offset, byteLength };
}

function refuseOverlaps(cursor: Cursor, tensors: GgufTensorInfo[]): void {
  const sorted = [...tensors].sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1]!;
    const tensor = sorted[i]!;
    if (tensor.offset < before.offset + before.byteLength) {
      cursor.fail(`data overlaps the data of ${JSON.stringify(before.name)}`, { tensor: tensor.name });
    }
  }
}

/** Parses and checks everything before the data section; `file` names the file in every refusal. */
export function parseGguf(file: string, source: ByteSource): GgufFile {
  const cursor = new Cursor(source, file);
  if (source.size < 4) cursor.fail(`is ${source.size} bytes long, too short for a GGUF file`);
  const magic = cursor.u32('magic');
  if (magic !== MAGIC) cursor.fail('bad magic: not a GGUF file (its first 4 bytes are not "GGUF")');
  const version = cursor.u32('version');
  if (version !== 2 && version !== 3) {
    const hint = version === 1 ? ' (version 1 files predate 64-bit counts; convert the file again with a newer llama.cpp)' : version > 0xffff ? ' (a big-endian file?)' : '';
    cursor.fail(`version ${version} is not supported (only GGUF versions 2 and 3 are)${hint}`);
  }
  const tensorCount = cursor.u64('tensor count');
  const kvCount = cursor.u64('metadata count');
  // A key-value pair takes at least 13 bytes, a tensor info at least 24 (+8 per dimension).
  if (kvCount > cursor.remaining / 13) cursor.fail(`metadata count ${kvCount === Infinity ? '>= 2^53' : kvCount} runs past the end of the file`);
  if (tensorCount > cursor.remaining / 32) cursor.fail(`tensor count ${tensorCount === Infinity ? '>= 2^53' : tensorCount} runs past the end of the file`);

  const metadata: GgufMetadata = new Map();
  for (let i = 0; i < kvCount; i++) {
    const key = cursor.string(`key of metadata entry ${i}`, {}, MAX_NAME_BYTES);
    const type = cursor.u32('value type', { key });
    if (type > 12) cursor.fail(`value type ${type} is not a GGUF type (0..12)`, { key });
    const value = cursor.value(type, key);
    if (metadata.has(key)) cursor.fail('appears twice in the metadata', { key });
    metadata.set(key, value);
  }
  const alignment = readAlignment(cursor, metadata);

  const raws: RawTensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const raw = readTensorInfo(cursor, i);
    if (names.has(raw.name)) cursor.fail('appears twice in the tensor infos (duplicate tensor name)', { tensor: raw.name });
    names.add(raw.name);
    raws.push(raw);
  }
  const dataOffset = alignUp(cursor.pos, alignment);
  if (raws.length > 0 && dataOffset > source.size) cursor.fail(`data section would start at byte ${dataOffset}, past the end of the file (${source.size} bytes)`);
  const tensors = raws.map((raw) => checkTensor(cursor, raw, dataOffset, alignment, source.size));
  refuseOverlaps(cursor, tensors);
  return { path: file, version, metadata, tensors, alignment, dataOffset, fileSize: source.size };
}

/** readGgufFile for bytes in memory (tests and fuzzing). */
export function parseGgufBytes(file: string, bytes: Uint8Array): GgufFile {
  return parseGguf(file, bufferSource(bytes));
}

/** Reads the header, metadata and tensor infos of a GGUF file with positioned reads, never the whole file. */
export async function readGgufFile(file: string): Promise<GgufFile> {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    throw new CheckpointError(file, `cannot be read (${(error as Error).message})`);
  }
  try {
    return parseGguf(file, new FileSource(fd));
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(file, `cannot be read (${(error as Error).message})`);
  } finally {
    closeSync(fd);
  }
}
