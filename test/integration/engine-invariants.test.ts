// The invariants FORMAT.md asks of any implementation, checked exactly (bit for bit, since the
// engine computes the first d_k features of sub-model k with the same operations as the full
// model's): nested hidden states, the CoLM-Air cache shared by every k, plain-CoLM regrowth, a
// chain switch equal to a fresh computation, truncate and re-evaluate. Every KV cache type: a
// narrow cache rounds each head of a row on its own, so the invariants hold in each of them.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { KV_TYPES } from '../../app/engine/kv-type.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { loadGoldens } from '../helpers/golden.js';

const goldens = loadGoldens().filter((g) => g.chains > 1);
const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe.each(KV_TYPES.map((t) => [t] as const))('KV cache %s', (kvType) => {

describe.each(goldens.map((g) => [g.name, g] as const))('nested property: %s', (_name, g) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(g.model);
  });
  afterAll(() => model.dispose());

  test('every hidden state of sub-model k is the prefix of the full model\'s, at every layer', async () => {
    const n = g.chains;
    const D = model.config.hiddenSize;
    const L = model.config.numHiddenLayers;
    const full = model.createSession({ kvType, contextSize: 64, captureHidden: true });
    const subs = Array.from({ length: n - 1 }, () => model.createSession({ kvType, contextSize: 64, captureHidden: true }));
    for (const token of g.tokens) {
      await full.evaluate([token], { chains: n });
      const reference = full.lastHidden();
      expect(reference.chains).toBe(n);
      for (let k = 1; k < n; k++) {
        await subs[k - 1]!.evaluate([token], { chains: k });
        const h = subs[k - 1]!.lastHidden();
        const dk = model.widths.cumHidden[k]!;
        for (let row = 0; row <= L; row++) {
          const a = h.data.subarray(row * D, row * D + dk);
          const b = reference.data.subarray(row * D, row * D + dk);
          expect(Array.from(a), `k=${k} layer row ${row}`).toEqual(Array.from(b));
        }
      }
    }
    full.dispose();
    subs.forEach((s) => s.dispose());
  });

});

describe.each(goldens.filter((g) => g.kvSharing).map((g) => [g.name, g] as const))('CoLM-Air cache: %s', (_name, g) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(g.model);
  });
  afterAll(() => model.dispose());

  test('the KV cache is identical for every chain count', async () => {
    const caches: Float32Array[][] = [];
    for (let k = 1; k <= g.chains; k++) {
      const s = model.createSession({ kvType, contextSize: 64 });
      for (const token of g.tokens) await s.evaluate([token], { chains: k });
      const perLayer: Float32Array[] = [];
      for (let l = 0; l < model.config.numHiddenLayers; l++) perLayer.push(s.kvCache(l, false), s.kvCache(l, true));
      caches.push(perLayer);
      s.dispose();
    }
    for (let k = 1; k < caches.length; k++) {
      caches[k]!.forEach((c, i) => expect(Buffer.from(c.buffer).equals(Buffer.from(caches[0]![i]!.buffer)), `k=${k + 1} cache ${i}`).toBe(true));
    }
    expect(caches[0]![0]!.some((x) => x !== 0)).toBe(true);
  });

});

describe.each(goldens.filter((g) => !g.kvSharing).map((g) => [g.name, g] as const))('plain CoLM cache: %s', (_name, g) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(g.model);
  });
  afterAll(() => model.dispose());

  test('shrinking keeps the cache, growing recomputes the missing chains', async () => {
    const n = g.chains;
    const s = model.createSession({ kvType, contextSize: 64 });
    await s.evaluate(g.tokens.slice(0, 4), { chains: n });
    expect(Array.from(s.kvChains())).toEqual([n, n, n, n]);
    await s.evaluate(g.tokens.slice(4, 7), { chains: 1 }); // shrink: the old positions keep n chains
    expect(Array.from(s.kvChains())).toEqual([n, n, n, n, 1, 1, 1]);
    const before = s.kvCache(0, false).slice();
    await s.evaluate([g.tokens[7]!], { chains: n }); // grow: positions 4..6 are brought up to n
    expect(Array.from(s.kvChains())).toEqual(new Array(8).fill(n));
    // The heads that were already there are unchanged; the grown ones now hold values.
    const after = s.kvCache(0, false);
    const row = model.config.numKeyValueHeads * model.config.headDim;
    const chain1 = model.widths.cumKvHeads[1]! * model.config.headDim;
    for (let p = 0; p < 7; p++) {
      for (let i = 0; i < chain1; i++) expect(Math.abs(after[p * row + i]! - before[p * row + i]!)).toBeLessThan(1e-5);
    }
    expect(after.subarray(4 * row + chain1, 5 * row).some((x) => x !== 0)).toBe(true);
    s.dispose();
  });
});

describe.each(goldens.map((g) => [g.name, g] as const))('chain switch and truncate: %s', (_name, g) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(g.model);
  });
  afterAll(() => model.dispose());

  test('a switch mid-sequence gives the logits of a fresh computation', async () => {
    const n = g.chains;
    const last = g.tokens.length - 1;
    // A: the past at 1 chain, then n (plain: the grow recomputes the past in one call from 0;
    // Air: the cache is chain 1's anyway). B: the past at n in one call, as the grow runs it.
    const a = model.createSession({ kvType, contextSize: 64 });
    for (const token of g.tokens.slice(0, last)) await a.evaluate([token], { chains: 1 });
    const switched = (await a.evaluate([g.tokens[last]!], { chains: n }))!;
    const b = model.createSession({ kvType, contextSize: 64 });
    if (g.kvSharing) for (const token of g.tokens.slice(0, last)) await b.evaluate([token], { chains: 1 + (token % n) });
    else await b.evaluate(g.tokens.slice(0, last), { chains: n, logits: 'none' });
    const fresh = (await b.evaluate([g.tokens[last]!], { chains: n }))!;
    expect(same(switched, fresh)).toBe(true);
    a.dispose();
    b.dispose();
  });

  test('truncate and evaluate again gives the same cache and logits', async () => {
    const n = g.chains;
    const s = model.createSession({ kvType, contextSize: 64 });
    const first: Float32Array[] = [];
    for (const token of g.tokens) first.push((await s.evaluate([token], { chains: n }))!.slice());
    const cache = s.kvCache(0, true).slice();
    s.truncate(3);
    for (let p = 3; p < g.tokens.length; p++) {
      const again = (await s.evaluate([g.tokens[p]!], { chains: n }))!;
      expect(same(again, first[p]!), `position ${p}`).toBe(true);
    }
    expect(same(s.kvCache(0, true), cache)).toBe(true);
    s.dispose();
  });
});
});
