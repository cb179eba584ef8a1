// Writes a safetensors file: used by the tests to build checkpoints and by the trainer to save them.
// The write is atomic (temp file in the same folder, fsync, rename), so a crash or a full disk leaves
// either the old file or the new one, never half a checkpoint that the loader would then refuse.

import type { FileHandle } from 'node:fs/promises';

import { replaceFileAtomic } from '../common/atomic-write.js';
import { ELEMENT_BYTES } from './safetensors.js';
import type { TensorDType } from './types.js';

export { float32ToBF16Bits, float32ToF16Bits, toBF16Bytes, toF16Bytes, toF32Bytes } from './float-bits.js';

export interface TensorToWrite {
  name: string;
  // U8: the 4-bit blocks of a chain linear, `X.q4_0` / `X.q4_k` [rows, bytes per row] (docs/FORMAT-Q4.md).
  dtype: TensorDType | 'U8';
  shape: number[];
  data: Uint8Array; // little-endian element bytes, length = product(shape) * element size
}

// safetensors pads the header with spaces so the data section starts 8-byte aligned.
const HEADER_ALIGNMENT = 8;

function elementCount(shape: number[]): number {
  return shape.reduce((product, dim) => product * dim, 1);
}

/** The 8-byte length prefix and the padded JSON header for these tensors, laid out in order. */
export function encodeSafetensorsHeader(tensors: TensorToWrite[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) header['__metadata__'] = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const tensor of tensors) {
    if (tensor.name === '__metadata__' || seen.has(tensor.name)) {
      throw new Error(`writeSafetensors: tensor name ${JSON.stringify(tensor.name)} is reserved or repeated`);
    }
    seen.add(tensor.name);
    const expected = elementCount(tensor.shape) * (tensor.dtype === 'U8' ? 1 : ELEMENT_BYTES[tensor.dtype]);
    if (tensor.data.byteLength !== expected) {
      throw new Error(`writeSafetensors: tensor ${JSON.stringify(tensor.name)} has ${tensor.data.byteLength} bytes, shape needs ${expected}`);
    }
    // defineProperty keeps a tensor literally named "__proto__" an ordinary key.
    Object.defineProperty(header, tensor.name, {
      value: { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + expected] },
      enumerable: true,
      writable: true,
      configurable: true,
    });
    offset += expected;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / HEADER_ALIGNMENT) * HEADER_ALIGNMENT;
  const bytes = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return bytes;
}

export async function writeSafetensors(path: string, tensors: TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const header = encodeSafetensorsHeader(tensors, metadata);
  await replaceFileAtomic(path, async (handle) => {
    let position = await writeAll(handle, header, 0);
    for (const tensor of tensors) position = await writeAll(handle, tensor.data, position);
  });
}

/** Writes every byte at `position` (write may be partial) and returns the position after them. */
async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<number> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
  return position + done;
}
