// ggml block types -> float32, exactly: each value is computed with the same float32 operations, in
// the same order, as gguf-py's reference (gguf/quants.py, itself ggml's dequantize_row_*), so the
// result is bit for bit what transformers and llama.cpp's reference use. Math.fround after every
// product and sum keeps JavaScript's float64 arithmetic at float32.
//
// Block layouts (ggml-common.h), all little-endian, `d`/`dmin`/`m` are F16:
//   Q4_0  {d, qs[16]}                      y = d * (nibble - 8)
//   Q4_1  {d, m, qs[16]}                   y = d * nibble + m
//   Q5_0  {d, qh u32, qs[16]}              y = d * (nibble | bit << 4) - 16 ... (as below)
//   Q5_1  {d, m, qh u32, qs[16]}
//   Q8_0  {d, qs[32] int8}                 y = q * d
//   Q2_K  {scales[16], qs[64], d, dmin}    256 values in 16 groups of 16
//   Q3_K  {hmask[32], qs[64], scales[12], d}
//   Q4_K  {d, dmin, scales[12], qs[128]}   8 groups of 32, 6-bit scales and mins
//   Q5_K  {d, dmin, scales[12], qh[32], qs[128]}
//   Q6_K  {ql[128], qh[64], scales[16] int8, d}

import { f16BitsToFloat32 } from '../float-bits.js';
import { ggmlTypeInfo } from './ggml-types.js';
import type { GgmlTypeName } from './gguf-types.js';

const fr = Math.fround;

let f16Table: Float32Array | null = null;
function f16(bytes: Uint8Array, at: number): number {
  if (f16Table === null) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToFloat32(h);
  }
  return f16Table[bytes[at]! | (bytes[at + 1]! << 8)]!;
}

type BlockDecoder = (b: Uint8Array, at: number, out: Float32Array, o: number) => void;

function q4_0(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  for (let j = 0; j < 16; j++) {
    const byte = b[at + 2 + j]!;
    out[o + j] = fr(d * ((byte & 0x0f) - 8));
    out[o + j + 16] = fr(d * ((byte >> 4) - 8));
  }
}

function q4_1(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  const m = f16(b, at + 2);
  for (let j = 0; j < 16; j++) {
    const byte = b[at + 4 + j]!;
    out[o + j] = fr(fr(d * (byte & 0x0f)) + m);
    out[o + j + 16] = fr(fr(d * (byte >> 4)) + m);
  }
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

function q5_0(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  const qh = u32(b, at + 2);
  for (let j = 0; j < 16; j++) {
    const byte = b[at + 6 + j]!;
    const lo = (byte & 0x0f) | (((qh >>> j) & 1) << 4);
    const hi = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
    out[o + j] = fr(d * (lo - 16));
    out[o + j + 16] = fr(d * (hi - 16));
  }
}

function q5_1(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  const m = f16(b, at + 2);
  const qh = u32(b, at + 4);
  for (let j = 0; j < 16; j++) {
    const byte = b[at + 8 + j]!;
    const lo = (byte & 0x0f) | (((qh >>> j) & 1) << 4);
    const hi = (byte >> 4) | (((qh >>> (j + 16)) & 1) << 4);
    out[o + j] = fr(fr(d * lo) + m);
    out[o + j + 16] = fr(fr(d * hi) + m);
  }
}

function q8_0(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  for (let j = 0; j < 32; j++) out[o + j] = fr(((b[at + 2 + j]! << 24) >> 24) * d);
}

function q2_K(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at + 80);
  const dmin = f16(b, at + 82);
  for (let half = 0; half < 2; half++) {
    for (let s = 0; s < 4; s++) {
      for (let l = 0; l < 32; l++) {
        const i = half * 128 + s * 32 + l;
        const sc = b[at + (i >> 4)]!;
        const dl = fr(d * (sc & 0x0f));
        const ml = fr(dmin * (sc >> 4));
        const q = (b[at + 16 + half * 32 + l]! >> (2 * s)) & 3;
        out[o + i] = fr(fr(dl * q) - ml);
      }
    }
  }
}

function q3_K(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at + 108);
  const sc = at + 96;
  const dl = new Array<number>(16);
  for (let j = 0; j < 16; j++) {
    const low = (b[sc + (j & 7)]! >> (4 * (j >> 3))) & 0x0f;
    const high = (b[sc + 8 + (j & 3)]! >> (2 * (j >> 2))) & 0x03;
    dl[j] = fr(d * ((low | (high << 4)) - 32));
  }
  for (let half = 0; half < 2; half++) {
    for (let s = 0; s < 4; s++) {
      for (let l = 0; l < 32; l++) {
        const i = half * 128 + s * 32 + l;
        const low = (b[at + 32 + half * 32 + l]! >> (2 * s)) & 3;
        const bit = ((b[at + l]! >> (half * 4 + s)) & 1) ^ 1; // the offset 4 applies when the mask bit is 0
        out[o + i] = fr(dl[i >> 4]! * (low - (bit << 2)));
      }
    }
  }
}

/** Q4_K/Q5_K's 12 bytes of 6-bit scales and mins for 8 groups. */
function scaleMin(b: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [b[at + j]! & 0x3f, b[at + 4 + j]! & 0x3f];
  const k = j - 4;
  return [(b[at + 8 + k]! & 0x0f) | ((b[at + k]! >> 2) & 0x30), (b[at + 8 + k]! >> 4) | ((b[at + 4 + k]! >> 2) & 0x30)];
}

function q4_K(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  const dmin = f16(b, at + 2);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMin(b, at + 4, j);
    const dd = fr(d * sc);
    const dm = fr(dmin * m);
    const chunk = at + 16 + (j >> 1) * 32;
    const shift = (j & 1) * 4;
    for (let l = 0; l < 32; l++) out[o + j * 32 + l] = fr(fr(dd * ((b[chunk + l]! >> shift) & 0x0f)) - dm);
  }
}

function q5_K(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at);
  const dmin = f16(b, at + 2);
  for (let j = 0; j < 8; j++) {
    const [sc, m] = scaleMin(b, at + 4, j);
    const dd = fr(d * sc);
    const dm = fr(dmin * m);
    const chunk = at + 48 + (j >> 1) * 32;
    const shift = (j & 1) * 4;
    for (let l = 0; l < 32; l++) {
      const q = ((b[chunk + l]! >> shift) & 0x0f) | (((b[at + 16 + l]! >> j) & 1) << 4);
      out[o + j * 32 + l] = fr(fr(dd * q) - dm);
    }
  }
}

function q6_K(b: Uint8Array, at: number, out: Float32Array, o: number): void {
  const d = f16(b, at + 208);
  for (let i = 0; i < 256; i++) {
    const h = i >> 7; // which half of the block
    const r = i & 127;
    const low = (b[at + h * 64 + (r & 63)]! >> (4 * (r >> 6))) & 0x0f;
    const high = (b[at + 128 + h * 32 + (r & 31)]! >> (2 * (r >> 5))) & 0x03;
    const scale = (b[at + 192 + (i >> 4)]! << 24) >> 24;
    out[o + i] = fr(fr(d * scale) * ((low | (high << 4)) - 32));
  }
}

const DECODERS: Partial<Record<GgmlTypeName, BlockDecoder>> = { Q4_0: q4_0, Q4_1: q4_1, Q5_0: q5_0, Q5_1: q5_1, Q8_0: q8_0, Q2_K: q2_K, Q3_K: q3_K, Q4_K: q4_K, Q5_K: q5_K, Q6_K: q6_K };

/**
 * The float32 values of `count` elements stored as `type` in `bytes` (GGUF order: row after row).
 * Float types widen exactly; block types dequantize as ggml does.
 */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array, count: number): Float32Array {
  const out = new Float32Array(count);
  if (type === 'F32') {
    new Uint8Array(out.buffer).set(bytes.subarray(0, count * 4));
    return out;
  }
  if (type === 'F16') {
    for (let i = 0; i < count; i++) out[i] = f16(bytes, 2 * i);
    return out;
  }
  if (type === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = (bytes[2 * i]! | (bytes[2 * i + 1]! << 8)) << 16;
    return out;
  }
  const decode = DECODERS[type];
  const info = ggmlTypeInfo(type);
  if (!decode || count % info.blockSize !== 0) throw new Error(`dequantize: ${type} of ${count} elements`);
  const blocks = count / info.blockSize;
  for (let k = 0; k < blocks; k++) decode(bytes, k * info.typeSize, out, k * info.blockSize);
  return out;
}
