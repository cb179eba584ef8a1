import { describe, expect, it } from 'vitest';
import { chainWidths, parameterCounts, parseConfig, totalStoredParameters } from '../../../app/checkpoint/config.js';
import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { modelShapes, tinyConfig, type RawConfig } from './tiny-checkpoints.js';

const FILE = '/models/tiny/config.json';

function refusal(json: unknown): CheckpointError {
  try {
    parseConfig(json, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    return error as CheckpointError;
  }
  throw new Error('parseConfig accepted a config it should refuse');
}

/** Asserts the refusal names the file and the key, and returns the message for further checks. */
function expectRefused(json: unknown, key: string, rulePart?: RegExp): string {
  const error = refusal(json);
  expect(error.file).toBe(FILE);
  expect(error.key).toBe(key);
  expect(error.message).toContain(FILE);
  expect(error.message).toContain(`"${key}"`);
  expect(error.message).not.toContain('\n');
  if (rulePart) expect(error.rule).toMatch(rulePart);
  return error.message;
}

describe('parseConfig: defaults', () => {
  it('applies FORMAT.md defaults to a minimal Llama config', () => {
    const config = parseConfig(
      { model_type: 'llama', hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2, vocab_size: 100, num_attention_heads: 8 },
      FILE,
    );
    expect(config).toEqual({
      modelType: 'llama',
      hiddenSize: 64,
      intermediateSize: 128,
      numHiddenLayers: 2,
      vocabSize: 100,
      numAttentionHeads: 8,
      numKeyValueHeads: 8,
      headDim: 8,
      chains: [1],
      kvSharing: false,
      rmsNormEps: 1e-5,
      ropeTheta: 10000,
      ropeScaling: null,
      tieWordEmbeddings: false,
      maxPositionEmbeddings: null,
      bosTokenId: null,
      eosTokenIds: [],
      quantization: null,
      qkvBias: false,
      oBias: false,
      mlpBias: false,
      qkNorm: false,
      slidingWindow: null,
      slidingWindowLayers: [false, false],
    });
  });

  it('treats JSON null like an absent key', () => {
    const config = parseConfig(tinyConfig({ num_key_value_heads: null, head_dim: null, chains: null, rope_scaling: null, eos_token_id: null }), FILE);
    expect(config.numKeyValueHeads).toBe(4);
    expect(config.headDim).toBe(2);
    expect(config.chains).toEqual([1]);
    expect(config.eosTokenIds).toEqual([]);
  });

  it('reads the CoLM keys, rope and token ids', () => {
    const config = parseConfig(
      tinyConfig({
        kv_sharing: true,
        num_key_value_heads: 2,
        tie_word_embeddings: true,
        max_position_embeddings: 2048,
        rope_theta: 500000,
        rms_norm_eps: 1e-6,
        eos_token_id: [2, 3],
        rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
      }),
      FILE,
    );
    expect(config.kvSharing).toBe(true);
    expect(config.tieWordEmbeddings).toBe(true);
    expect(config.maxPositionEmbeddings).toBe(2048);
    expect(config.ropeTheta).toBe(500000);
    expect(config.rmsNormEps).toBe(1e-6);
    expect(config.eosTokenIds).toEqual([2, 3]);
    expect(config.bosTokenId).toBe(1);
    expect(config.ropeScaling).toEqual({ ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 });
  });

  it('accepts the older rope_scaling spelling `type` and "default" as no scaling', () => {
    const old = parseConfig(tinyConfig({ rope_scaling: { type: 'llama3', factor: 32, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }), FILE);
    expect(old.ropeScaling?.factor).toBe(32);
    expect(parseConfig(tinyConfig({ rope_scaling: { rope_type: 'default' } }), FILE).ropeScaling).toBeNull();
  });

  it('accepts every allowed model_type and harmless HF keys', () => {
    for (const modelType of ['colm', 'llama', 'mistral', 'qwen2', 'qwen3']) {
      expect(parseConfig(tinyConfig({ model_type: modelType }), FILE).modelType).toBe(modelType);
    }
    const config = tinyConfig({ attention_bias: false, mlp_bias: false, hidden_act: 'silu', use_sliding_window: false, sliding_window: 64, torch_dtype: 'bfloat16', architectures: ['LlamaForCausalLM'] });
    expect(() => parseConfig(config, FILE)).not.toThrow();
    expect(() => parseConfig(tinyConfig({ sliding_window: 4096, max_position_embeddings: 4096 }), FILE)).not.toThrow();
  });

  it('keeps an explicit head_dim that fits D_i = h_i*head_dim', () => {
    expect(parseConfig(tinyConfig({ head_dim: 2 }), FILE).headDim).toBe(2);
  });

  it('does not read keys from the prototype chain', () => {
    const json = JSON.parse('{"model_type":"colm","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"vocab_size":5,"num_attention_heads":2,"__proto__":{"chains":[3]}}');
    // "__proto__" is an own key of the parsed JSON, unknown like any other: refused by name.
    expect(() => parseConfig(json, FILE)).toThrow(/"__proto__"/);
    const withoutChains = JSON.parse('{"model_type":"colm","hidden_size":8,"intermediate_size":16,"num_hidden_layers":1,"vocab_size":5,"num_attention_heads":2}');
    Object.setPrototypeOf(withoutChains, { chains: [3] });
    expect(parseConfig(withoutChains, FILE).chains).toEqual([1]);
  });
});

describe('parseConfig: refusals name the key and the rule', () => {
  it('refuses a config that is not an object', () => {
    for (const bad of [null, 42, 'x', [1, 2], true]) {
      const error = refusal(bad);
      expect(error.file).toBe(FILE);
      expect(error.message).toContain(FILE);
    }
  });

  it('refuses unknown or missing model_type', () => {
    expectRefused(tinyConfig({ model_type: 'gemma' }), 'model_type', /colm, llama, mistral, qwen2/);
    expectRefused(tinyConfig({ model_type: undefined }), 'model_type');
  });

  it.each(['hidden_size', 'intermediate_size', 'num_hidden_layers', 'vocab_size', 'num_attention_heads'])('requires %s as a positive integer', (key) => {
    expectRefused(tinyConfig({ [key]: undefined }), key, /required/);
    for (const bad of [0, -8, 8.5, '8', true, [8], Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      expectRefused(tinyConfig({ [key]: bad }), key);
    }
  });

  it('refuses bad optional sizes and flags', () => {
    expectRefused(tinyConfig({ num_key_value_heads: 0 }), 'num_key_value_heads');
    expectRefused(tinyConfig({ num_key_value_heads: 8 }), 'num_key_value_heads', /more than/);
    expectRefused(tinyConfig({ head_dim: -2 }), 'head_dim');
    expectRefused(tinyConfig({ kv_sharing: 'yes' }), 'kv_sharing');
    expectRefused(tinyConfig({ tie_word_embeddings: 1 }), 'tie_word_embeddings');
    expectRefused(tinyConfig({ rms_norm_eps: 0 }), 'rms_norm_eps');
    expectRefused(tinyConfig({ rope_theta: -1 }), 'rope_theta');
    expectRefused(tinyConfig({ max_position_embeddings: 0 }), 'max_position_embeddings');
  });

  it('refuses chains that are not a list of positive integers', () => {
    for (const bad of [[], [0], [1, -1], [1.5], ['1'], 2, {}]) expectRefused(tinyConfig({ chains: bad }), 'chains');
  });

  it('refuses token ids that are not ids of this vocabulary', () => {
    expectRefused(tinyConfig({ bos_token_id: -1 }), 'bos_token_id');
    expectRefused(tinyConfig({ bos_token_id: 11 }), 'bos_token_id', /outside the vocabulary/);
    expectRefused(tinyConfig({ eos_token_id: [2, 'x'] }), 'eos_token_id');
    expectRefused(tinyConfig({ eos_token_id: 99 }), 'eos_token_id');
  });

  it('refuses rope_scaling other than llama3 with its four numbers', () => {
    const llama3 = { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
    expectRefused(tinyConfig({ rope_scaling: { rope_type: 'yarn', factor: 4 } }), 'rope_scaling', /"yarn".*llama3/);
    expectRefused(tinyConfig({ rope_scaling: { type: 'dynamic', factor: 2 } }), 'rope_scaling', /"dynamic"/);
    expectRefused(tinyConfig({ rope_scaling: 'llama3' }), 'rope_scaling');
    for (const key of ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings']) {
      expectRefused(tinyConfig({ rope_scaling: { ...llama3, [key]: undefined } }), `rope_scaling.${key}`);
    }
    expectRefused(tinyConfig({ rope_scaling: { ...llama3, original_max_position_embeddings: 81.5 } }), 'rope_scaling.original_max_position_embeddings');
    expectRefused(tinyConfig({ rope_scaling: { ...llama3, high_freq_factor: 1 } }), 'rope_scaling.high_freq_factor');
  });

  it('refuses keys that ask for parts this engine does not have', () => {
    expectRefused(tinyConfig({ model_type: 'mistral', attention_bias: true }), 'attention_bias', /bias/);
    expectRefused(tinyConfig({ model_type: 'qwen2', mlp_bias: true }), 'mlp_bias', /bias/);
    expectRefused(tinyConfig({ hidden_act: 'gelu' }), 'hidden_act');
    expectRefused(tinyConfig({ quantization_config: { quant_method: 'gptq' } }), 'quantization_config');
    expectRefused(tinyConfig({ model_type: 'llama', sliding_window: 4096 }), 'sliding_window', /not understood/);
    expectRefused(tinyConfig({ partial_rotary_factor: 0.5 }), 'partial_rotary_factor');
  });
});

describe('parseConfig: the chain divisibility rules', () => {
  // Base for these: D=12, h=6 (head_dim 2), H=24.
  const base = (overrides: RawConfig): RawConfig =>
    tinyConfig({ hidden_size: 12, num_attention_heads: 6, num_key_value_heads: 6, intermediate_size: 24, ...overrides });

  it('accepts widths that divide, including unequal chains', () => {
    expect(parseConfig(base({ chains: [1, 2] }), FILE).chains).toEqual([1, 2]);
    expect(parseConfig(base({ chains: [1, 1, 1] }), FILE).chains).toEqual([1, 1, 1]);
  });

  it('D*ci/S must be whole', () => {
    // D=10, h=5, head_dim 2: chains [1,4] give D_1 = 2, fine; [2,3] give D_1 = 4, h_1 = 2: fine; [1,2] D_1=10/3.
    expect(expectRefused(tinyConfig({ hidden_size: 10, num_attention_heads: 5, num_key_value_heads: 5, intermediate_size: 30, chains: [1, 2] }), 'chains')).toMatch(/hidden_size/);
  });

  it('h*ci/S must be whole', () => {
    // D=12 splits in 4 as 3s, but h=6 does not (6/4).
    expect(expectRefused(base({ chains: [1, 1, 1, 1] }), 'chains')).toMatch(/num_attention_heads/);
  });

  it('H*ci/S must be whole', () => {
    expect(expectRefused(base({ intermediate_size: 25, chains: [1, 2] }), 'chains')).toMatch(/intermediate_size/);
  });

  it('D_i must equal h_i*head_dim', () => {
    expect(expectRefused(base({ head_dim: 4 }), 'head_dim')).toMatch(/head_dim 4/);
  });

  it('head_dim default needs D divisible by h', () => {
    expectRefused(tinyConfig({ hidden_size: 10, num_attention_heads: 4, num_key_value_heads: 4 }), 'head_dim', /not a multiple/);
  });

  it('plain GQA: h % h_kv == 0', () => {
    expectRefused(base({ num_key_value_heads: 4, chains: [1] }), 'num_key_value_heads', /not a multiple/);
  });

  it('plain GQA: h_kv*ci/S must be whole', () => {
    // h=6, h_kv=3, chains [1,1]: 3/2 KV heads per chain.
    expect(expectRefused(base({ num_key_value_heads: 3, chains: [1, 1] }), 'chains')).toMatch(/num_key_value_heads/);
    expect(parseConfig(base({ num_key_value_heads: 2, chains: [1, 1] }), FILE).numKeyValueHeads).toBe(2);
  });

  it('Air: each h_i must be a multiple of h_kv', () => {
    // h=6, chains [1,2]: h_i = 2, 4; h_kv = 4 does not divide 2.
    expectRefused(base({ kv_sharing: true, num_key_value_heads: 4, chains: [1, 2] }), 'num_key_value_heads', /kv_sharing/);
    // h_kv = 3 with chains [1,1]: 3 heads per chain, fine for Air even though 3/2 per chain is not.
    expect(parseConfig(base({ kv_sharing: true, num_key_value_heads: 3, chains: [1, 1] }), FILE).kvSharing).toBe(true);
  });
});

describe('chainWidths', () => {
  it('splits every width by the chain ratios with prefix sums', () => {
    const config = parseConfig(tinyConfig({ hidden_size: 12, num_attention_heads: 6, num_key_value_heads: 3, intermediate_size: 24, chains: [1, 2] }), FILE);
    expect(chainWidths(config)).toEqual({
      hidden: [4, 8],
      heads: [2, 4],
      kvHeads: [1, 2],
      ffn: [8, 16],
      cumHidden: [0, 4, 12],
      cumHeads: [0, 2, 6],
      cumKvHeads: [0, 1, 3],
      cumFfn: [0, 8, 24],
    });
  });

  it('puts every KV head in chain 1 with kv_sharing', () => {
    const config = parseConfig(tinyConfig({ kv_sharing: true, num_key_value_heads: 2 }), FILE);
    const widths = chainWidths(config);
    expect(widths.kvHeads).toEqual([2, 0]);
    expect(widths.cumKvHeads).toEqual([0, 2, 2]);
  });
});

describe('parameterCounts', () => {
  it('counts a 1-chain Llama like a dense model', () => {
    const config = parseConfig({ model_type: 'llama', hidden_size: 8, intermediate_size: 16, num_hidden_layers: 2, vocab_size: 11, num_attention_heads: 4, num_key_value_heads: 2 }, FILE);
    const perLayer = 2 * 8 + 8 * 8 + 2 * (4 * 8) + 8 * 8 + 3 * (16 * 8);
    expect(parameterCounts(config)).toEqual([11 * 8 + 2 * perLayer + 8 + 11 * 8]);
  });

  it('counts the stored blocks of chains 1..k by hand for {1,1}', () => {
    // D=8, h=4, head_dim 2, H=16, V=11, L=2, chains {1,1}, tied.
    const config = parseConfig(tinyConfig({ tie_word_embeddings: true }), FILE);
    const sub1 = 11 * 4 + 2 * (2 * 4 + 4 * 4 * 4 + 3 * 8 * 4) + 4;
    // chain 2 rows read both chains: q,k,v,o 4x8 each; gate, up 8x8; down 4x16.
    const sub2 = sub1 + 11 * 4 + 2 * (2 * 4 + 4 * 4 * 8 + 2 * 8 * 8 + 4 * 16) + 4;
    expect(parameterCounts(config)).toEqual([sub1, sub2]);
    expect(totalStoredParameters(config)).toBe(sub2);
  });

  it('counts Air k/v fully in every sub-model', () => {
    const plain = parameterCounts(parseConfig(tinyConfig({ num_key_value_heads: 2 }), FILE));
    const air = parameterCounts(parseConfig(tinyConfig({ kv_sharing: true, num_key_value_heads: 2 }), FILE));
    // Air k/v: 2 tensors x [4, 4] per layer in both sub-models; plain: [2, 4] then + [2, 8].
    expect(air[0]! - plain[0]!).toBe(2 * 2 * (16 - 8));
    expect(air[1]! - plain[1]!).toBe(2 * 2 * (16 - 8 - 16));
  });

  it('equals the element count of the per-chain tensors for the full model', () => {
    for (const overrides of [{}, { chains: [1, 3], hidden_size: 8, num_attention_heads: 4, intermediate_size: 16 }, { kv_sharing: true, num_key_value_heads: 2 }, { num_key_value_heads: 2 }]) {
      const raw = tinyConfig(overrides);
      const stored = modelShapes(raw, { form: 'per-chain' }).reduce((sum, t) => sum + t.shape.reduce((a, b) => a * b, 1), 0);
      expect(totalStoredParameters(parseConfig(raw, FILE))).toBe(stored);
    }
  });
});
