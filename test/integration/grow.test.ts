// colm grow (chain expansion): the grown checkpoint loads, its old sub-models are the old model's,
// and before any training its new top sub-model gives the old model's logits at every position
// (the LM head's new columns are zero). Impossible growth is refused, naming the rule; the same
// seed gives the same file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { parseConfig, readCheckpoint, type LoadPlan } from '../../app/checkpoint/index.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { decodeValues } from '../../app/trainer/grow/matrix.js';
import { TensorSource } from '../../app/trainer/grow/tensor-source.js';
import { GrowError, growCheckpoint, growConfig } from '../../app/trainer/grow/index.js';
import { writeSyntheticCheckpoint } from '../helpers/synthetic.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-grow-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fixture = (name: string) => resolve('test/fixtures/models', name);
// BOS, "Hello, world!\n" as bytes, and a few more ids: every id is inside the fixtures' vocabulary.
const TOKENS = [296, 72, 101, 108, 108, 111, 44, 32, 119, 111, 114, 108, 100, 33, 10, 5, 200, 3];

// [fixture, ratio]: the four the deliverable names (C = 2 where the widths allow it), plus a tied
// F16 model (zero embedding columns) and an Air model with unequal ratios.
const CASES: [string, number][] = [
  ['air4_f32.safetensors', 1],
  ['air4_f32.safetensors', 2],
  ['plain_unequal_bf16', 1],
  ['plain_unequal_bf16', 2],
  ['llama_gqa', 1],
  ['llama_gqa', 2],
  ['whole_sharded', 1],
  ['whole_sharded', 2],
  ['tied_f16.safetensors', 1],
  ['air_gqa_bf16.safetensors', 2],
];

async function allLogits(model: Model, chains: number): Promise<Float32Array> {
  const session = model.createSession({ kvType: 'f32', contextSize: 64 });
  try {
    return (await session.evaluate(TOKENS, { chains, logits: 'all' }))!;
  } finally {
    session.dispose();
  }
}

/** Equal to 1e-5 relative (absolute below 1): exact up to float reordering in the kernels. */
function expectSameLogits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const V = actual.length / TOKENS.length;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    if (!(Math.abs(actual[i]! - e) <= 1e-5 * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}: position ${Math.floor(i / V)} logit ${i % V} is ${actual[i]}, the original gives ${e}`);
    }
  }
}

async function tensorValues(plan: LoadPlan, name: string): Promise<Float32Array> {
  const source = new TensorSource(plan);
  try {
    return decodeValues(await source.read(name));
  } finally {
    await source.close();
  }
}

describe.each(CASES)('grow %s by a chain of ratio %i', (name, ratio) => {
  const out = join(scratch, `${name.replace(/\.safetensors$/, '')}-${ratio}.safetensors`);
  let original: Model;
  let grown: Model;
  let plan: LoadPlan;

  beforeAll(async () => {
    await growCheckpoint({ modelPath: fixture(name), addChain: ratio, outPath: out, seed: 7 });
    original = await loadModel(fixture(name));
    grown = await loadModel(out);
    plan = await readCheckpoint(out);
  });
  afterAll(() => {
    original?.dispose();
    grown?.dispose();
  });

  test('the grown config passes the loader, with the widths FORMAT.md implies', () => {
    const before = original.config;
    const after = plan.config;
    const S = before.chains.reduce((a, b) => a + b, 0);
    expect(plan.packaging).toBe('single-file');
    expect(after.modelType).toBe('colm');
    expect(after.chains).toEqual([...before.chains, ratio]);
    expect(after.hiddenSize).toBe(before.hiddenSize + (ratio * before.hiddenSize) / S);
    expect(after.numAttentionHeads).toBe(before.numAttentionHeads + (ratio * before.numAttentionHeads) / S);
    expect(after.intermediateSize).toBe(before.intermediateSize + (ratio * before.intermediateSize) / S);
    expect(after.numKeyValueHeads).toBe(before.kvSharing ? before.numKeyValueHeads : before.numKeyValueHeads + (ratio * before.numKeyValueHeads) / S);
    expect(after.headDim).toBe(before.headDim);
    expect(after.kvSharing).toBe(before.kvSharing);
    expect(after.tieWordEmbeddings).toBe(before.tieWordEmbeddings);
    // Every old chain keeps its widths, which is why its blocks can be copied as they are.
    const n = before.chains.length;
    for (const key of ['cumHidden', 'cumHeads', 'cumKvHeads', 'cumFfn'] as const) {
      expect(plan.widths[key].slice(0, n + 1), key).toEqual(original.widths[key]);
    }
    // Every chain linear is written per chain, whatever form the original used.
    expect(plan.tensors.filter((t) => /_proj\.weight$/.test(t.name) && !(after.kvSharing && /\.(k|v)_proj\./.test(t.name)))).toEqual([]);
    expect(plan.tokenizerConfig).toEqual(original.plan.tokenizerConfig);
    expect(plan.generationConfig).toEqual(original.plan.generationConfig);
  });

  test('sub-models k <= n are the original ones, and k = n + 1 gives the original logits at every position', async () => {
    const n = original.chainCount;
    for (let k = 1; k <= n; k++) {
      const reference = await allLogits(original, k);
      expectSameLogits(await allLogits(grown, k), reference, `k = ${k}`);
      if (k === n) expectSameLogits(await allLogits(grown, n + 1), reference, `k = n + 1 = ${n + 1}`);
    }
  });

  test('new LM head columns are zero, new norm weights one, and the new chain linear blocks random', async () => {
    const V = plan.config.vocabSize;
    const D = plan.config.hiddenSize;
    const dn = original.config.hiddenSize;
    const n = original.chainCount;
    const head = await tensorValues(plan, plan.config.tieWordEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
    for (let row = 0; row < V; row++) expect(head.subarray(row * D + dn, (row + 1) * D).every((x) => x === 0)).toBe(true);
    const norm = await tensorValues(plan, 'model.norm.weight');
    expect(Array.from(norm.subarray(dn))).toEqual(new Array(D - dn).fill(1));
    const block = await tensorValues(plan, `model.layers.0.mlp.up_proj.chains.${n}.weight`);
    const rms = Math.sqrt(block.reduce((sum, x) => sum + x * x, 0) / block.length);
    expect(rms).toBeGreaterThan(0.7 / Math.sqrt(D));
    expect(rms).toBeLessThan(1.3 / Math.sqrt(D));
  });
});

describe('grow: determinism and dtype', () => {
  test('the same seed gives the same file; another seed gives other new weights', async () => {
    const paths = ['a', 'b', 'c'].map((tag) => join(scratch, `seed-${tag}.safetensors`));
    await growCheckpoint({ modelPath: fixture('plain_unequal_bf16'), addChain: 1, outPath: paths[0]!, seed: 42 });
    await growCheckpoint({ modelPath: fixture('plain_unequal_bf16'), addChain: 1, outPath: paths[1]!, seed: 42 });
    await growCheckpoint({ modelPath: fixture('plain_unequal_bf16'), addChain: 1, outPath: paths[2]!, seed: 43 });
    const [a, b, c] = paths.map((p) => readFileSync(p));
    expect(a!.equals(b!)).toBe(true);
    expect(a!.equals(c!)).toBe(false);
    expect(a!.length).toBe(c!.length);
  });

  test('--dtype F32 on a BF16 model widens exactly, so the grown model is still exact', async () => {
    const out = join(scratch, 'widened.safetensors');
    const result = await growCheckpoint({ modelPath: fixture('plain_unequal_bf16'), addChain: 1, outPath: out, dtype: 'F32' });
    expect(result.dtype).toBe('F32');
    const plan = await readCheckpoint(out);
    expect(new Set(plan.tensors.map((t) => t.dtype))).toEqual(new Set(['F32']));
    const original = await loadModel(fixture('plain_unequal_bf16'));
    const grown = await loadModel(out);
    try {
      expectSameLogits(await allLogits(grown, 4), await allLogits(original, 3), 'k = 4 (F32) against k = 3 (BF16)');
    } finally {
      original.dispose();
      grown.dispose();
    }
  });
});

describe('grow: impossible growth is refused, naming the rule', () => {
  test('query heads that would not split: chains [2, 2] with 2 heads cannot take a chain of ratio 1', async () => {
    const model = join(scratch, 'two-heads.safetensors');
    await writeSyntheticCheckpoint(model, { hiddenSize: 64, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 2, chains: [2, 2] });
    const attempt = growCheckpoint({ modelPath: model, addChain: 1, outPath: join(scratch, 'never.safetensors') });
    await expect(attempt).rejects.toThrow(GrowError);
    await expect(attempt).rejects.toThrow(/num_attention_heads.*2\*1\/4 is not a whole number.*--add-chain 2/);
    // The suggested ratio works.
    await growCheckpoint({ modelPath: model, addChain: 2, outPath: join(scratch, 'two-heads-grown.safetensors') });
  });

  test('CoLM-Air: the new chain\'s heads must be a multiple of num_key_value_heads', async () => {
    const model = join(scratch, 'air-kv4.safetensors');
    await writeSyntheticCheckpoint(model, { hiddenSize: 64, intermediateSize: 64, layers: 1, heads: 8, kvHeads: 4, chains: [2, 2], kvSharing: true });
    const attempt = growCheckpoint({ modelPath: model, addChain: 1, outPath: join(scratch, 'never.safetensors') });
    await expect(attempt).rejects.toThrow(/kv_sharing the new chain's 2 query heads must be a multiple of num_key_value_heads 4.*--add-chain 2/);
  });

  test('an FFN width that would not split names intermediate_size', () => {
    const json = { model_type: 'colm', hidden_size: 64, intermediate_size: 98, num_hidden_layers: 1, vocab_size: 300, num_attention_heads: 4, chains: [2, 2] };
    const config = parseConfig(json, 'config.json');
    expect(() => growConfig('m', json, config, 1, 'F32')).toThrow(/key "intermediate_size": .*98\*1\/4 is not a whole number/);
    expect(growConfig('m', json, config, 2, 'F32').config.intermediateSize).toBe(147);
  });

  test('parts growth does not carry yet (biases, q/k norms, sliding window) are refused by name', () => {
    const base = { hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, vocab_size: 300, num_attention_heads: 4 };
    const refusals: [Record<string, unknown>, RegExp][] = [
      [{ ...base, model_type: 'qwen2' }, /key "attention_bias": .*attention biases/],
      [{ ...base, model_type: 'llama', mlp_bias: true }, /key "mlp_bias"/],
      [{ ...base, model_type: 'qwen3' }, /q\/k norms of qwen3/],
      [{ ...base, model_type: 'mistral', sliding_window: 8 }, /key "sliding_window"/],
    ];
    for (const [json, message] of refusals) {
      const config = parseConfig(json, 'config.json');
      expect(() => growConfig('m', json, config, 1, 'F32')).toThrow(message);
    }
  });

  test('the output may not be the checkpoint being grown', async () => {
    const model = join(scratch, 'self.safetensors');
    await writeSyntheticCheckpoint(model, { hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 2, chains: [1, 1] });
    await expect(growCheckpoint({ modelPath: model, addChain: 1, outPath: model })).rejects.toThrow(/is the checkpoint being grown/);
  });
});

describe('colm grow (the command)', () => {
  const colm = resolve('bin/colm.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [colm, ...args], { encoding: 'utf8', timeout: 60_000 });

  test('grows a dense Llama folder into a 2-chain CoLM file', async () => {
    const out = join(scratch, 'cli-llama.safetensors');
    const r = run('grow', fixture('llama_gqa'), '--add-chain', '1', '--out', out, '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chains \[1\] -> \[1, 1\], hidden 64 -> 128/);
    expect((await readCheckpoint(out)).config.chains).toEqual([1, 1]);
  });

  test('impossible growth exits 1 with the rule; bad options exit 2', async () => {
    const model = join(scratch, 'cli-two-heads.safetensors');
    await writeSyntheticCheckpoint(model, { hiddenSize: 64, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 2, chains: [2, 2] });
    let r = run('grow', model, '--add-chain', '1', '--out', join(scratch, 'never.safetensors'));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^colm: .*num_attention_heads.*is not a whole number/);
    r = run('grow', model, '--add-chain', '0', '--out', join(scratch, 'never.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--add-chain must be between 1/);
    r = run('grow', model, '--add-chain', '2', '--out', join(scratch, 'never.bin'));
    expect(r.status).toBe(2);
    r = run('grow', model, '--add-chain', '2', '--out', join(scratch, 'x.safetensors'), '--dtype', 'F64');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--dtype must be F32, BF16 or F16/);
    r = run('grow', model, '--out', join(scratch, 'x.safetensors'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs --add-chain/);
  });
});
