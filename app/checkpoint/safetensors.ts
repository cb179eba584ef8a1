// Reads and checks the header of a safetensors file without touching its data: the engine maps the
// data itself, so everything the header says about it must be proven in bounds here first.
// Layout: u64 little-endian N, then N bytes of JSON, then the data section. Every tensor entry is
// {dtype, shape, data_offsets: [begin, end]} with offsets relative to the data section.

import { open } from 'node:fs/promises';
import { CheckpointError } from './errors.js';
import { describeValue, isJsonObject } from './json-values.js';
import type { PlanDType, Q8Split, TensorDType } from './types.js';

export interface SafetensorsTensor {
  name: string;
  // Q4_0 / Q4_K: a U8 tensor `X.q4_0` / `X.q4_k` of whole blocks (docs/FORMAT-Q4.md), read as the
  // weight `X.weight` of shape [rows, cols] in weights.
  dtype: PlanDType;
  shape: number[];
  offset: number; // absolute byte offset in the file: 8 + N + begin
  byteLength: number;
  /** Only a GGUF's Q8_0 tensors split at load (TensorEntry.q8Split). */
  q8Split?: Q8Split;
}

export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  headerLength: number; // N
  dataStart: number; // 8 + N
  metadata: Record<string, string>; // __metadata__, empty when absent
  tensors: SafetensorsTensor[]; // in header order
}

export const ELEMENT_BYTES: Readonly<Record<TensorDType, number>> = { F32: 4, F16: 2, BF16: 2, I8: 1 };

// A real header is a few hundred KiB at most; refusing bigger ones keeps a hostile file from making
// us allocate gigabytes before the first check.
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

const HEADER_LENGTH_BYTES = 8;

// I8 is read for q8_0 checkpoints (docs/FORMAT-Q8.md); whether an I8 tensor may stand where it
// stands is for the tensor matcher to say, which knows the config.
function isDType(value: unknown): value is TensorDType {
  return value === 'F32' || value === 'F16' || value === 'BF16' || value === 'I8';
}

/** The header length N from the first 8 bytes, refused when it cannot fit in the file. */
export function decodeHeaderLength(file: string, first8: Uint8Array, fileSize: number): number {
  if (fileSize === 0) throw new CheckpointError(file, 'file is empty');
  if (fileSize < HEADER_LENGTH_BYTES || first8.length < HEADER_LENGTH_BYTES) {
    throw new CheckpointError(file, `file is ${fileSize} bytes, too short for a safetensors header`);
  }
  const view = new DataView(first8.buffer, first8.byteOffset, HEADER_LENGTH_BYTES);
  const length = view.getBigUint64(0, true);
  const room = BigInt(fileSize - HEADER_LENGTH_BYTES);
  if (length > room) {
    throw new CheckpointError(file, `header length ${length} is larger than the ${room} bytes after it (not a safetensors file, or truncated)`);
  }
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new CheckpointError(file, `header length ${length} is larger than ${MAX_HEADER_BYTES} bytes`);
  }
  if (length < 2n) throw new CheckpointError(file, `header length ${length} is too small to hold a JSON object`);
  return Number(length);
}

function decodeHeaderJson(file: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CheckpointError(file, 'header is not valid UTF-8');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CheckpointError(file, `header is not valid JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(parsed)) throw new CheckpointError(file, `header must be a JSON object, got ${describeValue(parsed)}`);
  return parsed;
}

function readMetadata(file: string, value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw new CheckpointError(file, '__metadata__ must be an object of strings', { key: '__metadata__' });
  for (const [key, text] of Object.entries(value)) {
    if (typeof text !== 'string') {
      throw new CheckpointError(file, `__metadata__ values must be strings, got ${describeValue(text)}`, { key });
    }
  }
  // fromEntries defines own properties, so a key named "__proto__" stays plain data.
  return Object.fromEntries(Object.entries(value as Record<string, string>));
}

function isByteCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function readTensorEntry(file: string, name: string, entry: unknown, dataStart: number, dataSize: number): SafetensorsTensor {
  const fail = (rule: string): never => {
    throw new CheckpointError(file, rule, { tensor: name });
  };
  if (!isJsonObject(entry)) return fail(`entry must be an object, got ${describeValue(entry)}`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') return fail(`dtype must be a string, got ${describeValue(dtype)}`);
  if (dtype === 'U8') return readQ4Entry(file, name, shape, offsets, dataStart, dataSize);
  if (!isDType(dtype)) return fail(`dtype ${describeValue(dtype)} is not supported (only F32, F16, BF16, and I8 for quantized weights)`);
  if (!Array.isArray(shape) || !shape.every(isByteCount)) {
    return fail(`shape must be a list of non-negative integers, got ${describeValue(shape)}`);
  }
  const dims = shape as number[];
  // BigInt: a product of honest-looking dims (2^20 * 2^20 * 2^20) must not wrap or round.
  const byteCount = dims.reduce((product, dim) => product * BigInt(dim), BigInt(ELEMENT_BYTES[dtype]));
  if (byteCount > BigInt(dataSize)) {
    return fail(`shape ${describeValue(dims)} needs ${byteCount} bytes but the file holds only ${dataSize} bytes of data`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isByteCount)) {
    return fail(`data_offsets must be [begin, end] with non-negative integers, got ${describeValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) return fail(`data_offsets [${begin}, ${end}] end before they begin`);
  if (end > dataSize) {
    return fail(`data_offsets end at ${end} but the file holds only ${dataSize} bytes of data (file truncated?)`);
  }
  if (BigInt(end - begin) !== byteCount) {
    return fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${describeValue(dims)} needs ${byteCount}`);
  }
  return { name, dtype, shape: dims, offset: dataStart + begin, byteLength: end - begin };
}

/** Bytes per block and weights per block of the 4-bit layouts, by the suffix that names them. */
export const Q4_SUFFIXES: Readonly<Record<string, { dtype: 'Q4_0' | 'Q4_K'; blockBytes: number; blockWeights: number }>> = {
  '.q4_0': { dtype: 'Q4_0', blockBytes: 18, blockWeights: 32 },
  '.q4_k': { dtype: 'Q4_K', blockBytes: 144, blockWeights: 256 },
};

/** A U8 tensor `X.q4_0` / `X.q4_k` [rows, blocks * block bytes] as the Q4 weight `X.weight` [rows, cols]. */
function readQ4Entry(file: string, name: string, shape: unknown, offsets: unknown, dataStart: number, dataSize: number): SafetensorsTensor {
  const fail = (rule: string): never => {
    throw new CheckpointError(file, rule, { tensor: name });
  };
  const suffix = Object.keys(Q4_SUFFIXES).find((s) => name.endsWith(s));
  if (suffix === undefined) return fail('dtype "U8" is only for 4-bit blocks, in a tensor named X.q4_0 or X.q4_k (docs/FORMAT-Q4.md)');
  const layout = Q4_SUFFIXES[suffix]!;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every(isByteCount)) {
    return fail(`shape must be [rows, bytes per row] for ${layout.dtype} blocks, got ${describeValue(shape)}`);
  }
  const [rows, rowBytes] = shape as [number, number];
  if (rowBytes % layout.blockBytes !== 0) return fail(`has ${rowBytes} bytes per row, not a whole number of ${layout.blockBytes}-byte ${layout.dtype} blocks`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isByteCount)) {
    return fail(`data_offsets must be [begin, end] with non-negative integers, got ${describeValue(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin || end > dataSize) return fail(`data_offsets [${begin}, ${end}] do not fit the ${dataSize} bytes of data`);
  if (end - begin !== rows * rowBytes) return fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but U8 [${rows}, ${rowBytes}] needs ${rows * rowBytes}`);
  const weightName = name.slice(0, -suffix.length) + '.weight';
  return { name: weightName, dtype: layout.dtype, shape: [rows, (rowBytes / layout.blockBytes) * layout.blockWeights], offset: dataStart + begin, byteLength: end - begin };
}

/** Two tensors may not share a byte; empty tensors occupy nothing and may sit anywhere. */
function refuseOverlaps(file: string, tensors: SafetensorsTensor[]): void {
  const occupied = tensors.filter((t) => t.byteLength > 0).sort((a, b) => a.offset - b.offset);
  let previous: SafetensorsTensor | undefined;
  for (const tensor of occupied) {
    if (previous && tensor.offset < previous.offset + previous.byteLength) {
      throw new CheckpointError(file, `data overlaps tensor ${JSON.stringify(previous.name)}`, { tensor: tensor.name });
    }
    if (!previous || tensor.offset + tensor.byteLength > previous.offset + previous.byteLength) previous = tensor;
  }
}

/** Checks the JSON header bytes of a file of `fileSize` bytes whose header length is bytes.length. */
export function parseSafetensorsHeader(file: string, headerBytes: Uint8Array, fileSize: number): SafetensorsHeader {
  const headerLength = headerBytes.length;
  const dataStart = HEADER_LENGTH_BYTES + headerLength;
  const dataSize = fileSize - dataStart;
  if (dataSize < 0) throw new CheckpointError(file, `header length ${headerLength} runs past the end of the file`);
  const json = decodeHeaderJson(file, headerBytes);
  const metadata = readMetadata(file, json['__metadata__']);
  const tensors: SafetensorsTensor[] = [];
  for (const [name, entry] of Object.entries(json)) {
    if (name === '__metadata__') continue;
    tensors.push(readTensorEntry(file, name, entry, dataStart, dataSize));
  }
  refuseOverlaps(file, tensors);
  return { file, fileSize, headerLength, dataStart, metadata, tensors };
}

/** The same checks as readSafetensorsHeader on a whole file already in memory (tests, fuzzing). */
export function parseSafetensorsBytes(file: string, bytes: Uint8Array): SafetensorsHeader {
  const headerLength = decodeHeaderLength(file, bytes.subarray(0, HEADER_LENGTH_BYTES), bytes.length);
  return parseSafetensorsHeader(file, bytes.subarray(HEADER_LENGTH_BYTES, HEADER_LENGTH_BYTES + headerLength), bytes.length);
}

/** FileHandle.read may return fewer bytes than asked; a short file is a truncated header. */
async function readExactly(handle: Awaited<ReturnType<typeof open>>, file: string, length: number, position: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) throw new CheckpointError(file, `file ended after ${position + filled} bytes while reading the header`);
    filled += bytesRead;
  }
  return buffer;
}

function describeOpenError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EISDIR') return 'is a folder, not a safetensors file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot be read (${(error as Error).message})`;
}

/** Reads only the header of the safetensors file at `file`, never its data. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new CheckpointError(file, describeOpenError(error));
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new CheckpointError(file, 'is not a regular file');
    const fileSize = stats.size;
    const first8 = fileSize >= HEADER_LENGTH_BYTES ? await readExactly(handle, file, HEADER_LENGTH_BYTES, 0) : new Uint8Array(0);
    const headerLength = decodeHeaderLength(file, first8, fileSize);
    const headerBytes = await readExactly(handle, file, headerLength, HEADER_LENGTH_BYTES);
    return parseSafetensorsHeader(file, headerBytes, fileSize);
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(file, `cannot be read (${(error as Error).message})`);
  } finally {
    await handle.close();
  }
}
