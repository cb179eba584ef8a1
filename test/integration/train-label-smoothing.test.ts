// Label smoothing in the native trainer (--label-smoothing E): the objective of sub-model k is
// (1 - E) x its cross-entropy + E x its cross-entropy against the uniform distribution. Checked by
// central finite differences of the objective against the trainer's own gradients (the value and
// the gradient come from different code), by the gradient being linear in E, by E = 0 giving the
// autograd fixture's numbers unchanged, and by every kernel set agreeing (the softmax sums differ
// in their lanes, so to float32 rounding, not bit for bit).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { parseConfig } from '../../app/checkpoint/config.js';
import { loadAddon, type NamedTensor } from '../../app/engine/native.js';

const f = JSON.parse(readFileSync(resolve('test/fixtures/grads/unequal_121_multi.json'), 'utf8')) as {
  name: string; config: Record<string, unknown>; batch: number; seqLen: number; tokens: number[]; lossValue: number; lossPerChain: number[];
  weights: { name: string; shape: number[]; data: number[] }[];
};
const addon = loadAddon();
const base: NamedTensor[] = f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) }));
const tokens = Int32Array.from(f.tokens);

async function gradients(labelSmoothing: number, weights: NamedTensor[] = base) {
  const t = new addon.Trainer({ config: parseConfig(f.config, `${f.name}.json`), loss: 'multi', threads: 1, labelSmoothing, init: { tensors: weights } });
  try {
    return await t.computeGradients(tokens, f.batch, f.seqLen);
  } finally {
    t.dispose();
  }
}

describe('label smoothing', () => {
  test('E = 0 is the plain multi-chain loss; the per-chain losses stay cross-entropies whatever E', async () => {
    const plain = await gradients(0);
    expect(plain.loss).toBeCloseTo(f.lossValue, 5);
    const smooth = await gradients(0.3);
    smooth.lossPerChain.forEach((l, k) => expect(l).toBeCloseTo(f.lossPerChain[k]!, 5));
    // The uniform target is far less likely than the real next token under any trained-or-not
    // model with a peaked head, so the objective moves; by how much is checked below.
    expect(Math.abs(smooth.loss - plain.loss)).toBeGreaterThan(1e-3);
  });

  test('the gradient is the objective\'s (central finite differences) and linear in E', async () => {
    const e = 0.3;
    const g0 = new Map((await gradients(0)).gradients.map((g) => [g.name, g.data]));
    const g1 = new Map((await gradients(1 - 1e-6)).gradients.map((g) => [g.name, g.data]));
    const ge = new Map((await gradients(e)).gradients.map((g) => [g.name, g.data]));
    for (const [name, g] of ge) {
      const a = g0.get(name)!;
      const b = g1.get(name)!;
      const scale = Math.max(...Array.from(g, Math.abs), 1e-6);
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - ((1 - e) * a[i]! + e * b[i]!)), name).toBeLessThan(1e-4 * scale + 1e-7);
    }
    const h = 1e-2;
    for (const name of ['model.embed_tokens.weight', 'model.norm.weight', 'lm_head.weight']) {
      const ref = ge.get(name) ?? ge.get(name.replace('.weight', '.chains.1.weight'));
      if (!ref) continue;
      let idx = 0;
      for (let i = 0; i < ref.length; i++) if (Math.abs(ref[i]!) > Math.abs(ref[idx]!)) idx = i;
      const at = (delta: number) => base.map((w) => (w.name !== name ? w : { ...w, data: Float32Array.from(w.data, (x, i) => (i === idx ? x + delta : x)) }));
      const fd = ((await gradients(e, at(h))).loss - (await gradients(e, at(-h))).loss) / (2 * h);
      expect(Math.abs(fd - ref[idx]!), `${name}[${idx}]: finite difference ${fd}, trainer ${ref[idx]}`).toBeLessThan(0.02 * Math.abs(ref[idx]!) + 2e-4);
    }
  });

  test('every kernel set gives the same objective and gradients, to float32 rounding', async () => {
    const sets: string[] = addon.systemInfo().kernelsAvailable ?? [];
    const results: number[][] = [];
    for (const k of sets) {
      addon.setKernels(k);
      const r = await gradients(0.2);
      results.push([r.loss, ...r.gradients.flatMap((g) => Array.from(g.data.subarray(0, 64)))]);
    }
    addon.setKernels(sets[0] ?? 'scalar');
    for (const r of results.slice(1)) r.forEach((x, i) => expect(Math.abs(x - results[0]![i]!)).toBeLessThan(1e-6 * Math.max(1, Math.abs(results[0]![i]!))));
  });

  test('a value outside [0, 1) is refused by name', () => {
    expect(() => new addon.Trainer({ config: parseConfig(f.config, 'x.json'), labelSmoothing: 1 })).toThrow(/labelSmoothing must be in \[0, 1\)/);
  });
});
