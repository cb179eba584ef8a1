// The invariants FORMAT.md asks of any implementation, checked exactly (bit for bit, since the
// engine computes the first d_k features of sub-model k with the same operations as the full
// model's): nested hidden states, the CoLM-Air cache shared by every k, plain-CoLM regrowth.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import { loadGoldens } from '../helpers/golden.js';

const goldens = loadGoldens().filter((g) => g.chains > 1);

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
    const full = model.createSession({ contextSize: 64, captureHidden: true });
    const subs = Array.from({ length: n - 1 }, () => model.createSession({ contextSize: 64, captureHidden: true }));
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
      const s = model.createSession({ contextSize: 64 });
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
    const s = model.createSession({ contextSize: 64 });
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
