// FORMAT.md 1.1 models (biases, qk-norm, sliding window, linear RoPE) in every kernel variant this
// CPU has, against the float64 reference's goldens; and the loader's per-tensor storage: a plan
// that holds some chain linears as Q8_0 and the rest as float, with tensors given as bytes in
// memory (TensorEntry.data), runs like the same model with the dequantized weights as floats.
// Plans are built from the checkpoint parts directly (the path readCheckpoint takes for safetensors).
import { readFileSync, statSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';

import { chainWidths } from '../../app/checkpoint/chain-widths.js';
import { expectedTensors } from '../../app/checkpoint/expected-tensors.js';
import { readFolderCheckpoint } from '../../app/checkpoint/folder-checkpoint.js';
import { matchTensors } from '../../app/checkpoint/match-tensors.js';
import { readSingleFileCheckpoint } from '../../app/checkpoint/single-file-checkpoint.js';
import type { LoadPlan, TensorEntry } from '../../app/checkpoint/types.js';
import { loadAddon, type NativeModel } from '../../app/engine/native.js';
import { dequantizeQ8Rows, q8Bytes, quantizeQ8Rows } from '../../app/quantize/q8-rows.js';
import { compareRow, loadGoldens, type Golden } from '../helpers/golden.js';

const addon = loadAddon();
const FIXTURES_1_1 = ['qwen2_chained', 'qwen3_air', 'qwen3_head_dim', 'mistral_window', 'llama_linear_rope'];
const goldens = loadGoldens().filter((g) => FIXTURES_1_1.includes(g.name));
const worst: Record<string, string> = {};

async function planOf(path: string): Promise<LoadPlan> {
  const parts = statSync(path).isDirectory() ? await readFolderCheckpoint(path, {}) : await readSingleFileCheckpoint(path);
  const widths = chainWidths(parts.config);
  const tensors = matchTensors(expectedTensors(parts.config, widths), parts.tensors, parts.weightsFile, parts.config.chains.length);
  return { source: path, packaging: parts.packaging, config: parts.config, widths, files: parts.files, tensors, tokenizerJson: null, tokenizerConfig: null, generationConfig: null };
}

/** Logits of every position, batched (the prefill path) or one position at a time (decode). */
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
  console.log('FORMAT.md 1.1 fixtures, largest |engine - reference| per kernel variant:', worst);
});

test('the 1.1 fixtures are there', () => {
  expect(goldens.map((g) => g.name).sort()).toEqual([...FIXTURES_1_1].sort());
});

test('every kernel variant matches the reference on every 1.1 fixture, decode and prefill', async () => {
  const info = addon.systemInfo();
  const variants = (info.kernelsAvailable ?? [info.kernels!]).filter((v) => !(info.kernelsOptIn ?? []).includes(v));
  expect(variants).toContain('scalar');
  for (const variant of variants) {
    addon.setKernels(variant);
    let w = 0;
    for (const g of goldens) {
      const model = await addon.loadModel(await planOf(g.model)).promise;
      for (let k = 1; k <= g.chains; k++) {
        for (const batched of [false, true]) {
          const rows = await logitsOf(model, g.tokens, k, batched);
          rows.forEach((row, p) => (w = Math.max(w, compareRow(row, g.logits[k]![p]!, `${variant} ${g.name} k=${k} p=${p}${batched ? ' batched' : ''}`))));
        }
      }
      model.dispose();
    }
    worst[variant] = w.toExponential(2);
  }
}, 120_000);

/** F32 values of a plan entry read from its file. */
function floatsOf(plan: LoadPlan, e: TensorEntry): Float32Array {
  const bytes = readFileSync(plan.files[e.file]!).subarray(e.offset, e.offset + e.byteLength);
  expect(e.dtype).toBe('F32');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/**
 * Two plans of one model: `mixed` stores q_proj and down_proj as in-memory Q8_0 (no
 * colm_quantization in the config), `float` stores their dequantized values as in-memory F32.
 */
function mixedAndFloat(plan: LoadPlan): { mixed: LoadPlan; float: LoadPlan } {
  const mixed: TensorEntry[] = [];
  const float: TensorEntry[] = [];
  for (const e of plan.tensors) {
    if (!/(q_proj|down_proj)(\.chains\.\d+)?\.weight$/.test(e.name)) {
      mixed.push(e);
      float.push(e);
      continue;
    }
    const [rows, cols] = e.shape as [number, number];
    const q = quantizeQ8Rows(floatsOf(plan, e), rows, cols, 'F16');
    if ('overflowRow' in q) throw new Error('fixture weights overflow F16 scales');
    const { qweight, qscale } = q8Bytes(q);
    const base = e.name.replace(/\.weight$/, '');
    mixed.push({ name: `${base}.qweight`, file: 0, offset: 0, byteLength: qweight.byteLength, dtype: 'I8', shape: [rows, cols], data: qweight });
    mixed.push({ name: `${base}.qscale`, file: 0, offset: 0, byteLength: qscale.byteLength, dtype: 'F16', shape: [rows, Math.ceil(cols / 32)], data: qscale });
    const back = new Uint8Array(dequantizeQ8Rows(q).buffer);
    float.push({ ...e, file: 0, offset: 0, data: back });
  }
  return { mixed: { ...plan, tensors: mixed }, float: { ...plan, tensors: float } };
}

test('per-tensor Q8_0 with biases, from in-memory bytes, equals its dequantized float model in every variant', async () => {
  const info = addon.systemInfo();
  const variants = (info.kernelsAvailable ?? [info.kernels!]).filter((v) => !(info.kernelsOptIn ?? []).includes(v));
  for (const name of ['qwen2_chained', 'qwen3_air']) {
    const g: Golden = goldens.find((x) => x.name === name)!;
    const { mixed, float } = mixedAndFloat(await planOf(g.model));
    expect(mixed.config.quantization).toBeNull();
    expect(mixed.tensors.filter((t) => t.dtype === 'I8').length).toBeGreaterThan(0);
    expect(mixed.tensors.some((t) => t.name.endsWith('.bias'))).toBe(true);
    for (const variant of variants) {
      addon.setKernels(variant);
      const q8Model = await addon.loadModel(mixed).promise;
      const floatModel = await addon.loadModel(float).promise;
      for (let k = 1; k <= g.chains; k++) {
        const a = await logitsOf(q8Model, g.tokens, k, true);
        const b = await logitsOf(floatModel, g.tokens, k, true);
        a.forEach((row, p) => compareRow(row, Array.from(b[p]!), `${variant} ${name} q8 vs dequantized k=${k} p=${p}`));
        // And the quantization really changed the model (the test can tell float from Q8_0).
        const ref = g.logits[k]![g.tokens.length - 1]!;
        expect(Math.max(...ref.map((x, i) => Math.abs(x - a[g.tokens.length - 1]![i]!)))).toBeGreaterThan(1e-4);
      }
      q8Model.dispose();
      floatModel.dispose();
    }
  }
}, 120_000);

test('the loader refuses in-memory bytes that do not fit the shape, and both forms of one linear', async () => {
  const plan = await planOf(goldens.find((g) => g.name === 'qwen2_chained')!.model);
  const { mixed } = mixedAndFloat(plan);
  const name = 'model.layers.0.self_attn.q_proj.chains.0.qweight';
  const short = mixed.tensors.map((t) => (t.name === name ? { ...t, data: t.data!.subarray(1), byteLength: t.byteLength - 1 } : t));
  await expect(addon.loadModel({ ...mixed, tensors: short }).promise).rejects.toThrow(/\(in memory\): tensor "model\.layers\.0\.self_attn\.q_proj\.chains\.0\.qweight": shape \[16, 16\] is larger than its data/);
  const both = [...mixed.tensors, ...plan.tensors.filter((t) => t.name === 'model.layers.0.self_attn.q_proj.chains.0.weight')];
  await expect(addon.loadModel({ ...mixed, tensors: both }).promise).rejects.toThrow(/q_proj\.chains\.0\.weight.*also stored as \.qweight/);
});
