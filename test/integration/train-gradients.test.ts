// The native trainer's gradients against PyTorch autograd in float64 (test/fixtures/grads, made
// by reference/grad_fixtures.py) for every weight of tiny configs: plain CoLM with GQA, CoLM-Air
// with a tied head, unequal chains {1,2,1} and a dense Llama, with the multi-chain and the full
// loss. Plus central finite differences of the native loss on a few weights. With every kernel set
// this CPU runs (--kernels chooses the trainer's instruction set too: avx512, avx2, scalar).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { parseConfig } from '../../app/checkpoint/config.js';
import { loadAddon, type NamedTensor, type NativeTrainer } from '../../app/engine/native.js';

interface Fixture {
  name: string;
  config: Record<string, unknown>;
  loss: 'multi' | 'full';
  batch: number;
  seqLen: number;
  tokens: number[];
  lossValue: number;
  lossPerChain: number[];
  weights: { name: string; shape: number[]; data: number[] }[];
  gradients: { name: string; shape: number[]; data: number[] }[];
}

const dir = resolve('test/fixtures/grads');
const fixtures: Fixture[] = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(resolve(dir, f), 'utf8')) as Fixture);

// Tolerance: per tensor, max |g - g_ref| <= 2e-5 * max|g_ref| + 1e-7. float32 arithmetic over these
// tiny sums lands around 1e-7..1e-6 relative; a wrong term (a missing block, a wrong head map)
// is off by whole percents.
const RELATIVE_TO_MAX = 2e-5;

function trainer(f: Fixture, weights?: NamedTensor[], threads = 1): NativeTrainer {
  const { Trainer } = loadAddon();
  return new Trainer({
    config: parseConfig(f.config, `${f.name}.json`),
    loss: f.loss,
    threads,
    init: { tensors: weights ?? f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) })) },
  });
}

const addon = loadAddon();
const kernelSets: string[] = addon.systemInfo().kernelsAvailable ?? [addon.systemInfo().kernels ?? 'scalar'];
const cases = kernelSets.flatMap((k) => fixtures.map((f) => [f.name, k, f] as const));

describe.each(cases)('gradients of %s with the %s kernels', (_name, kernels, f) => {
  beforeAll(() => addon.setKernels(kernels));

  test('loss and every gradient match autograd', async () => {
    const t = trainer(f);
    const r = await t.computeGradients(Int32Array.from(f.tokens), f.batch, f.seqLen);
    expect(r.loss).toBeCloseTo(f.lossValue, 5);
    r.lossPerChain.forEach((l, k) => expect(l).toBeCloseTo(f.lossPerChain[k]!, 5));
    const got = new Map(r.gradients.map((g) => [g.name, g]));
    expect([...got.keys()].sort()).toEqual(f.gradients.map((g) => g.name).sort());
    let worst = 0;
    for (const ref of f.gradients) {
      const g = got.get(ref.name)!;
      expect(g.shape, ref.name).toEqual(ref.shape);
      const scale = Math.max(...ref.data.map(Math.abs));
      let maxErr = 0;
      for (let i = 0; i < ref.data.length; i++) maxErr = Math.max(maxErr, Math.abs(g.data[i]! - ref.data[i]!));
      const ratio = maxErr / (RELATIVE_TO_MAX * scale + 1e-7);
      worst = Math.max(worst, maxErr / (scale + 1e-30));
      expect(ratio, `${ref.name}: max error ${maxErr} against max |g| ${scale}`).toBeLessThanOrEqual(1);
    }
    console.log(`${f.name} (${kernels}): worst per-tensor error relative to the tensor's largest gradient ${worst.toExponential(2)}`);
    t.dispose();
  });

  test('central finite differences of the native loss agree on a few weights', async () => {
    // float32 loss: h = 1e-2 on weights of size ~0.1-1 keeps rounding (~1e-7 of the loss) far below
    // the change; the O(h^2) truncation is checked with a 2% tolerance (plus a small absolute term).
    const base = f.weights.map((w) => ({ name: w.name, shape: w.shape, data: Float32Array.from(w.data) }));
    const grads = new Map(f.gradients.map((g) => [g.name, g.data]));
    const picks = ['model.embed_tokens.weight', 'model.layers.0.input_layernorm.weight', 'model.norm.weight']
      .concat(f.weights.filter((w) => /q_proj|k_proj|down_proj/.test(w.name)).map((w) => w.name).slice(-2));
    const h = 1e-2;
    const tokens = Int32Array.from(f.tokens);
    const lossWith = async (weights: NamedTensor[]) => {
      const t = trainer(f, weights);
      const r = await t.computeGradients(tokens, f.batch, f.seqLen);
      t.dispose();
      return r.loss;
    };
    for (const name of picks) {
      const ref = grads.get(name)!;
      let idx = 0;
      for (let i = 0; i < ref.length; i++) if (Math.abs(ref[i]!) > Math.abs(ref[idx]!)) idx = i;
      const at = (delta: number) =>
        base.map((w) => {
          if (w.name !== name) return w;
          const data = Float32Array.from(w.data);
          data[idx] = data[idx]! + delta;
          return { ...w, data };
        });
      const fd = ((await lossWith(at(h))) - (await lossWith(at(-h)))) / (2 * h);
      expect(Math.abs(fd - ref[idx]!), `${name}[${idx}]: finite difference ${fd}, autograd ${ref[idx]}`).toBeLessThan(
        0.02 * Math.abs(ref[idx]!) + 2e-4,
      );
    }
  });
});
