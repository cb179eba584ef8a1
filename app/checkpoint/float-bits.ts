// float32 <-> F16 / BF16 bit patterns, rounding to nearest, ties to even (what PyTorch's .half() and
// .bfloat16() do), so files we write hold the same bits a PyTorch trainer would have written.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The IEEE binary32 bits of x after rounding x to float32. */
export function float32Bits(x: number): number {
  f32[0] = x;
  return u32[0] ?? 0;
}

export function float32FromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0] ?? 0;
}

/** Rounds `value` right by `shift` bits, to nearest with ties to even. */
function shiftRoundEven(value: number, shift: number): number {
  const kept = Math.floor(value / 2 ** shift);
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

/** float32 -> IEEE binary16 bits. Overflow gives infinity, NaN stays NaN (quiet). */
export function float32ToF16Bits(x: number): number {
  const bits = float32Bits(x);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | (mantissa !== 0 ? 0x7e00 : 0x7c00);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 31) return sign | 0x7c00;
  if (halfExponent <= 0) {
    // Subnormal half (or zero): the implicit 1 becomes explicit and shifts into the mantissa.
    // Below 2^-25 everything rounds to zero, and shifting 25+ bits would not fit the arithmetic.
    if (halfExponent < -10) return sign;
    return sign | shiftRoundEven(mantissa | 0x800000, 14 - halfExponent);
  }
  // A carry out of the mantissa bumps the exponent, which is exactly right (up to infinity).
  return sign | shiftRoundEven((halfExponent << 23) | mantissa, 13);
}

/** float32 -> bfloat16 bits: the top half of the float32 bits, rounded to nearest even. */
export function float32ToBF16Bits(x: number): number {
  const bits = float32Bits(x);
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return ((bits >>> 16) | 0x40) & 0xffff;
  return shiftRoundEven(bits, 16) & 0xffff;
}

export function f16BitsToFloat32(half: number): number {
  const sign = half & 0x8000 ? -1 : 1;
  const exponent = (half >>> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa !== 0 ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function bf16BitsToFloat32(bits: number): number {
  return float32FromBits((bits & 0xffff) << 16);
}

function packU16(values: ArrayLike<number>, convert: (x: number) => number): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(i * 2, convert(values[i] ?? 0), true);
  return bytes;
}

/** Little-endian F32 bytes, as safetensors stores them. */
export function toF32Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return bytes;
}

export function toF16Bytes(values: ArrayLike<number>): Uint8Array {
  return packU16(values, float32ToF16Bits);
}

export function toBF16Bytes(values: ArrayLike<number>): Uint8Array {
  return packU16(values, float32ToBF16Bits);
}
