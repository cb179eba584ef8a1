// Q8_0 block quantization of a row-major float matrix (docs/FORMAT-Q8.md): each row is cut into
// blocks of 32 columns (the last may be shorter); a block stores scale = absmax / 127, rounded to
// the scale dtype, and q = round(x / scale) to nearest, ties away from zero, clamped to [-127, 127].
// The quantization uses the scale as stored, so an F16 scale's rounding is already accounted for.

import { f16BitsToFloat32, float32ToF16Bits } from '../checkpoint/float-bits.js';

export const Q8_BLOCK = 32;

export type ScaleDType = 'F16' | 'F32';

export interface Q8Matrix {
  rows: number;
  cols: number;
  scaleDtype: ScaleDType;
  qweight: Int8Array; // rows * cols
  qscale: Float32Array; // rows * blocks, the stored scales widened to float32
}

export function q8Blocks(cols: number): number {
  return Math.ceil(cols / Q8_BLOCK);
}

/** The scale a block of this absmax stores, as the float32 it reads back as. */
function storedScale(absmax: number, scaleDtype: ScaleDType): number {
  const scale = absmax / 127;
  return scaleDtype === 'F32' ? Math.fround(scale) : f16BitsToFloat32(float32ToF16Bits(scale));
}

/**
 * Quantizes `values` (rows x cols, row-major). Returns null for the first block whose scale is not
 * finite in `scaleDtype` (an F16 scale overflows past absmax 127 * 65504), with its row.
 */
export function quantizeQ8Rows(values: Float32Array, rows: number, cols: number, scaleDtype: ScaleDType): Q8Matrix | { overflowRow: number } {
  const blocks = q8Blocks(cols);
  const qweight = new Int8Array(rows * cols);
  const qscale = new Float32Array(rows * blocks);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let b = 0; b < blocks; b++) {
      const c0 = rowStart + b * Q8_BLOCK;
      const c1 = Math.min(rowStart + cols, c0 + Q8_BLOCK);
      let absmax = 0;
      for (let i = c0; i < c1; i++) {
        const a = Math.abs(values[i]!);
        if (a > absmax) absmax = a;
      }
      if (!Number.isFinite(absmax)) return { overflowRow: r };
      const scale = storedScale(absmax, scaleDtype);
      if (!Number.isFinite(scale)) return { overflowRow: r };
      qscale[r * blocks + b] = scale;
      if (scale === 0) continue; // an all-zero block (or one below the smallest scale): q stays 0
      for (let i = c0; i < c1; i++) {
        const x = values[i]! / scale;
        // Math.round rounds ties up (-2.5 -> -2); FORMAT-Q8.md rounds ties away from zero.
        const q = x < 0 ? -Math.round(-x) : Math.round(x);
        qweight[i] = q > 127 ? 127 : q < -127 ? -127 : q;
      }
    }
  }
  return { rows, cols, scaleDtype, qweight, qscale };
}

/** q * scale of its block, as the engine's scalar reference computes it (one float32 product). */
export function dequantizeQ8Rows(m: Q8Matrix): Float32Array {
  const blocks = q8Blocks(m.cols);
  const out = new Float32Array(m.rows * m.cols);
  for (let r = 0; r < m.rows; r++) {
    for (let c = 0; c < m.cols; c++) {
      out[r * m.cols + c] = Math.fround(m.qweight[r * m.cols + c]! * m.qscale[r * blocks + Math.floor(c / Q8_BLOCK)]!);
    }
  }
  return out;
}

/** The .qweight and .qscale bytes as safetensors stores them (little-endian). */
export function q8Bytes(m: Q8Matrix): { qweight: Uint8Array; qscale: Uint8Array } {
  const qweight = new Uint8Array(m.qweight.buffer, m.qweight.byteOffset, m.qweight.byteLength);
  if (m.scaleDtype === 'F32') {
    const bytes = new Uint8Array(m.qscale.length * 4);
    const view = new DataView(bytes.buffer);
    m.qscale.forEach((s, i) => view.setFloat32(i * 4, s, true));
    return { qweight, qscale: bytes };
  }
  const bytes = new Uint8Array(m.qscale.length * 2);
  const view = new DataView(bytes.buffer);
  m.qscale.forEach((s, i) => view.setUint16(i * 2, float32ToF16Bits(s), true));
  return { qweight, qscale: bytes };
}
