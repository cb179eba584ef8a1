// The batch sampler: a pure function of (seed, step), every window once per epoch, windows that
// never cross a shard boundary; and the held-out batches.
import { describe, expect, test } from 'vitest';

import { BatchSampler, evalBatches } from '../../../../app/trainer/train/batches.js';

const shards = [Uint16Array.from({ length: 100 }, (_, i) => i), Uint16Array.from({ length: 45 }, (_, i) => 1000 + i)];

describe('BatchSampler', () => {
  test('windows of seqLen + 1 tokens, seqLen apart, inside one shard', () => {
    const s = new BatchSampler(shards, 2, 10, 1);
    // shard 0: offsets 0..80 (9 windows, 90 + 11 > 100 stops), shard 1: 0..30 (4 windows)
    expect(s.windows).toBe(9 + 4);
    for (let step = 0; step < 20; step++) {
      const b = s.batchAt(step);
      for (let r = 0; r < 2; r++) {
        const row = b.subarray(r * 11, r * 11 + 11);
        for (let i = 1; i < 11; i++) expect(row[i]).toBe(row[0]! + i); // consecutive ids: one shard, no gap
        expect(row[0]! % 10).toBe(0);
      }
    }
  });

  test('the same seed and step give the same batch, in any order of asking', () => {
    const a = new BatchSampler(shards, 3, 10, 7);
    const b = new BatchSampler(shards, 3, 10, 7);
    const forward = Array.from({ length: 12 }, (_, s) => Array.from(a.batchAt(s)));
    const backward = Array.from({ length: 12 }, (_, s) => Array.from(b.batchAt(11 - s))).reverse();
    expect(backward).toEqual(forward);
    expect(Array.from(new BatchSampler(shards, 3, 10, 8).batchAt(0))).not.toEqual(forward[0]);
  });

  test('every window once per epoch', () => {
    const s = new BatchSampler(shards, 1, 10, 3);
    const firstIds = (from: number) => Array.from({ length: s.windows }, (_, i) => s.batchAt(from + i)[0]).sort((x, y) => x! - y!);
    const all = [0, 10, 20, 30, 40, 50, 60, 70, 80, 1000, 1010, 1020, 1030];
    expect(firstIds(0)).toEqual(all);
    expect(firstIds(s.windows)).toEqual(all);
  });

  test('refuses a corpus shorter than one window', () => {
    expect(() => new BatchSampler([new Uint16Array(5)], 1, 10, 0)).toThrow(/do not fill one window/);
  });
});

describe('evalBatches', () => {
  test('held-out windows in order, full batches only, at most `limit`', () => {
    const { batch, batches } = evalBatches(shards, 2, 10, 5);
    expect(batch).toBe(2);
    expect(batches).toHaveLength(2); // 5 windows -> 2 full batches of 2
    expect(batches[0]![0]).toBe(0);
    expect(batches[0]![11]).toBe(10);
    expect(evalBatches([new Uint16Array(15)], 8, 10, 64).batch).toBe(1); // fewer windows than the batch
  });
});
