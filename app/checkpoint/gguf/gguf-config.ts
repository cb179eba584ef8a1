// GGUF metadata (`{arch}.*`, `tokenizer.ggml.*` ids) -> a Hugging Face style config.json object,
// which the caller gives to the normal parseConfig so every FORMAT.md rule and refusal applies.
// A `{arch}.*` key this reader does not know is refused with its name: it may change the math.

import { CheckpointError } from '../errors.js';
import type { GgufFile, GgufValue } from './gguf-types.js';

export const GGUF_ARCHITECTURES = ['llama', 'mistral', 'qwen2', 'qwen3'] as const;
export type GgufArchitecture = (typeof GGUF_ARCHITECTURES)[number];

/** llama.cpp permutes q/k rows for these (mistral models go through the llama converter). */
export function isPermutedArchitecture(arch: GgufArchitecture): boolean {
  return arch === 'llama' || arch === 'mistral';
}

// `{arch}.` keys -> config.json keys. Keys mapped to null are read below or checked by hand.
const MAPPED: Readonly<Record<string, string | null>> = {
  context_length: 'max_position_embeddings',
  embedding_length: 'hidden_size',
  block_count: 'num_hidden_layers',
  feed_forward_length: 'intermediate_size',
  'attention.head_count': 'num_attention_heads',
  'attention.head_count_kv': 'num_key_value_heads',
  'attention.key_length': 'head_dim',
  'attention.layer_norm_rms_epsilon': 'rms_norm_eps',
  'rope.freq_base': 'rope_theta',
  'attention.value_length': null,
  'rope.dimension_count': null,
  'rope.scaling.type': null,
  'rope.scaling.factor': null,
  'rope.scaling.original_context_length': null,
  'rope.scaling.finetuned': null, // a note about training, no effect on the math
  'attention.sliding_window': null,
  vocab_size: null,
  expert_count: null,
  expert_used_count: null,
};

const REQUIRED = ['embedding_length', 'block_count', 'feed_forward_length', 'attention.head_count'];

export function ggufArchitecture(gguf: GgufFile): GgufArchitecture {
  const arch = gguf.metadata.get('general.architecture');
  if (arch === undefined) throw new CheckpointError(gguf.path, 'is missing', { key: 'general.architecture' });
  if (typeof arch !== 'string' || !(GGUF_ARCHITECTURES as readonly string[]).includes(arch)) {
    throw new CheckpointError(gguf.path, `architecture ${JSON.stringify(String(arch)).slice(0, 80)} is not supported (only ${GGUF_ARCHITECTURES.join(', ')})`, {
      key: 'general.architecture',
    });
  }
  return arch as GgufArchitecture;
}

function numberValue(gguf: GgufFile, key: string, value: GgufValue): number {
  if (typeof value === 'number') return value;
  if (Array.isArray(value)) throw new CheckpointError(gguf.path, 'per-layer values (an array) are not supported, a single number is needed', { key });
  throw new CheckpointError(gguf.path, `must be a number, got ${typeof value === 'bigint' ? `${value}` : JSON.stringify(value)}`, { key });
}

function tokenId(gguf: GgufFile, key: string): number | undefined {
  const value = gguf.metadata.get(key);
  return value === undefined ? undefined : numberValue(gguf, key, value);
}

export interface GgufConfigFacts {
  hasOutput: boolean; // output.weight present (else the LM head is tied)
  embeddingRows: number | null; // token_embd rows, the vocabulary when there is no token list
  hasAttentionBias: boolean; // blk.0.attn_q.bias present
  hasMlpBias: boolean;
}

/** The config.json object for a GGUF of one of GGUF_ARCHITECTURES. */
export function ggufConfigJson(gguf: GgufFile, arch: GgufArchitecture, facts: GgufConfigFacts): Record<string, unknown> {
  const prefix = `${arch}.`;
  const values = new Map<string, number | string | boolean>();
  for (const [key, value] of gguf.metadata) {
    if (!key.startsWith(prefix)) continue;
    const rest = key.slice(prefix.length);
    if (!Object.prototype.hasOwnProperty.call(MAPPED, rest)) {
      throw new CheckpointError(gguf.path, 'is not understood by this reader and could change the math, so the file is refused', { key });
    }
    if (typeof value === 'string' || typeof value === 'boolean') values.set(rest, value);
    else values.set(rest, numberValue(gguf, key, value));
  }
  for (const rest of REQUIRED) if (!values.has(rest)) throw new CheckpointError(gguf.path, 'is missing', { key: prefix + rest });

  const config: Record<string, unknown> = { model_type: arch, hidden_act: 'silu' };
  for (const [rest, hfKey] of Object.entries(MAPPED)) {
    if (hfKey !== null && values.has(rest)) config[hfKey] = values.get(rest);
  }
  const heads = Number(values.get('attention.head_count'));
  const headDim = values.has('attention.key_length') ? Number(values.get('attention.key_length')) : Number(values.get('embedding_length')) / heads;
  const same = (rest: string, expected: number, why: string): void => {
    if (values.has(rest) && values.get(rest) !== expected) {
      throw new CheckpointError(gguf.path, `${String(values.get(rest))} differs from ${expected} (${why}), which is not supported`, { key: prefix + rest });
    }
  };
  same('attention.value_length', headDim, 'the key length: heads with different key and value sizes');
  same('rope.dimension_count', headDim, 'the head size: partial rotary embeddings');
  same('expert_count', 0, 'mixture of experts');
  same('expert_used_count', 0, 'mixture of experts');

  const scaling = values.get('rope.scaling.type');
  if (scaling !== undefined && scaling !== 'none') {
    if (scaling !== 'linear') throw new CheckpointError(gguf.path, `RoPE scaling ${JSON.stringify(scaling)} is not supported (only linear)`, { key: `${prefix}rope.scaling.type` });
    const factor = values.get('rope.scaling.factor');
    if (factor === undefined) throw new CheckpointError(gguf.path, 'is missing (linear RoPE scaling needs it)', { key: `${prefix}rope.scaling.factor` });
    config['rope_scaling'] = { rope_type: 'linear', factor };
  }

  const window = values.get('attention.sliding_window');
  if (window !== undefined) {
    if (arch === 'llama') throw new CheckpointError(gguf.path, 'sliding-window attention is not part of the llama architecture', { key: `${prefix}attention.sliding_window` });
    config['sliding_window'] = window;
    if (arch === 'qwen2' || arch === 'qwen3') config['use_sliding_window'] = true;
  }

  const tokens = gguf.metadata.get('tokenizer.ggml.tokens');
  const vocab = Array.isArray(tokens) ? tokens.length : facts.embeddingRows;
  if (vocab !== null) config['vocab_size'] = vocab;
  same('vocab_size', Number(vocab), 'the number of tokens in tokenizer.ggml.tokens');
  config['tie_word_embeddings'] = !facts.hasOutput;
  if (facts.hasAttentionBias && arch !== 'qwen2') config['attention_bias'] = true;
  if (facts.hasMlpBias) config['mlp_bias'] = true;

  const bos = tokenId(gguf, 'tokenizer.ggml.bos_token_id');
  if (bos !== undefined) config['bos_token_id'] = bos;
  // llama.cpp ends generation at eos and at the end-of-turn / end-of-message tokens.
  const eos = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id', 'tokenizer.ggml.eom_token_id']
    .map((key) => tokenId(gguf, key))
    .filter((id): id is number => id !== undefined);
  const unique = [...new Set(eos)];
  if (unique.length === 1) config['eos_token_id'] = unique[0];
  else if (unique.length > 1) config['eos_token_id'] = unique;
  return config;
}
