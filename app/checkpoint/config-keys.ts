// Which config.json keys each family may carry. Anything not listed here is refused with its name:
// a key we do not understand may change the math (a scaling, soft-capping, a partial rotary, a
// norm), and running on while ignoring it gives wrong logits without a word (FORMAT.md 1.1).
// Lists checked against what transformers 5.17's save_pretrained writes for LlamaConfig,
// MistralConfig, Qwen2Config and Qwen3Config (default and with options) and against the
// transformers 4 configs of Llama 3.x, TinyLlama, SmolLM2, Mistral 7B, Qwen2.5 and Qwen3.

import { describeValue } from './json-values.js';
import type { ConfigReader } from './config-reader.js';

/** PretrainedConfig's generic keys, generation defaults and hub metadata: never part of the forward pass. */
const GENERIC_KEYS = [
  'architectures', 'auto_map', 'transformers_version', '_name_or_path', '_commit_hash', '_from_model_config',
  '_attn_implementation', '_attn_implementation_autoset', '_attn_implementation_internal', 'torch_dtype', 'dtype',
  'use_bfloat16', 'use_cache', 'return_dict', 'use_return_dict', 'output_hidden_states', 'output_attentions',
  'output_scores', 'return_dict_in_generate', 'torchscript', 'tf_legacy_loss', 'chunk_size_feed_forward',
  'is_decoder', 'cross_attention_hidden_size', 'tie_encoder_decoder', 'finetuning_task', 'id2label', 'label2id',
  'num_labels', 'problem_type', 'tokenizer_class', 'prefix', 'task_specific_params', 'pad_token_id', 'sep_token_id',
  'decoder_start_token_id', 'initializer_range', 'attention_dropout', 'max_length', 'min_length', 'do_sample',
  'early_stopping', 'num_beams', 'num_beam_groups', 'diversity_penalty', 'temperature', 'top_k', 'top_p',
  'typical_p', 'repetition_penalty', 'length_penalty', 'no_repeat_ngram_size', 'encoder_no_repeat_ngram_size',
  'bad_words_ids', 'num_return_sequences', 'forced_bos_token_id', 'forced_eos_token_id', 'remove_invalid_values',
  'exponential_decay_length_penalty', 'suppress_tokens', 'begin_suppress_tokens', 'custom_pipelines',
  // SmolLM2 / Unsloth / transformers.js metadata.
  'is_llama_config', 'transformers.js_config', 'unsloth_version', 'unsloth_fixed',
  // Same math whatever the value: Llama's tensor-parallel split of o/down is summed back exactly.
  'pretraining_tp',
];

/** Keys every family reads (config.ts, config-rope.ts) and this project's own keys. */
const READ_KEYS = [
  'model_type', 'hidden_size', 'intermediate_size', 'num_hidden_layers', 'vocab_size', 'num_attention_heads',
  'num_key_value_heads', 'head_dim', 'rms_norm_eps', 'rope_theta', 'rope_scaling', 'rope_parameters',
  'tie_word_embeddings', 'max_position_embeddings', 'bos_token_id', 'eos_token_id', 'hidden_act',
  'chains', 'kv_sharing', 'colm_quantization',
];

/** Keys a family reads besides those (config-attention.ts). */
const FAMILY_KEYS: Record<string, string[]> = {
  llama: ['attention_bias', 'mlp_bias'],
  mistral: ['sliding_window'],
  qwen2: ['use_sliding_window', 'sliding_window', 'max_window_layers', 'layer_types'],
  qwen3: ['attention_bias', 'use_sliding_window', 'sliding_window', 'max_window_layers', 'layer_types'],
  // A CoLM may be grown from any of the families, keeping its keys.
  colm: ['attention_bias', 'mlp_bias', 'use_sliding_window', 'sliding_window', 'max_window_layers', 'layer_types'],
};

/** Keys that are harmless at one value only (the value that leaves the math alone), for any family. */
const HARMLESS_AT = new Map<string, { ok: (value: unknown) => boolean; why: string }>(Object.entries({
  attention_bias: { ok: (v) => v === false || v === null, why: 'this family has no attention_bias (transformers ignores it); only false is read' },
  mlp_bias: { ok: (v) => v === false || v === null, why: 'this family has no mlp_bias (transformers ignores it); only false is read' },
  partial_rotary_factor: { ok: (v) => v === 1 || v === 1.0 || v === null, why: 'partial rotary embeddings are not supported' },
  rope_interleaved: { ok: (v) => v === false || v === null, why: 'interleaved RoPE pairs are not supported (FORMAT.md uses rotate-half)' },
  pruned_heads: { ok: (v) => v === null || (typeof v === 'object' && Object.keys(v as object).length === 0), why: 'pruned attention heads are not supported' },
  is_encoder_decoder: { ok: (v) => v === false || v === null, why: 'encoder-decoder models are not supported' },
  add_cross_attention: { ok: (v) => v === false || v === null, why: 'cross-attention is not supported' },
  quantization_config: { ok: (v) => v === null, why: "Hugging Face quantized checkpoints are not supported (weights must be F32, F16 or BF16, or colm quantize's q8_0)" },
}));

const ALWAYS = new Set([...GENERIC_KEYS, ...READ_KEYS]);

/** Refuses, naming it, the first key this family does not understand or understands only at another value. */
export function refuseUnknownKeys(reader: ConfigReader, modelType: string): void {
  const family = new Set(Object.hasOwn(FAMILY_KEYS, modelType) ? FAMILY_KEYS[modelType] : []);
  for (const key of Object.keys(reader.object)) {
    if (ALWAYS.has(key) || family.has(key)) continue;
    const rule = HARMLESS_AT.get(key);
    if (rule) {
      const value = reader.get(key);
      if (!rule.ok(value)) reader.fail(key, `${rule.why}, got ${describeValue(value)}`);
      continue;
    }
    reader.fail(key, `is not understood for model_type "${modelType}" and could change the math; refusing rather than ignoring it`);
  }
}
