// The engine's Q8_0 embedding and LM head (what the GGUF reader keeps from a GGUF's own Q8_0
// token_embd / output, docs/FORMAT-Q8.md "Per-tensor storage inside the engine"): a plan that holds
// `model.embed_tokens` and `lm_head` as in-memory `.qweight` / `.qscale` pairs gives the same logits
// as the same values dequantized to F32, in every kernel variant, decode and prefill, every chain
// count (the embedding row and the LM head read as a d_k prefix), tied and untied.
import { afterAll, expect, test } from 'vitest';

import type { LoadPlan, TensorEntry } from '../../app/checkpoint/types.js';
import { loadAddon, type NativeModel } from '../../app/engine/native.js';
import { dequantizeQ8Rows, q8Bytes, quantizeQ8Rows, type ScaleDType } from '../../app/quantize/q8-rows.js';
import { compareRow, loadGoldens } from '../helpers/golden.js';
import { floatsOf, planOf } from '../helpers/plans.js';

const addon = loadAddon();
const goldens = loadGoldens();

/**
 * Two plans of one model: `q8` holds the embedding and the LM head (when stored) as in-memory Q8_0
 * pairs, `float` the very values those pairs mean as in-memory F32. `tie` turns the model tied
 * (the LM head dropped, the embedding read as the head).
 */
function q8AndFloat(plan: LoadPlan, tie: boolean): { q8: LoadPlan; float: LoadPlan } {
  const config = tie ? { ...plan.config, tieWordEmbeddings: true } : plan.config;
  const q8: TensorEntry[] = [];
  const float: TensorEntry[] = [];
  const scaleDtype: Record<string, ScaleDType> = { 'model.embed_tokens.weight': 'F16', 'lm_head.weight': 'F32' };
  for (const e of plan.tensors) {
    if (tie && e.name === 'lm_head.weight') continue;
    const scales = scaleDtype[e.name];
    if (scales === undefined) {
      q8.push(e);
      float.push(e);
      continue;
    }
    const [rows, cols] = e.shape as [number, number];
    const m = quantizeQ8Rows(floatsOf(plan, e), rows, cols, scales);
    if ('overflowRow' in m) throw new Error('fixture weights overflow F16 scales');
    const { qweight, qscale } = q8Bytes(m);
    const base = e.name.replace(/\.weight$/, '');
    q8.push({ name: `${base}.qweight`, file: 0, offset: 0, byteLength: qweight.byteLength, dtype: 'I8', shape: [rows, cols], data: qweight });
    q8.push({ name: `${base}.qscale`, file: 0, offset: 0, byteLength: qscale.byteLength, dtype: scales, shape: [rows, Math.ceil(cols / 32)], data: qscale });
    const back = new Uint8Array(dequantizeQ8Rows(m).buffer);
    float.push({ ...e, dtype: 'F32', byteLength: back.byteLength, file: 0, offset: 0, data: back });
  }
  return { q8: { ...plan, config, tensors: q8 }, float: { ...plan, config, tensors: float } };
}

async function logitsOf(model: NativeModel, tokens: number[], k: number, batched: boolean): Promise<Float32Array[]> {
  const session = new addon.Session(model, { kvType: 'f32', contextSize: 64 });
  const rows: Float32Array[] = [];
  if (batched) {
    const all = (await session.evaluate(Int32Array.from(tokens), k, { logits: 'all' })).logits!;
    const V = all.length / tokens.length;
    for (let p = 0; p < tokens.length; p++) rows.push(all.slice(p * V, (p + 1) * V));
  } else {
    for (const t of tokens) rows.push((await session.evaluate(Int32Array.of(t), k, { logits: 'last' })).logits!);
  }
  session.dispose();
  return rows;
}

afterAll(() => {
  addon.setKernels(addon.systemInfo().kernels!);
});

test('a Q8_0 embedding and LM head give the logits of their dequantized F32 values, every variant, tied and untied', async () => {
  const info = addon.systemInfo();
  const variants = (info.kernelsAvailable ?? [info.kernels!]).filter((v) => !(info.kernelsOptIn ?? []).includes(v));
  expect(variants).toContain('scalar');
  const cases: [string, boolean][] = [
    ['qwen2_chained', false], // chained: d_k prefixes that end inside a block of 32
    ['qwen2_chained', true],
    ['tied_f16', false], // tied in its config: the embedding is the head
    ['air4_f32', false],
  ];
  for (const [name, tie] of cases) {
    const g = goldens.find((x) => x.name === name)!;
    const plan = await planOf(g.model);
    const { q8, float } = q8AndFloat(plan, tie);
    const tied = q8.config.tieWordEmbeddings;
    expect(q8.tensors.some((t) => t.name === 'model.embed_tokens.qweight')).toBe(true);
    expect(q8.tensors.some((t) => t.name === 'lm_head.qweight')).toBe(!tied);
    for (const variant of variants) {
      addon.setKernels(variant);
      const q8Model = await addon.loadModel(q8).promise;
      const floatModel = await addon.loadModel(float).promise;
      for (let k = 1; k <= g.chains; k++) {
        for (const batched of [false, true]) {
          const a = await logitsOf(q8Model, g.tokens, k, batched);
          const b = await logitsOf(floatModel, g.tokens, k, batched);
          a.forEach((row, p) => compareRow(row, Array.from(b[p]!), `${variant} ${name}${tie ? ' (tied)' : ''} k=${k} p=${p}${batched ? ' batched' : ''}`));
        }
      }
      if (!tie) {
        // The quantization really changed the model (the test can tell Q8_0 from the float file).
        const a = await logitsOf(q8Model, g.tokens, g.chains, true);
        const ref = g.logits[g.chains]![g.tokens.length - 1]!;
        expect(Math.max(...ref.map((x, i) => Math.abs(x - a[g.tokens.length - 1]![i]!)))).toBeGreaterThan(1e-4);
      }
      q8Model.dispose();
      floatModel.dispose();
    }
  }
}, 120_000);

test('the loader refuses an embedding stored both as float and as Q8_0', async () => {
  const plan = await planOf(goldens.find((g) => g.name === 'qwen2_chained')!.model);
  const { q8 } = q8AndFloat(plan, false);
  const both = [...q8.tensors, ...plan.tensors.filter((t) => t.name === 'model.embed_tokens.weight')];
  await expect(addon.loadModel({ ...q8, tensors: both }).promise).rejects.toThrow(/embed_tokens\.weight.*also stored as \.qweight/);
});
