// The native trainer's behaviour: frozen chains stay put, one seed gives one run whatever the
// thread count, a run resumed from exported weights and optimizer state continues bit for bit,
// the loss falls on a small repeated corpus, and bad input is refused with a named error.
import { describe, expect, test } from 'vitest';

import { parseConfig } from '../../app/checkpoint/config.js';
import { loadAddon, type NamedTensor, type TrainerOptions } from '../../app/engine/native.js';

const airConfig = parseConfig(
  {
    model_type: 'colm',
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    vocab_size: 40,
    num_attention_heads: 8,
    num_key_value_heads: 2,
    head_dim: 4,
    chains: [1, 1, 2],
    kv_sharing: true,
    tie_word_embeddings: true,
  },
  'air.json',
);
const plainConfig = parseConfig(
  {
    model_type: 'colm',
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    vocab_size: 40,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 8,
    chains: [1, 1],
  },
  'plain.json',
);

function batchOf(seed: number, batch: number, seqLen: number, vocab: number): Int32Array {
  const out = new Int32Array(batch * (seqLen + 1));
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s % vocab;
  }
  return out;
}

function make(options: Partial<TrainerOptions> & Pick<TrainerOptions, 'config'>) {
  const { Trainer } = loadAddon();
  return new Trainer({ seed: 7, lr: 3e-3, minLr: 3e-4, warmupSteps: 2, totalSteps: 20, threads: 1, ...options });
}

function same(a: NamedTensor[], b: NamedTensor[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.name !== b[i]!.name) return false;
    const x = new Uint32Array(a[i]!.data.buffer, a[i]!.data.byteOffset, a[i]!.data.length);
    const y = new Uint32Array(b[i]!.data.buffer, b[i]!.data.byteOffset, b[i]!.data.length);
    if (x.length !== y.length) return false;
    for (let j = 0; j < x.length; j++) if (x[j] !== y[j]) return false;
  }
  return true;
}

async function run(t: ReturnType<typeof make>, steps: number, from = 0) {
  const out = [];
  for (let s = from; s < from + steps; s++) out.push(await t.step(batchOf(1000 + s, 3, 12, 40), 3, 12));
  return out;
}

describe('native trainer', () => {
  test('exports FORMAT.md names: per chain for several chains, Air K/V dense, no lm_head when tied', () => {
    const t = make({ config: airConfig });
    const names = t.exportWeights().map((w) => w.name);
    expect(names).toContain('model.layers.0.self_attn.q_proj.chains.2.weight');
    expect(names).toContain('model.layers.1.self_attn.k_proj.weight');
    expect(names).not.toContain('lm_head.weight');
    const q2 = t.exportWeights().find((w) => w.name === 'model.layers.0.self_attn.q_proj.chains.2.weight')!;
    expect(q2.shape).toEqual([16, 32]); // rows of chain 3, reading chains 1..3
    const k = t.exportWeights().find((w) => w.name === 'model.layers.0.self_attn.k_proj.weight')!;
    expect(k.shape).toEqual([8, 8]); // h_kv * head_dim rows over chain 1's width
    t.dispose();
  });

  test('the same seed and data give bit-identical weights, with one thread or two', async () => {
    const a = make({ config: airConfig, threads: 1 });
    const b = make({ config: airConfig, threads: 2 });
    const ra = await run(a, 5);
    const rb = await run(b, 5);
    expect(rb.map((r) => r.loss)).toEqual(ra.map((r) => r.loss));
    expect(same(a.exportWeights(), b.exportWeights())).toBe(true);
    const c = make({ config: airConfig, seed: 8 });
    expect(same(a.exportWeights(), c.exportWeights())).toBe(false);
    a.dispose();
    b.dispose();
    c.dispose();
  });

  test.each(loadAddon().systemInfo().kernelsAvailable ?? [])('with the %s kernels too, one thread or three give the same bits', async (kernels) => {
    const addon = loadAddon();
    const before = addon.systemInfo().kernels;
    addon.setKernels(kernels); // the trainer runs this set's instruction set
    try {
      for (const config of [airConfig, plainConfig]) {
        const a = make({ config, threads: 1 });
        const b = make({ config, threads: 3 });
        const ra = await run(a, 3);
        const rb = await run(b, 3);
        expect(rb.map((r) => r.loss)).toEqual(ra.map((r) => r.loss));
        expect(same(a.exportWeights(), b.exportWeights())).toBe(true);
        a.dispose();
        b.dispose();
      }
    } finally {
      if (before) addon.setKernels(before);
    }
  });

  test('resuming from exported weights and optimizer state continues bit for bit', async () => {
    for (const config of [airConfig, plainConfig]) {
      const straight = make({ config });
      await run(straight, 8);
      const first = make({ config });
      await run(first, 4);
      const resumed = make({ config, seed: 99, init: { tensors: first.exportWeights() }, optimizerState: first.exportOptimizerState() });
      expect(resumed.steps).toBe(4);
      const rest = await run(resumed, 4, 4);
      expect(rest[3]!.step).toBe(8);
      expect(same(straight.exportWeights(), resumed.exportWeights())).toBe(true);
      expect(same(straight.exportOptimizerState().m, resumed.exportOptimizerState().m)).toBe(true);
      for (const t of [straight, first, resumed]) t.dispose();
    }
  });

  test('frozen chains do not move; the others do', async () => {
    const t = make({ config: airConfig, freezeChains: 2, weightDecay: 0.1 });
    const before = new Map(t.exportWeights().map((w) => [w.name, w]));
    await run(t, 3);
    const d1 = 8, d2 = 16; // chain boundaries of the hidden width
    for (const w of t.exportWeights()) {
      const old = before.get(w.name)!;
      const changed = (i: number) => w.data[i] !== old.data[i];
      if (/\.chains\.[01]\.weight$/.test(w.name) || /k_proj|v_proj/.test(w.name)) {
        expect(w.data.every((x, i) => x === old.data[i]), `${w.name} is frozen`).toBe(true);
      } else if (/\.chains\.2\.weight$/.test(w.name)) {
        expect(w.data.some((_, i) => changed(i)), `${w.name} trains`).toBe(true);
      } else {
        // embedding (tied head) and norms: columns of chains 1..2 frozen, chain 3's trained
        const cols = w.shape[w.shape.length - 1]!;
        for (let i = 0; i < w.data.length; i++) {
          const c = i % cols;
          if (c < d2) expect(changed(i), `${w.name}[${i}] is frozen`).toBe(false);
        }
        expect(w.data.some((_, i) => i % cols >= d2 && changed(i)), `${w.name} trains`).toBe(true);
      }
    }
    expect(d1).toBeLessThan(d2);
    t.dispose();
  });

  test('the loss falls on a small repeated corpus, for every sub-model', async () => {
    for (const config of [airConfig, plainConfig]) {
      const t = make({ config, lr: 3e-2, minLr: 3e-3, warmupSteps: 5, totalSteps: 60, weightDecay: 0 });
      // A phrase of 9 tokens repeated, each row starting elsewhere in it.
      const phrase = [3, 17, 5, 29, 11, 5, 38, 2, 23];
      const tokens = Int32Array.from({ length: 4 * 17 }, (_, i) => phrase[(Math.floor(i / 17) * 2 + (i % 17)) % phrase.length]!);
      const before = await t.evaluate(tokens, 4, 16);
      for (let s = 0; s < 60; s++) await t.step(tokens, 4, 16);
      const after = await t.evaluate(tokens, 4, 16);
      after.lossPerChain.forEach((l, k) => expect(l, `k = ${k + 1}`).toBeLessThan(before.lossPerChain[k]! * 0.25));
      t.dispose();
    }
  });

  test('refuses bad options, tokens and tensors with a message that names them', async () => {
    const { Trainer } = loadAddon();
    expect(() => new Trainer({ config: airConfig, freezeChains: 3 })).toThrow(/freezeChains/);
    expect(() => new Trainer({ config: airConfig, lr: -1 })).toThrow(/lr/);
    const t = make({ config: airConfig });
    expect(() => t.step(new Int32Array(5), 1, 12)).toThrow(/batch \* \(seqLen \+ 1\)/);
    await expect(t.step(Int32Array.from({ length: 13 }, () => 40), 1, 12)).rejects.toThrow(/outside the vocabulary/);
    const weights = t.exportWeights();
    expect(() => new Trainer({ config: airConfig, init: { tensors: weights.slice(1) } })).toThrow(/missing tensor model.embed_tokens.weight/);
    const extra = [...weights, { name: 'model.extra.weight', shape: [1], data: new Float32Array(1) }];
    expect(() => new Trainer({ config: airConfig, init: { tensors: extra } })).toThrow(/unknown tensor model.extra.weight/);
    t.dispose();
  });

  test('accepts whole-form chain linears and refuses entries outside the mask', () => {
    const t = make({ config: plainConfig });
    const weights = t.exportWeights();
    // q_proj of layer 0 whole: [32, 32], rows of chain 2 read everything, chain 1 the first 16 columns.
    const c0 = weights.find((w) => w.name === 'model.layers.0.self_attn.q_proj.chains.0.weight')!;
    const c1 = weights.find((w) => w.name === 'model.layers.0.self_attn.q_proj.chains.1.weight')!;
    const whole = new Float32Array(32 * 32);
    for (let r = 0; r < 16; r++) for (let c = 0; c < 16; c++) whole[r * 32 + c] = c0.data[r * 16 + c]!;
    for (let r = 0; r < 16; r++) for (let c = 0; c < 32; c++) whole[(16 + r) * 32 + c] = c1.data[r * 32 + c]!;
    const rest = weights.filter((w) => !w.name.startsWith('model.layers.0.self_attn.q_proj.'));
    const { Trainer } = loadAddon();
    const u = new Trainer({ config: plainConfig, init: { tensors: [...rest, { name: 'model.layers.0.self_attn.q_proj.weight', shape: [32, 32], data: whole }] } });
    expect(same(u.exportWeights(), weights)).toBe(true);
    whole[0 * 32 + 20] = 1; // chain 1's row reading chain 2's column
    expect(
      () => new Trainer({ config: plainConfig, init: { tensors: [...rest, { name: 'model.layers.0.self_attn.q_proj.weight', shape: [32, 32], data: whole }] } }),
    ).toThrow(/outside the block lower-triangular mask/);
    t.dispose();
    u.dispose();
  });

  test('a cancelled step rejects with an AbortError and leaves the weights as they were', async () => {
    const t = make({ config: plainConfig });
    const before = t.exportWeights();
    const big = batchOf(3, 8, 64, 40);
    const p = t.step(big, 8, 64);
    t.cancel();
    const outcome = await p.then(
      () => 'done',
      (e: Error) => e.name,
    );
    if (outcome === 'AbortError') {
      expect(same(t.exportWeights(), before)).toBe(true);
      expect(t.steps).toBe(0);
    } else {
      expect(t.steps).toBe(1); // finished before the flag was seen
    }
    t.dispose();
  });
});
