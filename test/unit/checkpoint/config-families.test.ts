// FORMAT.md 1.1 config rules: both dialects (transformers 4 rope_theta/rope_scaling and
// transformers 5 rope_parameters) read the same; each family's biases, qk-norm and sliding
// window; every key that could change the math and is not understood is refused by name.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../app/checkpoint/config.js';
import { CheckpointError } from '../../../app/checkpoint/errors.js';

const FILE = '/models/m/config.json';
type Raw = Record<string, unknown>;

function refusedKey(json: Raw): { key: string | undefined; message: string } {
  try {
    parseConfig(json, FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(CheckpointError);
    const e = error as CheckpointError;
    return { key: e.key, message: e.message };
  }
  throw new Error('accepted a config it should refuse');
}

function expectRefusedNaming(json: Raw, key: string, rule?: RegExp): void {
  const { key: got, message } = refusedKey(json);
  expect(got).toBe(key);
  expect(message).toContain(`"${key}"`);
  if (rule) expect(message).toMatch(rule);
}

// Exactly what transformers 5.17 LlamaConfig(...).save_pretrained writes (sizes made small).
const TF5_LLAMA: Raw = {
  attention_bias: false, attention_dropout: 0.0, bos_token_id: 1, eos_token_id: 2, head_dim: 16, hidden_act: 'silu',
  hidden_size: 64, initializer_range: 0.02, intermediate_size: 128, max_position_embeddings: 2048, mlp_bias: false,
  model_type: 'llama', num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2, pad_token_id: null,
  pretraining_tp: 1, rms_norm_eps: 1e-6, rope_parameters: { rope_theta: 10000.0, rope_type: 'default' },
  tie_word_embeddings: false, transformers_version: '5.17.0', use_cache: true, vocab_size: 100,
};
// The same model as a transformers 4 (Llama 3.2-style) config.json.
const TF4_LLAMA: Raw = {
  architectures: ['LlamaForCausalLM'], attention_bias: false, attention_dropout: 0.0, bos_token_id: 1, eos_token_id: 2,
  head_dim: 16, hidden_act: 'silu', hidden_size: 64, initializer_range: 0.02, intermediate_size: 128,
  max_position_embeddings: 2048, mlp_bias: false, model_type: 'llama', num_attention_heads: 4, num_hidden_layers: 2,
  num_key_value_heads: 2, pretraining_tp: 1, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 10000.0,
  tie_word_embeddings: false, torch_dtype: 'bfloat16', transformers_version: '4.45.0', use_cache: true, vocab_size: 100,
};
const LLAMA3_TF4 = { factor: 8.0, high_freq_factor: 4.0, low_freq_factor: 1.0, original_max_position_embeddings: 32, rope_type: 'llama3' };
const TF5_QWEN2: Raw = {
  attention_dropout: 0.0, bos_token_id: null, eos_token_id: null, hidden_act: 'silu', hidden_size: 64, initializer_range: 0.02,
  intermediate_size: 128, layer_types: ['full_attention', 'full_attention'], max_position_embeddings: 32768, max_window_layers: 28,
  model_type: 'qwen2', num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2, pad_token_id: null, rms_norm_eps: 1e-6,
  rope_parameters: { rope_theta: 10000.0, rope_type: 'default' }, sliding_window: null, tie_word_embeddings: false,
  transformers_version: '5.17.0', use_cache: true, use_sliding_window: false, vocab_size: 100,
};
// Qwen2.5-style transformers 4 config: sliding_window written but switched off.
const TF4_QWEN2: Raw = {
  architectures: ['Qwen2ForCausalLM'], attention_dropout: 0.0, bos_token_id: 0, eos_token_id: 1, hidden_act: 'silu', hidden_size: 64,
  initializer_range: 0.02, intermediate_size: 128, max_position_embeddings: 32768, max_window_layers: 21, model_type: 'qwen2',
  num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_scaling: null, rope_theta: 10000.0,
  sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', transformers_version: '4.43.1', use_cache: true,
  use_sliding_window: false, vocab_size: 100,
};
const TF5_QWEN3_OPTIONS: Raw = {
  attention_bias: true, attention_dropout: 0.0, bos_token_id: null, eos_token_id: null, head_dim: 32, hidden_act: 'silu', hidden_size: 64,
  initializer_range: 0.02, intermediate_size: 128, layer_types: ['full_attention', 'sliding_attention'], max_position_embeddings: 32768,
  max_window_layers: 1, model_type: 'qwen3', num_attention_heads: 4, num_hidden_layers: 2, num_key_value_heads: 2, pad_token_id: null,
  rms_norm_eps: 1e-6, rope_parameters: { rope_theta: 10000.0, rope_type: 'default' }, sliding_window: 5, tie_word_embeddings: false,
  transformers_version: '5.17.0', use_cache: true, use_sliding_window: true, vocab_size: 100,
};
const TF5_MISTRAL: Raw = {
  attention_dropout: 0.0, bos_token_id: 1, eos_token_id: 2, head_dim: 16, hidden_act: 'silu', hidden_size: 64, initializer_range: 0.02,
  intermediate_size: 128, max_position_embeddings: 131072, model_type: 'mistral', num_attention_heads: 4, num_hidden_layers: 2,
  num_key_value_heads: 2, pad_token_id: null, rms_norm_eps: 1e-6, rope_parameters: { rope_theta: 10000.0, rope_type: 'default' },
  sliding_window: 5, tie_word_embeddings: false, transformers_version: '5.17.0', use_cache: true, vocab_size: 100,
};

describe('both config dialects read the same', () => {
  const without = (o: Raw, ...keys: string[]): Raw => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

  it('a Llama with no scaling: rope_parameters default == rope_theta + rope_scaling null', () => {
    expect(parseConfig(TF5_LLAMA, FILE)).toEqual(parseConfig(TF4_LLAMA, FILE));
  });

  it('theta inside rope_parameters is read (not silently 10000)', () => {
    const tf5 = parseConfig({ ...TF5_LLAMA, rope_parameters: { rope_theta: 500000.0, rope_type: 'default' } }, FILE);
    expect(tf5.ropeTheta).toBe(500000);
    expect(tf5).toEqual(parseConfig({ ...TF4_LLAMA, rope_theta: 500000.0 }, FILE));
  });

  it('llama3 scaling', () => {
    const tf5 = parseConfig({ ...TF5_LLAMA, rope_parameters: { ...LLAMA3_TF4, rope_theta: 500000.0 } }, FILE);
    const tf4 = parseConfig({ ...TF4_LLAMA, rope_theta: 500000.0, rope_scaling: LLAMA3_TF4 }, FILE);
    expect(tf5).toEqual(tf4);
    expect(tf5.ropeScaling).toEqual({ ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 32 });
  });

  it('linear scaling, also in the pre-4.43 spelling `type`', () => {
    const tf5 = parseConfig({ ...TF5_LLAMA, rope_parameters: { factor: 2.0, rope_theta: 10000.0, rope_type: 'linear' } }, FILE);
    expect(tf5.ropeScaling).toEqual({ ropeType: 'linear', factor: 2 });
    expect(parseConfig({ ...TF4_LLAMA, rope_scaling: { type: 'linear', factor: 2.0 } }, FILE)).toEqual(tf5);
  });

  it('Qwen2: a transformers 5 save and a Qwen2.5-style config give the same model', () => {
    const tf5 = parseConfig({ ...TF5_QWEN2, tie_word_embeddings: true, bos_token_id: 0, eos_token_id: 1 }, FILE);
    const tf4 = parseConfig(TF4_QWEN2, FILE);
    expect(tf5).toEqual(tf4);
    expect(tf5.qkvBias).toBe(true);
    expect(tf5.oBias).toBe(false);
    expect(tf5.slidingWindow).toBeNull();
  });

  it('both dialects in one config are read when they agree, refused when not', () => {
    expect(parseConfig({ ...TF5_LLAMA, rope_theta: 10000.0, rope_scaling: null }, FILE)).toEqual(parseConfig(TF4_LLAMA, FILE));
    expectRefusedNaming({ ...TF5_LLAMA, rope_theta: 500000.0 }, 'rope_parameters', /disagrees/);
    expectRefusedNaming({ ...without(TF5_LLAMA), rope_scaling: LLAMA3_TF4 }, 'rope_parameters', /disagrees/);
  });
});

describe('families', () => {
  it('llama: attention_bias covers q, k, v and o; mlp_bias the FFN', () => {
    const c = parseConfig({ ...TF5_LLAMA, attention_bias: true, mlp_bias: true }, FILE);
    expect([c.qkvBias, c.oBias, c.mlpBias, c.qkNorm]).toEqual([true, true, true, false]);
  });

  it('qwen3: head_dim apart from D/h, qk-norm, attention_bias on q/k/v/o, per-layer window from layer_types', () => {
    const c = parseConfig(TF5_QWEN3_OPTIONS, FILE);
    expect(c.headDim).toBe(32);
    expect([c.qkvBias, c.oBias, c.mlpBias, c.qkNorm]).toEqual([true, true, false, true]);
    expect(c.slidingWindow).toBe(5);
    expect(c.slidingWindowLayers).toEqual([false, true]);
  });

  it('qwen2/qwen3 without layer_types: layers from max_window_layers slide, only with use_sliding_window', () => {
    const base = { ...TF5_QWEN2, layer_types: undefined, sliding_window: 7, num_hidden_layers: 3 };
    expect(parseConfig({ ...base, use_sliding_window: true, max_window_layers: 1 }, FILE).slidingWindowLayers).toEqual([false, true, true]);
    const off = parseConfig({ ...base, use_sliding_window: false, max_window_layers: 1 }, FILE);
    expect(off.slidingWindow).toBeNull();
    expect(off.slidingWindowLayers).toEqual([false, false, false]);
    // transformers' default max_window_layers is 28: a small model has no sliding layer.
    expect(parseConfig({ ...base, use_sliding_window: true, max_window_layers: undefined }, FILE).slidingWindow).toBeNull();
  });

  it('mistral: every layer slides when sliding_window is set', () => {
    const c = parseConfig(TF5_MISTRAL, FILE);
    expect(c.slidingWindow).toBe(5);
    expect(c.slidingWindowLayers).toEqual([true, true]);
    expect(parseConfig({ ...TF5_MISTRAL, sliding_window: null }, FILE).slidingWindow).toBeNull();
  });

  it('typical transformers 4 configs load (TinyLlama, SmolLM2, Mistral 7B, Qwen3)', () => {
    const tinyLlama = { ...TF4_LLAMA, rope_scaling: null, attention_bias: undefined, mlp_bias: undefined, head_dim: undefined };
    expect(() => parseConfig(tinyLlama, FILE)).not.toThrow();
    const smol = { ...TF4_LLAMA, is_llama_config: true, rope_interleaved: false, pad_token_id: 2, 'transformers.js_config': { kv_cache_dtype: { q4f16: 'float16' } } };
    expect(() => parseConfig(smol, FILE)).not.toThrow();
    const mistral7b = { ...TF5_MISTRAL, rope_parameters: undefined, rope_theta: 10000.0, sliding_window: 4096, architectures: ['MistralForCausalLM'], torch_dtype: 'bfloat16' };
    expect(parseConfig(mistral7b, FILE).slidingWindow).toBe(4096);
    const qwen3 = { ...TF4_QWEN2, model_type: 'qwen3', head_dim: 32, attention_bias: false, rope_scaling: null };
    expect(parseConfig(qwen3, FILE).qkNorm).toBe(true);
  });
});

describe('refusals name the key', () => {
  it('an unknown key, for each family', () => {
    for (const base of [TF5_LLAMA, TF5_QWEN2, TF5_QWEN3_OPTIONS, TF5_MISTRAL]) {
      expectRefusedNaming({ ...base, attn_logit_softcapping: 50 }, 'attn_logit_softcapping', /not understood/);
      expectRefusedNaming({ ...base, embedding_multiplier: 12 }, 'embedding_multiplier');
    }
  });

  it('keys harmless only at one value', () => {
    expectRefusedNaming({ ...TF5_LLAMA, partial_rotary_factor: 0.5 }, 'partial_rotary_factor');
    expectRefusedNaming({ ...TF5_LLAMA, rope_interleaved: true }, 'rope_interleaved');
    expectRefusedNaming({ ...TF5_MISTRAL, attention_bias: true }, 'attention_bias');
    expectRefusedNaming({ ...TF5_QWEN2, attention_bias: true }, 'attention_bias');
    expectRefusedNaming({ ...TF5_QWEN3_OPTIONS, mlp_bias: true }, 'mlp_bias');
    expectRefusedNaming({ ...TF5_LLAMA, is_encoder_decoder: true }, 'is_encoder_decoder');
  });

  it('keys of another family', () => {
    expectRefusedNaming({ ...TF5_LLAMA, sliding_window: 8 }, 'sliding_window');
    expectRefusedNaming({ ...TF5_LLAMA, use_sliding_window: false }, 'use_sliding_window');
    expectRefusedNaming({ ...TF5_MISTRAL, layer_types: ['full_attention', 'full_attention'] }, 'layer_types');
  });

  it('rope types and keys inside the rope objects', () => {
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'yarn', factor: 4, rope_theta: 1e4 } }, 'rope_parameters', /"yarn"/);
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'dynamic', factor: 4 } }, 'rope_parameters', /"dynamic"/);
    expectRefusedNaming({ ...TF4_LLAMA, rope_scaling: { rope_type: 'longrope', factor: 4 } }, 'rope_scaling', /"longrope"/);
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'default', rope_theta: 1e4, partial_rotary_factor: 0.5 } }, 'rope_parameters.partial_rotary_factor');
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'linear', rope_theta: 1e4, factor: 2, attention_factor: 1.2 } }, 'rope_parameters.attention_factor');
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'linear', rope_theta: 1e4 } }, 'rope_parameters.factor');
    expectRefusedNaming({ ...TF4_LLAMA, rope_scaling: { rope_type: 'linear', factor: 2, rope_theta: 5 } }, 'rope_scaling.rope_theta');
    expectRefusedNaming({ ...TF5_LLAMA, rope_parameters: { rope_type: 'default', rope_theta: -1 } }, 'rope_parameters.rope_theta');
  });

  it('sliding-window layout that transformers would not run', () => {
    expectRefusedNaming({ ...TF5_QWEN2, layer_types: ['full_attention', 'sliding_attention'] }, 'layer_types', /no window/);
    expectRefusedNaming({ ...TF5_QWEN2, layer_types: ['full_attention'] }, 'layer_types');
    expectRefusedNaming({ ...TF5_QWEN2, layer_types: ['full_attention', 'chunked_attention'] }, 'layer_types', /chunked_attention/);
    expectRefusedNaming({ ...TF5_MISTRAL, sliding_window: 0 }, 'sliding_window');
  });
});
