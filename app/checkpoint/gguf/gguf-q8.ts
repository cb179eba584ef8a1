// The q8_0 form of docs/FORMAT-Q8.md (`.qweight` int8 [rows, cols] + `.qscale` F16 [rows, cols/32])
// from GGUF data: a GGUF Q8_0 tensor is the same numbers interleaved per block ({d, 32 x int8}),
// so it is split without any rounding; other types are quantized from their exact float32 values
// with FORMAT-Q8.md's rule (absmax / 127 as F16, round to nearest, ties away from zero).
// These loops run over every weight of a model at load, so they work on whole tensors through
// 16/32-bit views and lookup tables, with no allocation or DataView per block. Like the rest of
// the loader (F32 scales written as a Float32Array's bytes), they assume a little-endian host.

import { f16BitsToFloat32, float32ToF16Bits } from '../float-bits.js';

export const Q8_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 34;

export interface Q8Parts {
  qweight: Uint8Array; // int8 values, rows * cols bytes
  qscale: Uint8Array; // F16 little-endian, rows * cols/32 * 2 bytes (F32 for widenToQ8)
}

let f16Table: Float32Array | null = null;

/** Every F16 bit pattern as float32 (256 KiB, built once): one lookup per block scale. */
export function f16ToF32Table(): Float32Array {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToFloat32(h);
  }
  return f16Table;
}

/** `bytes` as 16-bit words (a copy only when it starts at an odd byte offset). */
function u16View(bytes: Uint8Array, words: number): Uint16Array {
  const even = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice(0, words * 2);
  return new Uint16Array(even.buffer, even.byteOffset, words);
}

/** Splits GGUF Q8_0 blocks (rows of cols/32 blocks) into .qweight and .qscale. Exact. */
export function splitQ8_0(bytes: Uint8Array, rows: number, cols: number): Q8Parts {
  const blocks = (rows * cols) / Q8_BLOCK;
  // A block is 17 words ({d, 16 words of int8 pairs}) and starts at an even byte: copy word by
  // word, which keeps every byte where it was (no endianness involved).
  const src = u16View(bytes, blocks * (Q8_0_BLOCK_BYTES / 2));
  const qweight = new Uint8Array(rows * cols);
  const q = new Uint16Array(qweight.buffer);
  const scales = new Uint16Array(blocks);
  for (let k = 0, i = 0, o = 0; k < blocks; k++, i += 17, o += 16) {
    scales[k] = src[i]!;
    q[o] = src[i + 1]!;
    q[o + 1] = src[i + 2]!;
    q[o + 2] = src[i + 3]!;
    q[o + 3] = src[i + 4]!;
    q[o + 4] = src[i + 5]!;
    q[o + 5] = src[i + 6]!;
    q[o + 6] = src[i + 7]!;
    q[o + 7] = src[i + 8]!;
    q[o + 8] = src[i + 9]!;
    q[o + 9] = src[i + 10]!;
    q[o + 10] = src[i + 11]!;
    q[o + 11] = src[i + 12]!;
    q[o + 12] = src[i + 13]!;
    q[o + 13] = src[i + 14]!;
    q[o + 14] = src[i + 15]!;
    q[o + 15] = src[i + 16]!;
  }
  return { qweight, qscale: new Uint8Array(scales.buffer) };
}

/**
 * FORMAT-Q8.md's quantization of a row-major float32 matrix whose rows are whole blocks of 32
 * (GGUF rows always are). Returns null if a block's scale overflows F16 (absmax > 127 * 65504).
 */
export function quantizeQ8(values: Float32Array, rows: number, cols: number): Q8Parts | null {
  const blocks = (rows * cols) / Q8_BLOCK;
  const table = f16ToF32Table();
  const qweight = new Int8Array(rows * cols);
  const scales = new Uint16Array(blocks);
  for (let k = 0; k < blocks; k++) {
    const c0 = k * Q8_BLOCK;
    const c1 = c0 + Q8_BLOCK;
    let absmax = 0;
    for (let i = c0; i < c1; i++) {
      const v = values[i]!;
      const a = v < 0 ? -v : v;
      if (a > absmax) absmax = a;
    }
    const bits = float32ToF16Bits(absmax / 127);
    const scale = table[bits]!;
    if (!Number.isFinite(scale)) return null;
    scales[k] = bits;
    if (scale === 0) continue;
    for (let i = c0; i < c1; i++) {
      const x = values[i]! / scale;
      const q = x < 0 ? -Math.round(-x) : Math.round(x);
      qweight[i] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { qweight: new Uint8Array(qweight.buffer), qscale: new Uint8Array(scales.buffer) };
}

/** q * scale in float32, as the engine reads a q8_0 matrix (scales F16, or F32 when `scaleType` says so). */
export function dequantizeQ8(parts: Q8Parts, count: number, scaleType: 'F16' | 'F32' = 'F16'): Float32Array {
  const out = new Float32Array(count);
  const q = new Int8Array(parts.qweight.buffer, parts.qweight.byteOffset, count);
  const f32 = scaleType === 'F32' ? new Float32Array(parts.qscale.slice().buffer) : null;
  const table = f16ToF32Table();
  for (let k = 0; k < count / Q8_BLOCK; k++) {
    const scale = f32 ? f32[k]! : table[parts.qscale[2 * k]! | (parts.qscale[2 * k + 1]! << 8)]!;
    for (let i = k * Q8_BLOCK; i < (k + 1) * Q8_BLOCK; i++) out[i] = q[i]! * scale; // exact in float32
  }
  return out;
}

// Q4_0 byte -> its low (resp. high) nibble v as the q8_0 integer 8 * (v - 8), one byte in an int32.
let nibbleTables: { low: Int32Array; high: Int32Array } | null = null;
function q4Tables(): { low: Int32Array; high: Int32Array } {
  if (nibbleTables === null) {
    const low = new Int32Array(256);
    const high = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      low[b] = (((b & 0x0f) - 8) * 8) & 0xff;
      high[b] = (((b >> 4) - 8) * 8) & 0xff;
    }
    nibbleTables = { low, high };
  }
  return nibbleTables;
}

/**
 * Q4_0 and Q5_0 carried into q8_0 without rounding: their values are d * v with a small integer v
 * (Q4_0: v in [-8, 7]; Q5_0: v in [-16, 15]), which q8_0 holds exactly as (d / 8) * 8v, resp.
 * (d / 4) * 4v, both in [-64, 60]. The scales are written as F32 (FORMAT-Q8.md allows F32 or F16
 * per tensor): d / 8 of an F16 d is always a float32, while as an F16 it would lose bits whenever
 * it falls into F16's subnormal range (blocks whose values are all below ~4e-3).
 */
export function widenToQ8(type: 'Q4_0' | 'Q5_0', bytes: Uint8Array, rows: number, cols: number): Q8Parts {
  const blocks = (rows * cols) / Q8_BLOCK;
  const table = f16ToF32Table();
  const qweight = new Int8Array(rows * cols);
  const scales = new Float32Array(blocks);
  if (type === 'Q4_0') {
    // Four int8 outputs packed into one int32 word, lowest address in the low byte.
    const { low, high } = q4Tables();
    const words = new Int32Array(qweight.buffer);
    for (let k = 0, at = 0, w = 0; k < blocks; k++, at += 18, w += 8) {
      scales[k] = table[bytes[at]! | (bytes[at + 1]! << 8)]! / 8; // exact in float32
      for (let j = 0; j < 4; j++) {
        const b0 = bytes[at + 2 + 4 * j]!;
        const b1 = bytes[at + 3 + 4 * j]!;
        const b2 = bytes[at + 4 + 4 * j]!;
        const b3 = bytes[at + 5 + 4 * j]!;
        words[w + j] = low[b0]! | (low[b1]! << 8) | (low[b2]! << 16) | (low[b3]! << 24);
        words[w + 4 + j] = high[b0]! | (high[b1]! << 8) | (high[b2]! << 16) | (high[b3]! << 24);
      }
    }
    return { qweight: new Uint8Array(qweight.buffer), qscale: new Uint8Array(scales.buffer) };
  }
  for (let k = 0, at = 0, o = 0; k < blocks; k++, at += 22, o += Q8_BLOCK) {
    scales[k] = table[bytes[at]! | (bytes[at + 1]! << 8)]! / 4; // exact in float32
    const qh = bytes[at + 2]! | (bytes[at + 3]! << 8) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 24);
    for (let j = 0; j < 16; j++) {
      const byte = bytes[at + 6 + j]!;
      qweight[o + j] = (((byte & 0x0f) | (((qh >>> j) << 4) & 0x10)) - 16) * 4;
      qweight[o + j + 16] = (((byte >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * 4;
    }
  }
  return { qweight: new Uint8Array(qweight.buffer), qscale: new Uint8Array(scales.buffer) };
}
