// FORMAT.md 1.1 tensors: biases (whole or per chain, Air k/v dense), qwen3 qk-norm weights, matched
// against the specs a config calls for; every refusal names the tensor.
import { describe, expect, it } from 'vitest';
import { chainWidths, parameterCounts, parseConfig, totalStoredParameters } from '../../../app/checkpoint/config.js';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { expectedTensors, type TensorSpec } from '../../../app/checkpoint/expected-tensors.js';
import { matchTensors, type LocatedTensor } from '../../../app/checkpoint/match-tensors.js';
import type { ColmConfig, TensorEntry } from '../../../app/checkpoint/types.js';

const FILE = '/m/model.safetensors';

function config(overrides: Record<string, unknown>): ColmConfig {
  return parseConfig(
    { model_type: 'qwen2', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, vocab_size: 11, num_attention_heads: 4, num_key_value_heads: 2, ...overrides },
    '/m/config.json',
  );
}

/** The tensors of a valid checkpoint of `c`: chain linears per chain when n > 1, biases in `biasForm`. */
function tensorsFor(c: ColmConfig, biasForm: 'whole' | 'per-chain'): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const n = c.chains.length;
  for (const spec of expectedTensors(c, chainWidths(c))) {
    if (spec.kind === 'dense') out.set(spec.name, spec.shape);
    if (spec.kind !== 'chain-linear') continue;
    const rows = spec.outWidths.reduce((a, b) => a + b, 0);
    if (n === 1) out.set(`${spec.base}.weight`, [rows, spec.cumIn[1]!]);
    else spec.outWidths.forEach((w, i) => out.set(`${spec.base}.chains.${i}.weight`, [w, spec.cumIn[i + 1]!]));
    if (!spec.bias) continue;
    if (biasForm === 'whole' || n === 1) out.set(`${spec.base}.bias`, [rows]);
    else spec.outWidths.forEach((w, i) => out.set(`${spec.base}.chains.${i}.bias`, [w]));
  }
  return out;
}

function match(c: ColmConfig, tensors: Map<string, number[]>): TensorEntry[] {
  const found = new Map<string, LocatedTensor>();
  let offset = 0;
  for (const [name, shape] of tensors) {
    const byteLength = 4 * shape.reduce((a, b) => a * b, 1);
    found.set(name, { file: 0, path: FILE, tensor: { name, dtype: 'F32', shape, offset, byteLength } });
    offset += byteLength;
  }
  return matchTensors(expectedTensors(c, chainWidths(c)), found, FILE, c.chains.length);
}

function refusal(c: ColmConfig, tensors: Map<string, number[]>): CheckpointError {
  try {
    match(c, tensors);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('matched a checkpoint it should refuse');
}

const names = (specs: TensorSpec[]) => specs.map((s) => (s.kind === 'chain-linear' ? `${s.base}${s.bias ? ' +bias' : ''}` : s.name));

describe('which tensors a family calls for', () => {
  it('qwen2: q/k/v biases, no o or FFN bias', () => {
    const c = config({});
    const list = names(expectedTensors(c, chainWidths(c)));
    expect(list).toContain('model.layers.0.self_attn.q_proj +bias');
    expect(list).toContain('model.layers.0.self_attn.v_proj +bias');
    expect(list).toContain('model.layers.0.self_attn.o_proj');
    expect(list).toContain('model.layers.0.mlp.down_proj');
  });

  it('qwen3: q_norm/k_norm [head_dim]; Air with biases: dense k/v biases [h_kv*head_dim]', () => {
    const c = config({ model_type: 'qwen3', attention_bias: true, chains: [1, 1], kv_sharing: true, num_key_value_heads: 1 });
    const specs = expectedTensors(c, chainWidths(c));
    expect(specs).toContainEqual({ kind: 'dense', name: 'model.layers.0.self_attn.q_norm.weight', shape: [2] });
    expect(specs).toContainEqual({ kind: 'dense', name: 'model.layers.0.self_attn.k_proj.bias', shape: [2] });
    expect(names(specs)).toContain('model.layers.0.self_attn.o_proj +bias');
  });
});

describe('matching biases', () => {
  const chained = () => config({ chains: [1, 1] });

  it('accepts whole and per-chain biases, and lists them in the plan', () => {
    for (const form of ['whole', 'per-chain'] as const) {
      const entries = match(chained(), tensorsFor(chained(), form));
      const biasNames = entries.map((e) => e.name).filter((n) => n.endsWith('.bias'));
      expect(biasNames).toHaveLength(form === 'whole' ? 3 : 6);
    }
  });

  it('accepts Air and qwen3 tensors', () => {
    const c = config({ model_type: 'qwen3', attention_bias: true, chains: [1, 1], kv_sharing: true, num_key_value_heads: 1 });
    expect(match(c, tensorsFor(c, 'per-chain')).map((e) => e.name)).toContain('model.layers.0.self_attn.k_norm.weight');
  });

  it('refuses a missing bias, naming it', () => {
    const t = tensorsFor(chained(), 'whole');
    t.delete('model.layers.0.self_attn.k_proj.bias');
    const e = refusal(chained(), t);
    expect(e.tensor).toBe('model.layers.0.self_attn.k_proj.bias');
    expect(e.rule).toMatch(/missing/);
  });

  it('refuses one chain of a per-chain bias missing', () => {
    const t = tensorsFor(chained(), 'per-chain');
    t.delete('model.layers.0.self_attn.q_proj.chains.1.bias');
    expect(refusal(chained(), t).tensor).toBe('model.layers.0.self_attn.q_proj.chains.1.bias');
  });

  it('refuses both forms of one bias', () => {
    const t = tensorsFor(chained(), 'whole');
    t.set('model.layers.0.self_attn.q_proj.chains.0.bias', [4]);
    const e = refusal(chained(), t);
    expect(e.tensor).toBe('model.layers.0.self_attn.q_proj.bias');
    expect(e.rule).toMatch(/both whole and per chain/);
  });

  it('refuses a bias of the wrong shape', () => {
    const t = tensorsFor(chained(), 'whole');
    t.set('model.layers.0.self_attn.v_proj.bias', [5]);
    const e = refusal(chained(), t);
    expect(e.tensor).toBe('model.layers.0.self_attn.v_proj.bias');
    expect(e.rule).toMatch(/shape \[5\]/);
  });

  it('refuses a bias the config does not call for (llama without attention_bias)', () => {
    const c = config({ model_type: 'llama' });
    const t = tensorsFor(c, 'whole');
    t.set('model.layers.0.self_attn.o_proj.bias', [8]);
    const e = refusal(c, t);
    expect(e.tensor).toBe('model.layers.0.self_attn.o_proj.bias');
    expect(e.rule).toMatch(/not part of this model/);
  });

  it('refuses a per-chain bias with one chain, and a missing qk-norm weight', () => {
    const c = config({});
    const t = tensorsFor(c, 'whole');
    t.delete('model.layers.0.self_attn.q_proj.bias');
    t.set('model.layers.0.self_attn.q_proj.chains.0.bias', [8]);
    expect(refusal(c, t).rule).toMatch(/single chain/);
    const q3 = config({ model_type: 'qwen3' });
    const t3 = tensorsFor(q3, 'whole');
    t3.delete('model.layers.0.self_attn.q_norm.weight');
    expect(refusal(q3, t3).tensor).toBe('model.layers.0.self_attn.q_norm.weight');
  });
});

describe('parameter counts with biases and qk-norm', () => {
  it('the full model counts every stored element (per-chain biases, Air, qwen3)', () => {
    for (const c of [
      config({ chains: [1, 1] }),
      config({ model_type: 'llama', attention_bias: true, mlp_bias: true, chains: [1, 3], num_key_value_heads: 4 }),
      config({ model_type: 'qwen3', attention_bias: true, chains: [1, 1], kv_sharing: true, num_key_value_heads: 1 }),
    ]) {
      const stored = [...tensorsFor(c, 'per-chain').values()].reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
      expect(totalStoredParameters(c)).toBe(stored);
    }
  });

  it('sub-model 1 of a biased {1,1} qwen2 counts half the q/k/v biases', () => {
    const withBias = parameterCounts(config({ chains: [1, 1] }));
    const plain = parameterCounts(config({ model_type: 'colm', chains: [1, 1] }));
    // q: 4 of 8 outputs, k and v: 2 of 4 each.
    expect((withBias[0] ?? 0) - (plain[0] ?? 0)).toBe(4 + 2 + 2);
  });
});
