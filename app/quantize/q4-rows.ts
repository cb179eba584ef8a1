// 4-bit block quantization of a row-major float matrix in llama.cpp's layouts (docs/FORMAT-Q4.md),
// the same rules as native/src/quant_q4.cpp (float32 arithmetic through Math.fround):
// - Q4_0, 32 weights in 18 bytes {F16 d, 16 bytes of nibbles}: d = (the value of largest
//   magnitude, signed) / -8, q = min(15, trunc(x / d + 8.5)); llama.cpp's reference rule, bit for
//   bit as gguf-py's Q4_0.quantize. Low nibbles hold elements 0..15, high nibbles 16..31.
// - Q4_K, 256 weights in 144 bytes {F16 d, F16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes
//   of nibbles}: per sub-block of 32 its range (min clipped to <= 0) over 15 steps; d and dmin the
//   largest step and min over 63; 6-bit scales rounded up, mins to nearest; q = round((x + dmin*m) /
//   (d*sc)) clamped to [0, 15]. A plain min/max rule, not llama.cpp's iterative search, in the same
//   layout (any Q4_K reader decodes it).

import { f16BitsToFloat32, float32ToF16Bits } from '../checkpoint/float-bits.js';

export type Q4Type = 'q4_0' | 'q4_k';
export const Q4_LAYOUT: Readonly<Record<Q4Type, { blockWeights: number; blockBytes: number }>> = {
  q4_0: { blockWeights: 32, blockBytes: 18 },
  q4_k: { blockWeights: 256, blockBytes: 144 },
};

const f = Math.fround;

function putF16(out: Uint8Array, at: number, bits: number): void {
  out[at] = bits & 0xff;
  out[at + 1] = bits >> 8;
}

function quantizeBlockQ4_0(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let amax = 0;
  let max = 0;
  for (let i = 0; i < 32; i++) {
    const a = Math.abs(x[at + i]!);
    if (a > amax) {
      amax = a;
      max = x[at + i]!;
    }
  }
  const d = f(max / -8);
  const id = d !== 0 ? f(1 / d) : 0;
  putF16(out, o, float32ToF16Bits(d));
  for (let i = 0; i < 16; i++) {
    const q0 = Math.min(15, Math.trunc(f(f(x[at + i]! * id) + 8.5)));
    const q1 = Math.min(15, Math.trunc(f(f(x[at + i + 16]! * id) + 8.5)));
    out[o + 2 + i] = q0 | (q1 << 4);
  }
}

function quantizeBlockQ4K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  const scale = new Float32Array(8);
  const minv = new Float32Array(8);
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let lo = 0;
    let hi = x[at + 32 * j]!;
    for (let i = 0; i < 32; i++) {
      const v = x[at + 32 * j + i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    scale[j] = f(Math.max(0, f(hi - lo)) / 15);
    minv[j] = -lo;
    maxScale = Math.max(maxScale, scale[j]!);
    maxMin = Math.max(maxMin, minv[j]!);
  }
  const dh = float32ToF16Bits(f(maxScale / 63));
  const dmh = float32ToF16Bits(f(maxMin / 63));
  putF16(out, o, dh);
  putF16(out, o + 2, dmh);
  const d = f16BitsToFloat32(dh);
  const dmin = f16BitsToFloat32(dmh);
  const sc = new Uint8Array(8);
  const m = new Uint8Array(8);
  for (let j = 0; j < 8; j++) {
    sc[j] = d > 0 ? Math.min(63, Math.ceil(f(scale[j]! / d))) : 0;
    m[j] = dmin > 0 ? Math.min(63, Math.round(f(minv[j]! / dmin))) : 0;
  }
  const s = o + 4;
  out.fill(0, s, s + 12 + 128);
  for (let j = 0; j < 8; j++) {
    if (j < 4) {
      out[s + j]! |= sc[j]! & 63;
      out[s + j + 4]! |= m[j]! & 63;
    } else {
      out[s + j + 4] = (sc[j]! & 0xf) | ((m[j]! & 0xf) << 4);
      out[s + j - 4]! |= (sc[j]! >> 4) << 6;
      out[s + j]! |= (m[j]! >> 4) << 6;
    }
  }
  const qs = o + 16;
  for (let j = 0; j < 8; j++) {
    const ds = f(d * sc[j]!);
    const dm = f(dmin * m[j]!);
    for (let i = 0; i < 32; i++) {
      let q = ds > 0 ? Math.round(f(f(x[at + 32 * j + i]! + dm) / ds)) : 0;
      q = Math.max(0, Math.min(15, q));
      out[qs + 32 * (j >> 1) + i]! |= q << ((j & 1) * 4);
    }
  }
}

/** rows x cols (cols a multiple of the block) as blocks, row after row: rows * cols / block * bytes. */
export function quantizeQ4Rows(type: Q4Type, values: Float32Array, rows: number, cols: number): Uint8Array {
  const { blockWeights, blockBytes } = Q4_LAYOUT[type];
  const blocks = (rows * cols) / blockWeights;
  const out = new Uint8Array(blocks * blockBytes);
  for (let b = 0; b < blocks; b++) {
    if (type === 'q4_0') quantizeBlockQ4_0(values, b * blockWeights, out, b * blockBytes);
    else quantizeBlockQ4K(values, b * blockWeights, out, b * blockBytes);
  }
  return out;
}

/** The float32 values the engine reads back (as gguf-py dequantizes). */
export function dequantizeQ4Rows(type: Q4Type, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  const h = (at: number) => f16BitsToFloat32(bytes[at]! | (bytes[at + 1]! << 8));
  if (type === 'q4_0') {
    for (let b = 0; b < count / 32; b++) {
      const o = b * 18;
      const d = h(o);
      for (let i = 0; i < 16; i++) {
        out[b * 32 + i] = f(d * ((bytes[o + 2 + i]! & 15) - 8));
        out[b * 32 + i + 16] = f(d * ((bytes[o + 2 + i]! >> 4) - 8));
      }
    }
    return out;
  }
  for (let b = 0; b < count / 256; b++) {
    const o = b * 144;
    const d = h(o);
    const dmin = h(o + 2);
    const s = o + 4;
    for (let j = 0; j < 8; j++) {
      const sc = j < 4 ? bytes[s + j]! & 63 : (bytes[s + j + 4]! & 0xf) | ((bytes[s + j - 4]! >> 6) << 4);
      const m = j < 4 ? bytes[s + j + 4]! & 63 : (bytes[s + j + 4]! >> 4) | ((bytes[s + j]! >> 6) << 4);
      const ds = f(d * sc);
      const dm = f(dmin * m);
      for (let i = 0; i < 32; i++) {
        const q = (bytes[o + 16 + 32 * (j >> 1) + i]! >> ((j & 1) * 4)) & 15;
        out[b * 256 + 32 * j + i] = f(f(ds * q) - dm);
      }
    }
  }
  return out;
}
