// The hand-picked inputs kept in test/fixtures/fuzz/: the edge cases a random mutator rarely hits
// (exact boundaries, numbers at 2^53 and 2^64, prototype keys, deep nesting). The fuzz-corpus test
// replays every file in those folders on every run; `UPDATE_FUZZ_CORPUS=1` rewrites these seeds
// (other files, such as inputs a fuzz run once found, are left alone).

import { rawSafetensors, tinyConfig } from './tiny-checkpoints.js';

/** What a corpus file must produce: accepted, or refused with a rule containing `rule`. */
export type Expectation = { expect: 'ok' } | { expect: 'error'; rule: string; tensor?: string; key?: string };

export interface Seed {
  file: string;
  bytes: Uint8Array;
  outcome: Expectation;
}

const ok: Expectation = { expect: 'ok' };
const error = (rule: string, subject: { tensor?: string; key?: string } = {}): Expectation => ({ expect: 'error', rule, ...subject });
const f32 = (shape: number[], begin: number): object => ({ dtype: 'F32', shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });
const data = (length: number): Uint8Array => new Uint8Array(length).map((_, i) => i & 0xff);
const lengthPrefix = (value: bigint): Uint8Array => {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
};

export function headerSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const add = (file: string, bytes: Uint8Array, outcome: Expectation): void => {
    seeds.push({ file: `${file}.safetensors`, bytes, outcome });
  };
  add('ok--one-tensor', rawSafetensors({ w: f32([2, 2], 0) }, data(16)), ok);
  add('ok--no-tensors', rawSafetensors({}), ok);
  add('ok--metadata-only', rawSafetensors({ __metadata__: { format: 'pt' } }), ok);
  add('ok--null-metadata', rawSafetensors({ __metadata__: null, w: f32([1], 0) }, data(4)), ok);
  add('ok--empty-tensors-anywhere', rawSafetensors({ a: f32([4], 0), z1: f32([0], 8), z2: f32([3, 0], 16), b: f32([1], 16) }, data(20)), ok);
  add('ok--gap-and-trailing-bytes', rawSafetensors({ a: f32([1], 0), b: f32([1], 8) }, data(20)), ok);
  add('ok--padded-header', rawSafetensors(`${JSON.stringify({ w: f32([1], 0) })}      `, data(4)), ok);
  add('ok--proto-tensor-name', rawSafetensors('{"__proto__": {"dtype": "F16", "shape": [2], "data_offsets": [0, 4]}}', data(4)), ok);
  add('ok--duplicate-key-last-wins', rawSafetensors('{"w": {"dtype": "I64"}, "w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}', data(4)), ok);
  add('ok--scalar-shape', rawSafetensors({ s: { dtype: 'F32', shape: [], data_offsets: [0, 4] } }, data(4)), ok);
  add('ok--unicode-name', rawSafetensors({ 'wé\u2028ight\u0000': f32([1], 0) }, data(4)), ok);

  add('err--empty-file', new Uint8Array(0), error('file is empty'));
  add('err--seven-bytes', new Uint8Array(7), error('too short'));
  add('err--length-u64-max', lengthPrefix(2n ** 64n - 1n), error('header length'));
  add('err--length-past-end', rawSafetensors({ w: f32([1], 0) }, data(4), 1000n), error('larger than the'));
  add('err--length-zero', lengthPrefix(0n), error('too small'));
  add('err--length-one', new Uint8Array([...lengthPrefix(1n), 0x7b]), error('too small'));
  add('err--not-json', rawSafetensors('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}', data(4)), error('not valid JSON'));
  add('err--json-array', rawSafetensors('[{}]'), error('must be a JSON object'));
  add('err--json-null', rawSafetensors('null '), error('must be a JSON object'));
  add('err--invalid-utf8', new Uint8Array([...lengthPrefix(4n), 0x7b, 0x22, 0xff, 0x7d]), error('UTF-8'));
  add('err--deeply-nested', rawSafetensors(`{"w": ${'['.repeat(5000)}${']'.repeat(5000)}}`), error('entry must be an object', { tensor: 'w' }));
  add('err--metadata-number-value', rawSafetensors({ __metadata__: { n: 1 } }), error('must be strings', { key: 'n' }));
  add('err--metadata-array', rawSafetensors({ __metadata__: ['x'] }), error('object of strings', { key: '__metadata__' }));
  add('err--dtype-i64', rawSafetensors({ w: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, data(8)), error('"I64" is not supported', { tensor: 'w' }));
  add('err--dtype-lowercase', rawSafetensors({ w: { dtype: 'f32', shape: [1], data_offsets: [0, 4] } }, data(4)), error('is not supported', { tensor: 'w' }));
  add('err--dtype-f8', rawSafetensors({ w: { dtype: 'F8_E4M3', shape: [4], data_offsets: [0, 4] } }, data(4)), error('"F8_E4M3"', { tensor: 'w' }));
  add('err--dtype-missing', rawSafetensors({ w: { shape: [1], data_offsets: [0, 4] } }, data(4)), error('dtype must be a string', { tensor: 'w' }));
  add('err--shape-negative', rawSafetensors({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, data(4)), error('shape must be', { tensor: 'w' }));
  add('err--shape-fraction', rawSafetensors({ w: { dtype: 'F32', shape: [0.5], data_offsets: [0, 4] } }, data(4)), error('shape must be', { tensor: 'w' }));
  add('err--shape-2e53', rawSafetensors('{"w": {"dtype": "F32", "shape": [9007199254740992], "data_offsets": [0, 4]}}', data(4)), error('shape must be', { tensor: 'w' }));
  add('err--shape-1e400', rawSafetensors('{"w": {"dtype": "F32", "shape": [1e400], "data_offsets": [0, 4]}}', data(4)), error('shape must be', { tensor: 'w' }));
  add('err--shape-2e40', rawSafetensors({ w: { dtype: 'F32', shape: [2 ** 20, 2 ** 20], data_offsets: [0, 4] } }, data(4)), error('needs 4398046511104 bytes', { tensor: 'w' }));
  add('err--shape-product-past-2e64', rawSafetensors({ w: { dtype: 'BF16', shape: [2 ** 50, 2 ** 50, 2 ** 50], data_offsets: [0, 4] } }, data(4)), error('needs', { tensor: 'w' }));
  add('err--shape-zero-times-huge-wrong-span', rawSafetensors({ w: { dtype: 'F32', shape: [0, 2 ** 52], data_offsets: [0, 4] } }, data(4)), error('span 4 bytes', { tensor: 'w' }));
  add('err--offsets-reversed', rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, data(8)), error('end before', { tensor: 'w' }));
  add('err--offsets-past-end', rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data(4)), error('file truncated', { tensor: 'w' }));
  add('err--offsets-three', rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, data(8)), error('data_offsets must be', { tensor: 'w' }));
  add('err--offsets-strings', rawSafetensors({ w: { dtype: 'F32', shape: [1], data_offsets: ['0', '4'] } }, data(4)), error('data_offsets must be', { tensor: 'w' }));
  add('err--offsets-2e64', rawSafetensors('{"w": {"dtype": "F32", "shape": [1], "data_offsets": [18446744073709551612, 18446744073709551616]}}', data(4)), error('data_offsets must be', { tensor: 'w' }));
  add('err--span-mismatch', rawSafetensors({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 8] } }, data(8)), error('span 8 bytes but F16 [3] needs 6', { tensor: 'w' }));
  add('err--overlap-partial', rawSafetensors({ a: f32([2], 0), b: f32([2], 4) }, data(12)), error('overlaps tensor "a"', { tensor: 'b' }));
  add('err--overlap-contained', rawSafetensors({ big: f32([8], 0), small: f32([1], 12) }, data(32)), error('overlaps tensor "big"', { tensor: 'small' }));
  add('err--overlap-identical', rawSafetensors({ a: f32([2], 0), b: f32([2], 0) }, data(8)), error('overlaps'));
  const full = rawSafetensors({ a: f32([2], 0), b: f32([2], 8) }, data(16));
  add('err--truncated-data', full.subarray(0, full.length - 1), error('file truncated', { tensor: 'b' }));
  add('err--truncated-header', full.subarray(0, 20), error('larger than the'));
  return seeds;
}

const text = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value, null, 1));

export function configSeeds(): Seed[] {
  const seeds: Seed[] = [];
  const add = (file: string, value: unknown, outcome: Expectation): void => {
    seeds.push({ file: `${file}.json`, bytes: text(value), outcome });
  };
  const base12 = (overrides: Record<string, unknown>): Record<string, unknown> =>
    tinyConfig({ hidden_size: 12, num_attention_heads: 6, num_key_value_heads: 6, intermediate_size: 24, ...overrides });
  add('ok--tiny-colm', tinyConfig(), ok);
  add('ok--llama-minimal', { model_type: 'llama', hidden_size: 64, intermediate_size: 172, num_hidden_layers: 1, vocab_size: 32000, num_attention_heads: 8 }, ok);
  add('ok--unequal-chains', base12({ chains: [1, 2] }), ok);
  add('ok--three-chains', base12({ chains: [1, 1, 1] }), ok);
  add('ok--gqa', base12({ num_key_value_heads: 2, chains: [1, 1] }), ok);
  add('ok--air-odd-kv', base12({ kv_sharing: true, num_key_value_heads: 3, chains: [1, 1] }), ok);
  add('ok--llama3-rope', tinyConfig({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }), ok);
  add('ok--old-rope-type-key', tinyConfig({ rope_scaling: { type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } }), ok);
  add('ok--nulls-are-defaults', tinyConfig({ num_key_value_heads: null, head_dim: null, chains: null, kv_sharing: null, rope_scaling: null, eos_token_id: null, bos_token_id: null }), ok);
  add('ok--qwen2-window-off', tinyConfig({ model_type: 'qwen2', use_sliding_window: false, sliding_window: 32768 }), ok);
  add('ok--eos-list', tinyConfig({ eos_token_id: [2, 3, 4] }), ok);
  add('ok--bom-prefixed', `\uFEFF${JSON.stringify(tinyConfig())}`, ok);
  // An unknown key is refused by name (FORMAT.md 1.1), "__proto__" too: it never reaches the prototype.
  add('err--proto-key', `{"__proto__": {"chains": [3]}, ${JSON.stringify(tinyConfig()).slice(1)}`, error('is not understood', { key: '__proto__' }));

  add('err--not-json', '{"model_type": "colm",', error('not valid JSON'));
  add('err--array', [tinyConfig()], error('must be a JSON object'));
  add('err--model-type-gemma', tinyConfig({ model_type: 'gemma' }), error('must be one of', { key: 'model_type' }));
  add('err--missing-vocab', tinyConfig({ vocab_size: undefined }), error('is required', { key: 'vocab_size' }));
  add('err--size-2e60', tinyConfig({ intermediate_size: 2 ** 60 }), error('not a plausible size', { key: 'intermediate_size' }));
  add('err--size-string', tinyConfig({ hidden_size: '8' }), error('positive integer', { key: 'hidden_size' }));
  add('err--size-1e400', JSON.stringify(tinyConfig()).replace('"hidden_size":8', '"hidden_size":1e400'), error('positive integer', { key: 'hidden_size' }));
  add('err--proto-only-size', `{"__proto__": {"hidden_size": 8}, ${JSON.stringify(tinyConfig({ hidden_size: undefined })).slice(1)}`, error('is required', { key: 'hidden_size' }));
  add('err--chains-empty', tinyConfig({ chains: [] }), error('non-empty list', { key: 'chains' }));
  add('err--chains-zero', tinyConfig({ chains: [1, 0] }), error('positive integer', { key: 'chains' }));
  add('err--hidden-not-divisible', tinyConfig({ hidden_size: 10, num_attention_heads: 5, num_key_value_heads: 5, intermediate_size: 30, chains: [1, 2] }), error('hidden_size*chains[0]', { key: 'chains' }));
  add('err--heads-not-divisible', base12({ chains: [1, 1, 1, 1] }), error('num_attention_heads*chains[0]', { key: 'chains' }));
  add('err--ffn-not-divisible', base12({ intermediate_size: 25, chains: [1, 2] }), error('intermediate_size*chains[0]', { key: 'chains' }));
  add('err--head-dim-mismatch', base12({ head_dim: 4 }), error('heads * head_dim', { key: 'head_dim' }));
  add('err--default-head-dim', tinyConfig({ hidden_size: 10, num_attention_heads: 4, num_key_value_heads: 4 }), error('not a multiple', { key: 'head_dim' }));
  add('err--kv-more-than-heads', tinyConfig({ num_key_value_heads: 8 }), error('more than', { key: 'num_key_value_heads' }));
  add('err--gqa-ratio', base12({ num_key_value_heads: 4, chains: [1] }), error('not a multiple', { key: 'num_key_value_heads' }));
  add('err--gqa-per-chain', base12({ num_key_value_heads: 3, chains: [1, 1] }), error('num_key_value_heads*chains[0]', { key: 'chains' }));
  add('err--air-heads', base12({ kv_sharing: true, num_key_value_heads: 4, chains: [1, 2] }), error('kv_sharing', { key: 'num_key_value_heads' }));
  add('ok--attention-bias', tinyConfig({ attention_bias: true }), ok);
  add('ok--mlp-bias', tinyConfig({ mlp_bias: true }), ok);
  add('err--softcapping', tinyConfig({ model_type: 'llama', chains: [1], attn_logit_softcapping: 30 }), error('could change the math', { key: 'attn_logit_softcapping' }));
  add('err--odd-head-dim', tinyConfig({ model_type: 'llama', chains: [1], head_dim: 3 }), error('must be even', { key: 'head_dim' }));
  add('err--gelu', tinyConfig({ hidden_act: 'gelu_pytorch_tanh' }), error('SwiGLU', { key: 'hidden_act' }));
  add('ok--sliding-window', tinyConfig({ model_type: 'mistral', sliding_window: 4096, max_position_embeddings: 32768 }), ok);
  add('err--rope-yarn', tinyConfig({ rope_scaling: { rope_type: 'yarn', factor: 4 } }), error('llama3', { key: 'rope_scaling' }));
  add('err--rope-equal-freq', tinyConfig({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 2, high_freq_factor: 2, original_max_position_embeddings: 8192 } }), error('larger than low_freq_factor', { key: 'rope_scaling.high_freq_factor' }));
  add('err--eos-out-of-vocab', tinyConfig({ eos_token_id: [2, 11] }), error('outside the vocabulary', { key: 'eos_token_id' }));
  add('err--quantized', tinyConfig({ quantization_config: { quant_method: 'awq', bits: 4 } }), error('quantized', { key: 'quantization_config' }));
  return seeds;
}
