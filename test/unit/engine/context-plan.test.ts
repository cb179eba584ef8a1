// The context plan (app/engine/context-plan.ts): KV bytes for a context (full layers: a row per
// position; sliding-window layers: a ring of min(context, W + 256) rows; plain CoLM and CoLM-Air:
// num_key_value_heads in all), the default context (the model's limit, what half the free memory
// beside the weights holds, at least 256), and the refusal above max_position_embeddings. The bytes
// are checked against what the native session allocates for real fixtures.
import { describe, expect, test } from 'vitest';

import {
  checkContext,
  defaultContext,
  kvCacheBytes,
  kvCacheShape,
  memoryBudget,
  planContext,
  type KvCacheShape,
} from '../../../app/engine/context-plan.js';
import { KV_TYPES, kvHeadBytes } from '../../../app/engine/kv-type.js';
import { loadModel } from '../../../app/engine/model.js';
import type { ColmConfig } from '../../../app/checkpoint/types.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

function config(over: Partial<ColmConfig>): ColmConfig {
  const layers = over.numHiddenLayers ?? 32;
  return {
    numHiddenLayers: layers,
    numKeyValueHeads: 8,
    headDim: 128,
    slidingWindow: null,
    slidingWindowLayers: Array(layers).fill(false),
    maxPositionEmbeddings: 32768,
    kvSharing: false,
    chains: [1, 1, 1, 1],
    ...over,
  } as ColmConfig;
}

describe('KV bytes', () => {
  test('full layers: 2 (K, V) x layers x KV heads x head_dim x 4 bytes a position in f32', () => {
    const shape = kvCacheShape(config({}), 'f32');
    expect(shape).toEqual({ fullLayers: 32, windowedLayers: 0, window: null, kvType: 'f32', kvHeads: 8, headDim: 128, rowBytes: 2 * 8 * 128 * 4 });
    expect(kvCacheBytes(shape, 4096)).toBe(GiB); // a Llama-8B-shaped cache in float32
    expect(kvCacheBytes(shape, 1)).toBe(32 * 8 * KiB(1));
  });

  test('the KV type prices a value: bf16 (the default) and f16 half of f32, q8_0 34 bytes per 32 values', () => {
    expect(kvCacheShape(config({})).kvType).toBe('bf16');
    expect(kvCacheShape(config({})).rowBytes).toBe(2 * 8 * 128 * 2);
    expect(kvCacheShape(config({}), 'f16').rowBytes).toBe(2 * 8 * 128 * 2);
    expect(kvCacheShape(config({}), 'q8_0').rowBytes).toBe(2 * 8 * (128 + 2 * 4));
    // A head shorter than a block is one short block: 16 int8 values and one F16 scale.
    expect(kvCacheShape(config({ headDim: 16 }), 'q8_0').rowBytes).toBe(2 * 8 * 18);
    expect(kvHeadBytes('q8_0', 48)).toBe(48 + 2 * 2);
  });

  test('windowed layers keep min(context, W + 256) rows; full layers keep every position', () => {
    // Gemma-like: 5 of every 6 layers slide over 1024 positions.
    const layers = Array.from({ length: 6 }, (_, l) => l % 6 !== 5);
    const shape = kvCacheShape(config({ numHiddenLayers: 6, slidingWindow: 1024, slidingWindowLayers: layers }));
    expect(shape).toMatchObject({ fullLayers: 1, windowedLayers: 5, window: 1024 });
    const row = shape.rowBytes;
    expect(kvCacheBytes(shape, 512)).toBe(row * 6 * 512); // shorter than the ring: like full layers
    expect(kvCacheBytes(shape, 1280)).toBe(row * 6 * 1280); // exactly W + 256
    expect(kvCacheBytes(shape, 32768)).toBe(row * (32768 + 5 * 1280));
    // A window on no layer (or no window) is a plain cache.
    expect(kvCacheShape(config({ numHiddenLayers: 6, slidingWindow: 1024, slidingWindowLayers: Array(6).fill(false) })).window).toBeNull();
  });

  test('CoLM-Air and plain CoLM cache num_key_value_heads in all', () => {
    const air = kvCacheShape(config({ kvSharing: true, numKeyValueHeads: 4 }));
    const plain = kvCacheShape(config({ kvSharing: false, numKeyValueHeads: 4 }));
    expect(air).toEqual(plain);
    expect(air.rowBytes).toBe(2 * 4 * 128 * 2);
  });

  test.each([
    ['air4_f32 (CoLM-Air)', 'test/fixtures/models/air4_f32.safetensors'],
    ['plain_unequal_bf16 (plain CoLM, unequal chains)', 'test/fixtures/models/plain_unequal_bf16'],
    ['mistral_window (sliding window 5)', 'test/fixtures/models/mistral_window'],
  ])('%s: the plan matches what the native session allocates', async (_name, path) => {
    const model = await loadModel(path);
    try {
      for (const kvType of KV_TYPES) {
        const shape = kvCacheShape(model.config, kvType);
        for (const n of [16, 256, 1024]) {
          const s = model.createSession({ contextSize: n, kvType });
          expect(s.kvCacheBytes, `${kvType}, context ${n}`).toBe(kvCacheBytes(shape, n));
          expect(s.kvType).toBe(kvType);
          s.dispose();
        }
      }
      const plan = model.contextPlan();
      const s = model.createSession();
      expect(s.contextSize).toBe(plan.context);
      expect(s.kvCacheBytes).toBe(plan.kvBytes);
      s.dispose();
    } finally {
      model.dispose();
    }
  });
});

function KiB(n: number): number {
  return n * 1024;
}

describe('the default context', () => {
  const llama: KvCacheShape = kvCacheShape(config({}), 'f32'); // 256 KiB a position

  test("is the model's limit when the memory holds it, up to 8192 for full-attention layers", () => {
    expect(defaultContext(llama, 8192, 64 * GiB)).toBe(8192);
    expect(defaultContext(llama, 6144, 64 * GiB)).toBe(6144);
    // The whole cache is allocated at once: a 32k default would take 8 GiB here.
    expect(defaultContext(llama, 32768, 64 * GiB)).toBe(8192);
  });

  test('is what the budget holds, a multiple of 256, when that is less', () => {
    expect(defaultContext(llama, 32768, GiB)).toBe(4096); // 1 GiB / 256 KiB
    expect(defaultContext(llama, 32768, GiB - 1)).toBe(3840);
    expect(defaultContext(llama, 32768, 500 * MiB)).toBe(1792); // 2000 positions fit
  });

  test('is never below 256, unless the model allows fewer', () => {
    expect(defaultContext(llama, 32768, 0)).toBe(256);
    expect(defaultContext(llama, 128, 0)).toBe(128);
    expect(defaultContext(llama, 100, 64 * GiB)).toBe(100);
  });

  test('is 4096 where the config names no limit and the memory holds it', () => {
    expect(defaultContext(llama, null, 64 * GiB)).toBe(4096);
  });

  test('a model whose every layer slides reaches its limit: the ring stops growing', () => {
    const shape = kvCacheShape(config({ numHiddenLayers: 4, slidingWindow: 4096, slidingWindowLayers: Array(4).fill(true) }));
    const budget = kvCacheBytes(shape, 4096 + 256);
    expect(defaultContext(shape, 131072, budget)).toBe(131072);
  });

  test('the budget is half of the free memory beside the mapped weights', () => {
    expect(memoryBudget(16 * GiB, 4 * GiB)).toBe(6 * GiB);
    expect(memoryBudget(2 * GiB, 4 * GiB)).toBe(0);
    const plan = planContext(config({}), 4 * GiB, undefined, 5 * GiB, 'f32'); // budget 512 MiB
    expect(plan).toMatchObject({ context: 2048, kvBytes: GiB / 2, limit: 32768 });
    // bf16 (the default) holds twice the positions in the same budget.
    expect(planContext(config({}), 4 * GiB, undefined, 5 * GiB)).toMatchObject({ context: 4096, kvBytes: GiB / 2 });
  });
});

describe('a chosen context', () => {
  test('is taken up to the limit (whatever the memory), refused above it, naming the limit', () => {
    expect(planContext(config({}), 0, 32768, 0).context).toBe(32768);
    expect(() => planContext(config({}), 0, 32769, 0)).toThrow(/above this model's limit of 32768 \(max_position_embeddings\)/);
    expect(() => checkContext(0, null)).toThrow(/positive integer/);
    expect(() => checkContext(1 << 20, null)).not.toThrow();
  });
});
