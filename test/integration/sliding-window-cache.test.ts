// Sliding-window layers keep a ring of W + 256 cache rows instead of the whole context
// (native/src/session.cpp). The ring must not change a single bit of the logits: every check
// compares a ringed session with one that keeps the whole context (windowRing: false) doing the
// same calls, in every kernel variant, well past two turns of the ring; and where a ringed session
// must recompute what left its ring (plain-CoLM regrowth, a truncate back past it), with a fresh
// session that evaluates the same prefix the same way.
import { statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { chainWidths } from '../../app/checkpoint/chain-widths.js';
import { expectedTensors } from '../../app/checkpoint/expected-tensors.js';
import { readFolderCheckpoint } from '../../app/checkpoint/folder-checkpoint.js';
import { matchTensors } from '../../app/checkpoint/match-tensors.js';
import { readSingleFileCheckpoint } from '../../app/checkpoint/single-file-checkpoint.js';
import type { LoadPlan } from '../../app/checkpoint/types.js';
import type { KvType } from '../../app/engine/kv-type.js';
import { loadAddon, type NativeModel, type NativeSession } from '../../app/engine/native.js';
import { compareRow } from '../helpers/golden.js';

const addon = loadAddon();
const W = 4;
const RING = W + 256; // rows of a ring layer: the window and one forward call's chunk
const CONTEXT = 4096;
const N = 600; // > 2 * RING: the ring has turned more than twice

/** A checkpoint's load plan, with the window and the layers that slide overridden. */
async function planOf(path: string, window: number | null, layers?: boolean[]): Promise<LoadPlan> {
  const parts = statSync(path).isDirectory() ? await readFolderCheckpoint(path, {}) : await readSingleFileCheckpoint(path);
  const config = { ...parts.config, slidingWindow: window, slidingWindowLayers: layers ?? Array.from({ length: parts.config.numHiddenLayers }, () => window !== null) };
  const widths = chainWidths(config);
  const tensors = matchTensors(expectedTensors(config, widths), parts.tensors, parts.weightsFile, config.chains.length);
  return { source: path, packaging: parts.packaging, config, widths, files: parts.files, tensors, tokenizerJson: null, tokenizerConfig: null, generationConfig: null };
}

async function load(path: string, window: number | null, layers?: boolean[]): Promise<NativeModel> {
  return addon.loadModel(await planOf(path, window, layers)).promise;
}

const tokens = (() => {
  let x = 12345;
  return Array.from({ length: N + 64 }, () => ((x = (x * 1103515245 + 12345) % 2147483648), x % 296));
})();

// The default KV type (bf16) unless a test names one: the ring keeps the full cache's bits in any.
let lockstepKvType: KvType = 'bf16';
function session(model: NativeModel, ring: boolean, contextSize = CONTEXT, kvType: KvType = lockstepKvType): NativeSession {
  return new addon.Session(model, { contextSize, windowRing: ring, kvType });
}

async function step(s: NativeSession, ts: number[], k: number, logits: 'last' | 'all' | 'none' = 'last'): Promise<Float32Array | null> {
  return (await s.evaluate(Int32Array.from(ts), k, { logits })).logits;
}

function same(a: Float32Array | null, b: Float32Array | null, what: string): void {
  expect(a, what).not.toBeNull();
  expect(Buffer.from(a!.buffer, a!.byteOffset, a!.byteLength).equals(Buffer.from(b!.buffer, b!.byteOffset, b!.byteLength)), what).toBe(true);
}

/** Runs the same calls on a ringed and a full-cache session; every logit must match bit for bit. */
async function lockstep(model: NativeModel, calls: Array<[number[], number] | ['truncate', number]>, what: string) {
  const a = session(model, true), b = session(model, false);
  for (const [i, c] of calls.entries()) {
    if (c[0] === 'truncate') {
      a.truncate(c[1]);
      b.truncate(c[1]);
      continue;
    }
    const [ts, k] = c;
    same(await step(a, ts, k, ts.length > 1 ? 'all' : 'last'), await step(b, ts, k, ts.length > 1 ? 'all' : 'last'), `${what}: call ${i} at position ${a.position}`);
  }
  const chains = [Array.from(a.kvChains()), Array.from(b.kvChains())];
  a.dispose();
  b.dispose();
  return chains;
}

const decode = (from: number, to: number, k: number): Array<[number[], number]> => tokens.slice(from, to).map((t) => [[t], k]);

describe('sliding-window cache ring', () => {
  let mistral: NativeModel; // chains [1, 1], every layer slides (window overridden to 4)
  let air: NativeModel; // CoLM-Air, 4 chains, every layer made to slide
  let mixed: NativeModel; // qwen2 chains [1, 2, 1], layer 0 slides, layer 1 sees everything
  beforeAll(async () => {
    mistral = await load('test/fixtures/models/mistral_window', W);
    air = await load('test/fixtures/models/air4_f32.safetensors', W);
    mixed = await load('test/fixtures/models/qwen2_chained', W, [true, false]);
  });
  afterAll(() => {
    addon.setKernels(addon.systemInfo().kernels!);
    for (const m of [mistral, air, mixed]) m?.dispose();
  });

  test('a windowed layer keeps W + 256 rows; a layer without a window keeps the context', async () => {
    const row = 2 * 16 * 4; // mistral_window: 2 KV heads of 16 floats (f32 here)
    const big = await load('test/fixtures/models/mistral_window', 4096);
    const cases: Array<[NativeModel, number, number, number]> = [
      // model, context, ringed bytes, full bytes (K and V, 2 layers)
      [mistral, CONTEXT, 2 * 2 * RING * row, 2 * 2 * CONTEXT * row],
      [big, 32768, 2 * 2 * (4096 + 256) * row, 2 * 2 * 32768 * row],
      [big, 4096, 2 * 2 * 4096 * row, 2 * 2 * 4096 * row], // window + 256 >= context: no ring
      [mixed, CONTEXT, 2 * (RING + CONTEXT) * 4 * 8 * 4, 2 * 2 * CONTEXT * 4 * 8 * 4],
    ];
    for (const [model, context, ringed, full] of cases) {
      const a = session(model, true, context, 'f32'), b = session(model, false, context, 'f32');
      // bf16 halves every row; q8_0 keeps 16 int8 and one F16 scale of each 16-wide head (18 of 64 bytes).
      const a16 = session(model, true, context, 'bf16'), q8 = session(model, true, context, 'q8_0');
      expect(a16.kvCacheBytes).toBe(ringed / 2);
      expect(q8.kvCacheBytes).toBe(model === mixed ? (ringed / 4) * (8 + 2) / 8 : (ringed / 64) * 18);
      a16.dispose();
      q8.dispose();
      expect(a.kvCacheBytes).toBe(ringed);
      expect(b.kvCacheBytes).toBe(full);
      a.dispose();
      b.dispose();
    }
    big.dispose();
    // A model without a window takes the old path: the whole context, ring or not.
    const llama = await load('test/fixtures/models/llama_gqa', null);
    const s = session(llama, true, CONTEXT, 'f32');
    const cfg = await planOf('test/fixtures/models/llama_gqa', null);
    expect(s.kvCacheBytes).toBe(2 * cfg.config.numHiddenLayers * CONTEXT * cfg.config.numKeyValueHeads * cfg.config.headDim * 4);
    s.dispose();
    llama.dispose();
  });

  test('decode and prefill past two turns of the ring give the full cache\'s bits, in every kernel variant', async () => {
    const info = addon.systemInfo();
    const variants = (info.kernelsAvailable ?? [info.kernels!]).filter((v) => !(info.kernelsOptIn ?? []).includes(v));
    for (const variant of variants) {
      addon.setKernels(variant);
      for (const [name, model, k] of [['mistral', mistral, 2], ['air', air, 4], ['mixed', mixed, 3]] as const) {
        await lockstep(model, decode(0, N, k), `${variant} ${name} decode`);
        // Prefill chunks of 256 whose rows wrap the ring, then odd-sized pieces and decode.
        await lockstep(model, [[tokens.slice(0, N), k]], `${variant} ${name} one call`);
        await lockstep(model, [[tokens.slice(0, 250), k], [tokens.slice(250, 517), k], ...decode(517, 530, k), [tokens.slice(530, N), k]], `${variant} ${name} pieces`);
      }
    }
  }, 120_000);

  test('q8_0, f16 and f32 caches: decode, prefill pieces and regrowth past the ring give the full cache\'s bits', async () => {
    try {
      for (const kvType of ['q8_0', 'f16', 'f32'] as const) {
        lockstepKvType = kvType;
        for (const [name, model, k] of [['mistral', mistral, 2], ['air', air, 4], ['mixed', mixed, 3]] as const) {
          await lockstep(model, [[tokens.slice(0, 250), k], [tokens.slice(250, 517), k], ...decode(517, 530, k), [tokens.slice(530, N), k]], `${kvType} ${name} pieces`);
        }
        const [a, b] = await lockstep(mixed, [...decode(0, 550, 3), ...decode(550, 580, 1), ...decode(580, 600, 3)], `${kvType} mixed shrink and grow`);
        expect(a).toEqual(b);
      }
    } finally {
      lockstepKvType = 'bf16';
    }
  }, 120_000);

  test('decoded logits past the ring match a fresh evaluation of the whole prefix', async () => {
    const s = session(mistral, true);
    const rows: Float32Array[] = [];
    for (const t of tokens.slice(0, N)) rows.push((await step(s, [t], 2))!);
    expect(() => s.kvCache(0)).toThrow(/keeps only the last 260 positions/);
    s.dispose();
    for (let p = 2 * RING + 1; p < N; p += 11) {
      const fresh = session(mistral, true), full = session(mistral, false);
      const a = (await fresh.evaluate(Int32Array.from(tokens.slice(0, p + 1)), 2, { prefill: true })).logits!;
      const b = (await full.evaluate(Int32Array.from(tokens.slice(0, p + 1)), 2, { prefill: true })).logits!;
      same(a, b, `prefill of ${p + 1} tokens`);
      compareRow(rows[p]!, Array.from(b), `decode vs prefill at ${p}`);
      fresh.dispose();
      full.dispose();
    }
  });

  test('a short sequence keeps its whole cache readable', async () => {
    const a = session(mistral, true), b = session(mistral, false);
    await step(a, tokens.slice(0, 100), 2, 'none');
    await step(b, tokens.slice(0, 100), 2, 'none');
    for (let l = 0; l < 2; l++) for (const v of [false, true]) same(a.kvCache(l, v), b.kvCache(l, v), `layer ${l} ${v ? 'V' : 'K'}`);
    a.dispose();
    b.dispose();
  });

  test('plain CoLM regrowth after the ring wrapped is the full cache\'s', async () => {
    for (const [name, model, n] of [['mistral', mistral, 2], ['mixed', mixed, 3]] as const) {
      // Everything at k=1, then k=n: the whole past is recomputed (the ring kept only the window).
      let [a, b] = await lockstep(model, [...decode(0, N, 1), [[tokens[N]!], n], ...decode(N + 1, N + 10, n)], `${name} grow after ${N}`);
      expect(a).toEqual(b);
      expect(a).toEqual(new Array(N + 10).fill(n));
      // k=n, a stretch at k=1 after the ring turned, back to k=n: only the stretch is recomputed.
      [a, b] = await lockstep(model, [...decode(0, 550, n), ...decode(550, 580, 1), ...decode(580, 600, n)], `${name} shrink and grow`);
      expect(a).toEqual(b);
      // Growing in a prefill call, and to a middle chain count.
      await lockstep(model, [[tokens.slice(0, 530), 1], [tokens.slice(530, 560), n], ...decode(560, 570, 1), [tokens.slice(570, 600), n - 1]], `${name} grow in a prefill`);
    }
  }, 60_000);

  test('truncating back past the ring recomputes the prefix exactly as a fresh session evaluates it', async () => {
    for (const [name, model, n] of [['mistral', mistral, 2], ['air', air, 4], ['mixed', mixed, 3]] as const) {
      for (const [cut, k] of [[300, n], [300, 1], [2, 1]] as const) {
        const s = session(model, true);
        await step(s, tokens.slice(0, N), n, 'none');
        s.truncate(cut);
        const fresh = session(model, true);
        // The ringed session rebuilds the prefix in forward calls of 256 from position 0 (Air: at
        // chain 1), as a fresh session reads it; what follows is decoded the same way.
        if (model === air) await fresh.evaluate(Int32Array.from(tokens.slice(0, cut)), 1, { logits: 'none' });
        else await step(fresh, tokens.slice(0, cut), k, 'none');
        for (let p = cut; p < cut + 40; p++) same(await step(s, [tokens[p]!], k), await step(fresh, [tokens[p]!], k), `${name} cut ${cut} k=${k} at ${p}`);
        expect(Array.from(s.kvChains())).toEqual(Array.from(fresh.kvChains()));
        // And it agrees with a full cache that kept the prefix (other kernels' paths: a tolerance).
        const full = session(model, false);
        await step(full, tokens.slice(0, N), n, 'none');
        full.truncate(cut);
        s.truncate(cut);
        for (let p = cut; p < cut + 5; p++) compareRow((await step(s, [tokens[p]!], k))!, Array.from((await step(full, [tokens[p]!], k))!), `${name} cut ${cut} vs full at ${p}`);
        for (const x of [s, fresh, full]) x.dispose();
      }
      // A truncate that keeps a window in the ring needs no recomputation: bit for bit with the full cache.
      await lockstep(model, [...decode(0, N, n), ['truncate', 580], ...decode(580, 600, n)], `${name} truncate inside the ring`);
      await lockstep(model, [[tokens.slice(0, N), n], ['truncate', 480], ...decode(480, 490, 1), ...decode(490, 500, n)], `${name} truncate to 480`);
    }
  }, 60_000);
});
