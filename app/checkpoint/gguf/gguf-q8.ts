// The q8_0 form of docs/FORMAT-Q8.md (`.qweight` int8 [rows, cols] + `.qscale` F16 [rows, cols/32])
// from GGUF data: a GGUF Q8_0 tensor is the same numbers interleaved per block ({d, 32 x int8}),
// so it is split without any rounding; other types are quantized from their exact float32 values
// with FORMAT-Q8.md's rule (absmax / 127 as F16, round to nearest, ties away from zero).

import { f16BitsToFloat32, float32ToF16Bits } from '../float-bits.js';

export const Q8_BLOCK = 32;
const Q8_0_BLOCK_BYTES = 34;

export interface Q8Parts {
  qweight: Uint8Array; // int8 values, rows * cols bytes
  qscale: Uint8Array; // F16 little-endian, rows * cols/32 * 2 bytes
}

/** Splits GGUF Q8_0 blocks (rows of cols/32 blocks) into .qweight and .qscale. Exact. */
export function splitQ8_0(bytes: Uint8Array, rows: number, cols: number): Q8Parts {
  const blocks = (rows * cols) / Q8_BLOCK;
  const qweight = new Uint8Array(rows * cols);
  const qscale = new Uint8Array(blocks * 2);
  for (let k = 0; k < blocks; k++) {
    const at = k * Q8_0_BLOCK_BYTES;
    qscale[2 * k] = bytes[at]!;
    qscale[2 * k + 1] = bytes[at + 1]!;
    qweight.set(bytes.subarray(at + 2, at + Q8_0_BLOCK_BYTES), k * Q8_BLOCK);
  }
  return { qweight, qscale };
}

/**
 * FORMAT-Q8.md's quantization of a row-major float32 matrix whose rows are whole blocks of 32
 * (GGUF rows always are). Returns null if a block's scale overflows F16 (absmax > 127 * 65504).
 */
export function quantizeQ8(values: Float32Array, rows: number, cols: number): Q8Parts | null {
  const blocks = (rows * cols) / Q8_BLOCK;
  const qweight = new Int8Array(rows * cols);
  const qscale = new Uint8Array(blocks * 2);
  for (let k = 0; k < blocks; k++) {
    const c0 = k * Q8_BLOCK;
    let absmax = 0;
    for (let i = c0; i < c0 + Q8_BLOCK; i++) {
      const a = Math.abs(values[i]!);
      if (a > absmax) absmax = a;
    }
    const bits = float32ToF16Bits(absmax / 127);
    const scale = f16BitsToFloat32(bits);
    if (!Number.isFinite(scale)) return null;
    qscale[2 * k] = bits & 0xff;
    qscale[2 * k + 1] = bits >> 8;
    if (scale === 0) continue;
    for (let i = c0; i < c0 + Q8_BLOCK; i++) {
      const x = values[i]! / scale;
      const q = x < 0 ? -Math.round(-x) : Math.round(x);
      qweight[i] = q > 127 ? 127 : q < -127 ? -127 : q;
    }
  }
  return { qweight: new Uint8Array(qweight.buffer), qscale };
}

/** q * scale in float32, as the engine reads a q8_0 matrix (scales F16, or F32 when `scaleType` says so). */
export function dequantizeQ8(parts: Q8Parts, count: number, scaleType: 'F16' | 'F32' = 'F16'): Float32Array {
  const out = new Float32Array(count);
  const q = new Int8Array(parts.qweight.buffer, parts.qweight.byteOffset, count);
  const f32 = scaleType === 'F32' ? new Float32Array(parts.qscale.slice().buffer) : null;
  for (let k = 0; k < count / Q8_BLOCK; k++) {
    const scale = f32 ? f32[k]! : f16BitsToFloat32(parts.qscale[2 * k]! | (parts.qscale[2 * k + 1]! << 8));
    for (let i = k * Q8_BLOCK; i < (k + 1) * Q8_BLOCK; i++) out[i] = Math.fround(q[i]! * scale);
  }
  return out;
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
  const blockBytes = type === 'Q4_0' ? 18 : 22;
  const factor = type === 'Q4_0' ? 8 : 4;
  const qweight = new Int8Array(rows * cols);
  const scales = new Float32Array(blocks);
  for (let k = 0; k < blocks; k++) {
    const at = k * blockBytes;
    scales[k] = f16BitsToFloat32(bytes[at]! | (bytes[at + 1]! << 8)) / factor; // exact in float32
    const o = k * Q8_BLOCK;
    if (type === 'Q4_0') {
      for (let j = 0; j < 16; j++) {
        const byte = bytes[at + 2 + j]!;
        qweight[o + j] = ((byte & 0x0f) - 8) * factor;
        qweight[o + j + 16] = ((byte >> 4) - 8) * factor;
      }
    } else {
      const qh = bytes[at + 2]! | (bytes[at + 3]! << 8) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 24);
      for (let j = 0; j < 16; j++) {
        const byte = bytes[at + 6 + j]!;
        qweight[o + j] = (((byte & 0x0f) | (((qh >>> j) << 4) & 0x10)) - 16) * factor;
        qweight[o + j + 16] = (((byte >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16) * factor;
      }
    }
  }
  return { qweight: new Uint8Array(qweight.buffer), qscale: new Uint8Array(scales.buffer) };
}
