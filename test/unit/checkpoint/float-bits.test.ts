import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bf16BitsToFloat32,
  f16BitsToFloat32,
  float32Bits,
  float32FromBits,
  float32ToBF16Bits,
  float32ToF16Bits,
  toBF16Bytes,
  toF16Bytes,
  toF32Bytes,
} from '../../../app/checkpoint/float-bits.js';

describe('float32 -> F16', () => {
  it('converts exact values and specials', () => {
    expect(float32ToF16Bits(0)).toBe(0x0000);
    expect(float32ToF16Bits(-0)).toBe(0x8000);
    expect(float32ToF16Bits(1)).toBe(0x3c00);
    expect(float32ToF16Bits(-2)).toBe(0xc000);
    expect(float32ToF16Bits(65504)).toBe(0x7bff);
    expect(float32ToF16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(float32ToF16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(float32ToF16Bits(Infinity)).toBe(0x7c00);
    expect(float32ToF16Bits(-Infinity)).toBe(0xfc00);
    expect(float32ToF16Bits(NaN) & 0x7c00).toBe(0x7c00);
    expect(float32ToF16Bits(NaN) & 0x3ff).not.toBe(0);
  });

  it('rounds to nearest, ties to even', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(float32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // 1 + 3*2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9 (even): goes up.
    expect(float32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(float32ToF16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    expect(float32ToF16Bits(65519)).toBe(0x7bff); // below the halfway point to 65536
    expect(float32ToF16Bits(65520)).toBe(0x7c00); // halfway, rounds to even = infinity
    expect(float32ToF16Bits(2 ** -25)).toBe(0x0000); // halfway to the smallest subnormal: even is 0
    expect(float32ToF16Bits(2 ** -25 + 2 ** -35)).toBe(0x0001);
    expect(float32ToF16Bits(3 * 2 ** -25)).toBe(0x0002); // halfway between 1 and 2 subnormal steps
    expect(float32ToF16Bits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normals
  });

  it('round-trips every finite F16 value', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7c00) !== 0x7c00 && float32ToF16Bits(f16BitsToFloat32(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('picks the nearest F16 value (property)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, min: -65504, max: 65504 }), (x) => {
        const got = f16BitsToFloat32(float32ToF16Bits(x));
        const bits = float32ToF16Bits(x) & 0x7fff;
        const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
        const neighbours = [bits - 1, bits + 1].filter((b) => b >= 0 && b < 0x7c00).map((b) => f16BitsToFloat32(sign | b));
        for (const n of neighbours) expect(Math.abs(got - x)).toBeLessThanOrEqual(Math.abs(n - x));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('float32 -> BF16', () => {
  it('converts and rounds to nearest even', () => {
    expect(float32ToBF16Bits(1)).toBe(0x3f80);
    expect(float32ToBF16Bits(-2)).toBe(0xc000);
    expect(float32ToBF16Bits(float32FromBits(0x3f808000))).toBe(0x3f80); // tie, even stays
    expect(float32ToBF16Bits(float32FromBits(0x3f818000))).toBe(0x3f82); // tie, odd goes up
    expect(float32ToBF16Bits(float32FromBits(0x3f808001))).toBe(0x3f81);
    expect(float32ToBF16Bits(float32FromBits(0x7f7fffff))).toBe(0x7f80); // max float rounds to inf
    expect(float32ToBF16Bits(-Infinity)).toBe(0xff80);
    const nan = float32ToBF16Bits(NaN);
    expect(nan & 0x7f80).toBe(0x7f80);
    expect(nan & 0x7f).not.toBe(0);
    // A NaN whose payload sits only in the low bits must stay NaN, not become infinity.
    expect(float32ToBF16Bits(float32FromBits(0x7f800001)) & 0x7f).not.toBe(0);
  });

  it('round-trips every finite BF16 value', () => {
    const wrong: number[] = [];
    for (let bits = 0; bits < 0x10000; bits++) {
      if ((bits & 0x7f80) !== 0x7f80 && float32ToBF16Bits(bf16BitsToFloat32(bits)) !== bits) wrong.push(bits);
    }
    expect(wrong).toEqual([]);
  });

  it('matches truncation plus the round bit (property)', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true }), (x) => {
        const bits = float32Bits(x);
        const expected = Math.floor((bits + 0x7fff + ((bits >>> 16) & 1)) / 65536) & 0xffff;
        expect(float32ToBF16Bits(x)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('byte packing', () => {
  it('writes little-endian elements', () => {
    expect([...toF32Bytes([1])]).toEqual([0x00, 0x00, 0x80, 0x3f]);
    expect([...toF16Bytes([1, -2])]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
    expect([...toBF16Bytes([1])]).toEqual([0x80, 0x3f]);
  });
});
