// The addon's Sampler class from JS: option validation (TypeError for a wrong type, RangeError
// for a value out of range, each naming the field), params with defaults, seeded determinism,
// greedy, top-k, the optional recent-token penalty and argument checks on sample().
import { createRequire } from 'node:module';
import { describe, expect, test } from 'vitest';

interface SamplerOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  repeatLastN?: number;
  seed?: number | bigint;
}
interface SamplerParams {
  temperature: number;
  topK: number;
  topP: number;
  minP: number;
  repeatPenalty: number;
  repeatLastN: number;
  seed: bigint;
}
interface NativeSampler {
  sample(logits: Float32Array, recent?: Int32Array): number;
  readonly params: SamplerParams;
}
interface Addon {
  Sampler: new (options?: SamplerOptions) => NativeSampler;
}

const addon = createRequire(import.meta.url)('../../build/native/Release/colm.node') as Addon;
const { Sampler } = addon;

// Deterministic pseudo-random logits in [-4, 4), independent of the sampler's RNG.
function testLogits(n: number, salt: number): Float32Array {
  const out = new Float32Array(n);
  let x = (2463534242 ^ salt) >>> 0;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = (x % 8000) / 1000 - 4;
  }
  return out;
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

function draws(sampler: NativeSampler, logits: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(sampler.sample(logits));
  return out;
}

const plain = { topK: 0, topP: 1, minP: 0, repeatPenalty: 1 };

describe('Sampler options', () => {
  test('defaults come from SamplerParams', () => {
    expect(new Sampler().params).toEqual({
      temperature: 0.8,
      topK: 40,
      topP: 0.95,
      minP: 0.05,
      repeatPenalty: 1,
      repeatLastN: 64,
      seed: 0n,
    });
    expect(new Sampler({}).params.topK).toBe(40);
    expect(new Sampler(undefined).params.topK).toBe(40);
  });

  test('given options show up in params', () => {
    const params = new Sampler({
      temperature: 0,
      topK: 5,
      topP: 0.9,
      minP: 0,
      repeatPenalty: 1.1,
      repeatLastN: -1,
      seed: 123,
    }).params;
    expect(params).toEqual({
      temperature: 0,
      topK: 5,
      topP: 0.9,
      minP: 0,
      repeatPenalty: 1.1,
      repeatLastN: -1,
      seed: 123n,
    });
  });

  test('seed takes a number or a BigInt over the full 64 bits', () => {
    expect(new Sampler({ seed: 2 ** 53 - 1 }).params.seed).toBe(2n ** 53n - 1n);
    expect(new Sampler({ seed: 2n ** 64n - 1n }).params.seed).toBe(2n ** 64n - 1n);
    expect(new Sampler({ seed: 0n }).params.seed).toBe(0n);
  });

  test('a wrong type is a TypeError naming the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ temperature: '1' }, /^temperature must be/],
      [{ topK: 1n }, /^topK must be/],
      [{ topP: null }, /^topP must be a number in \[0, 1\]$/],
      [{ minP: true }, /^minP must be a number in \[0, 1\]$/],
      [{ repeatPenalty: {} }, /^repeatPenalty must be/],
      [{ repeatLastN: '64' }, /^repeatLastN must be/],
      [{ seed: '7' }, /^seed must be/],
    ];
    for (const [options, message] of cases) {
      expect(() => new Sampler(options as SamplerOptions)).toThrow(TypeError);
      expect(() => new Sampler(options as SamplerOptions)).toThrow(message);
    }
    expect(() => new Sampler(5 as unknown as SamplerOptions)).toThrow(TypeError);
    expect(() => new Sampler('x' as unknown as SamplerOptions)).toThrow(/options must be an object/);
  });

  test('a value out of range is a RangeError naming the field', () => {
    const cases: Array<[SamplerOptions, RegExp]> = [
      [{ temperature: -0.5 }, /^temperature must be/],
      [{ temperature: Number.NaN }, /^temperature must be/],
      [{ temperature: Number.POSITIVE_INFINITY }, /^temperature must be/],
      [{ topK: -1 }, /^topK must be an integer >= 0/],
      [{ topK: 2.5 }, /^topK must be an integer >= 0/],
      [{ topK: 2 ** 31 }, /^topK must be/],
      [{ topP: 1.5 }, /^topP must be a number in \[0, 1\]$/],
      [{ topP: -0.1 }, /^topP must be a number in \[0, 1\]$/],
      [{ topP: Number.NaN }, /^topP must be a number in \[0, 1\]$/],
      [{ minP: 2 }, /^minP must be a number in \[0, 1\]$/],
      [{ repeatPenalty: 0 }, /^repeatPenalty must be a finite number > 0/],
      [{ repeatPenalty: -1 }, /^repeatPenalty must be/],
      [{ repeatLastN: -2 }, /^repeatLastN must be an integer >= -1/],
      [{ repeatLastN: 1.5 }, /^repeatLastN must be/],
      [{ seed: -1 }, /^seed must be/],
      [{ seed: 1.5 }, /^seed must be/],
      [{ seed: 2 ** 53 }, /^seed must be/],
      [{ seed: -1n }, /^seed must be/],
      [{ seed: 2n ** 64n }, /^seed must be/],
    ];
    for (const [options, message] of cases) {
      expect(() => new Sampler(options)).toThrow(RangeError);
      expect(() => new Sampler(options)).toThrow(message);
    }
  });

  test('the constructor needs new', () => {
    expect(() => (Sampler as unknown as (o?: SamplerOptions) => unknown)()).toThrow();
  });
});

describe('Sampler.sample', () => {
  test('checks its arguments', () => {
    const sampler = new Sampler();
    const call = (...args: unknown[]) => () =>
      (sampler.sample as (...a: unknown[]) => number)(...args);
    expect(call()).toThrow(TypeError);
    expect(call([1, 2, 3])).toThrow(/logits must be a Float32Array/);
    expect(call(new Float64Array(4))).toThrow(/logits must be a Float32Array/);
    expect(call(new Float32Array(0))).toThrow(RangeError);
    expect(call(new Float32Array(4), [0, 1])).toThrow(/recent must be an Int32Array/);
    expect(call(new Float32Array(4), new Uint32Array(2))).toThrow(TypeError);
    // recent is optional: undefined and null both mean "no context".
    expect(call(new Float32Array(4), undefined)()).toBeTypeOf('number');
    expect(call(new Float32Array(4), null)()).toBeTypeOf('number');
  });

  test('greedy picks the argmax, ties to the lowest id', () => {
    const sampler = new Sampler({ temperature: 0, seed: 99 });
    expect(sampler.sample(new Float32Array([0.1, 2.5, -1, 2.4]))).toBe(1);
    expect(sampler.sample(new Float32Array([1, 3, 3, 2]))).toBe(1);
    const big = testLogits(32000, 5);
    expect(sampler.sample(big)).toBe(argmax(big));
    // NaN is never picked, and all-NaN falls back to id 0.
    expect(sampler.sample(new Float32Array([Number.NaN, 1, 3, Number.NaN]))).toBe(2);
    expect(sampler.sample(new Float32Array([Number.NaN, Number.NaN]))).toBe(0);
  });

  test('the same seed gives the same tokens; another seed differs', () => {
    const logits = testLogits(1000, 11);
    const a = draws(new Sampler({ ...plain, temperature: 1, seed: 42 }), logits, 200);
    const b = draws(new Sampler({ ...plain, temperature: 1, seed: 42n }), logits, 200);
    const c = draws(new Sampler({ ...plain, temperature: 1, seed: 43 }), logits, 200);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  test('seeded draws match the native golden values', () => {
    // Flat logits over 1000 tokens: each draw is floor(u * 1000); pinned in test_sampler.cpp.
    const flat = new Float32Array(1000);
    expect(draws(new Sampler({ ...plain, temperature: 1, seed: 0 }), flat, 8)).toEqual([
      601, 747, 103, 416, 732, 999, 422, 535,
    ]);
    expect(draws(new Sampler({ ...plain, temperature: 1, seed: 2n ** 64n - 1n }), flat, 8)).toEqual([
      559, 767, 507, 747, 567, 731, 370, 767,
    ]);
  });

  test('top-k keeps draws among the k largest', () => {
    const logits = new Float32Array(200);
    for (let i = 0; i < 200; i++) logits[i] = 0.01 * (i % 17);
    logits[7] = 1;
    logits[100] = 0.9;
    logits[3] = 0.8;
    const sampler = new Sampler({ ...plain, temperature: 1, topK: 3, seed: 5 });
    const seen = new Set(draws(sampler, logits, 2000));
    expect([...seen].sort((x, y) => x - y)).toEqual([3, 7, 100]);

    const one = new Sampler({ ...plain, temperature: 1.5, topK: 1, seed: 8 });
    const random = testLogits(5000, 2);
    for (const token of draws(one, random, 50)) expect(token).toBe(argmax(random));
  });

  test('the repetition penalty reads the recent tokens', () => {
    const sampler = new Sampler({ temperature: 0, repeatPenalty: 2 });
    const logits = new Float32Array([2, 1.5, 0]);
    expect(sampler.sample(logits)).toBe(0);
    expect(sampler.sample(logits, new Int32Array([0]))).toBe(1);
    // A view into a larger buffer: only its own elements count.
    const buffer = new Int32Array([0, 2, 2]);
    expect(sampler.sample(logits, buffer.subarray(1))).toBe(0);
  });

  test('a logits view with a byte offset is read from its offset', () => {
    const backing = new Float32Array([9, 9, 0, 1, 5]);
    const sampler = new Sampler({ temperature: 0 });
    expect(sampler.sample(backing.subarray(2))).toBe(2); // [0, 1, 5] -> id 2
  });

  test('sampling a 256k vocabulary with the defaults is quick', () => {
    const logits = testLogits(256000, 3);
    const sampler = new Sampler({ seed: 1 });
    const start = performance.now();
    for (const token of draws(sampler, logits, 50)) {
      expect(token).toBeGreaterThanOrEqual(0);
      expect(token).toBeLessThan(256000);
    }
    // Generous: well under 1 ms a call on a desktop CPU; this only catches an accidental sort.
    expect((performance.now() - start) / 50).toBeLessThan(20);
  });
});
