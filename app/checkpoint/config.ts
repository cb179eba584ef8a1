// config.json -> ColmConfig: FORMAT.md's defaults applied and every rule checked, so the engine and
// the UI can trust each width to be a whole number. Each refusal names the key and the rule.

import { CheckpointError } from './errors.js';
import { describeValue, isJsonObject, ownValue } from './json-values.js';
import { readAttentionParts } from './config-attention.js';
import { refuseUnknownKeys } from './config-keys.js';
import { ConfigReader } from './config-reader.js';
import { readRope } from './config-rope.js';
import type { ColmConfig, QuantizationConfig } from './types.js';

export { chainWidths, splitByChains } from './chain-widths.js';
export { parameterCounts, totalStoredParameters } from './parameter-counts.js';

const MODEL_TYPES = ['colm', 'llama', 'mistral', 'qwen2', 'qwen3'];

function readModelType(reader: ConfigReader): string {
  const value = reader.get('model_type');
  if (typeof value !== 'string' || !MODEL_TYPES.includes(value)) {
    reader.fail('model_type', `must be one of ${MODEL_TYPES.join(', ')}, got ${describeValue(value)}`);
  }
  return value;
}

function refuseOtherActivations(reader: ConfigReader): void {
  if (reader.isAbsent('hidden_act')) return;
  const act = reader.get('hidden_act');
  if (act !== 'silu' && act !== 'swish') {
    reader.fail('hidden_act', `only the SwiGLU FFN ("silu") is supported, got ${describeValue(act)}`);
  }
}

function readChains(reader: ConfigReader): number[] {
  if (reader.isAbsent('chains')) return [1];
  const value = reader.get('chains');
  if (!Array.isArray(value) || value.length === 0) {
    reader.fail('chains', `must be a non-empty list of positive integers, got ${describeValue(value)}`);
  }
  return value.map((ratio: unknown) => reader.positiveInt('chains', ratio));
}

const QUANTIZATION = 'colm_quantization';
const QUANTIZATION_KEYS = ['format', 'block_size'];

/**
 * docs/FORMAT-Q8.md: `{"format": "q8_0", "block_size": 32}` says every chain linear is stored as
 * int8 `.qweight` with `.qscale`. Anything else is refused: a key we do not know could change how
 * the integers are meant, and guessing would run a wrong model.
 */
function readQuantization(reader: ConfigReader): QuantizationConfig | null {
  if (reader.isAbsent(QUANTIZATION)) return null;
  const value = reader.get(QUANTIZATION);
  if (!isJsonObject(value)) {
    reader.fail(QUANTIZATION, `must be an object like {"format": "q8_0", "block_size": 32}, got ${describeValue(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!QUANTIZATION_KEYS.includes(key)) reader.fail(`${QUANTIZATION}.${key}`, 'is not a key of colm_quantization (only format and block_size are)');
  }
  const format = ownValue(value, 'format');
  if (format !== 'q8_0' && format !== 'q4_0' && format !== 'q4_k') {
    reader.fail(`${QUANTIZATION}.format`, `only "q8_0", "q4_0" and "q4_k" are supported, got ${describeValue(format)}`);
  }
  // docs/FORMAT-Q4.md: q4_0 blocks of 32 columns, q4_k super-blocks of 256.
  const want = format === 'q4_k' ? 256 : 32;
  const blockSize = ownValue(value, 'block_size');
  if (blockSize !== want) reader.fail(`${QUANTIZATION}.block_size`, `${format} stores blocks of ${want} columns, got ${describeValue(blockSize)}`);
  return { format, blockSize: want };
}

function readEosTokenIds(reader: ConfigReader, vocabSize: number): number[] {
  if (reader.isAbsent('eos_token_id')) return [];
  const value = reader.get('eos_token_id');
  const ids: unknown[] = Array.isArray(value) ? value : [value];
  return ids.map((id) => reader.tokenId('eos_token_id', id, vocabSize));
}

/** A whole number or a refusal naming the key, e.g. "hidden_size 10 * chains[1] 1 / 3 = 3.333...". */
function checkWhole(reader: ConfigReader, key: string, numerator: number, divisor: number, what: string): void {
  if (numerator % divisor !== 0) {
    reader.fail(key, `${what} = ${numerator}/${divisor} is not a whole number`);
  }
}

/** FORMAT.md "Widths of chain i": every width whole, D_i = h_i*head_dim, and the KV head rules. */
function checkChainRules(reader: ConfigReader, config: ColmConfig): void {
  const { hiddenSize: D, numAttentionHeads: h, intermediateSize: H, numKeyValueHeads: hKv, headDim, chains } = config;
  const S = chains.reduce((sum, c) => sum + c, 0);
  chains.forEach((c, i) => {
    checkWhole(reader, 'chains', D * c, S, `hidden_size*chains[${i}]/sum(chains)`);
    checkWhole(reader, 'chains', h * c, S, `num_attention_heads*chains[${i}]/sum(chains)`);
    checkWhole(reader, 'chains', H * c, S, `intermediate_size*chains[${i}]/sum(chains)`);
    const width = (D * c) / S;
    const heads = (h * c) / S;
    // A 1-chain model is a plain HF checkpoint, where head_dim may differ from D/h (Qwen3): the
    // rule ties chain widths together and means nothing with one chain.
    if (chains.length > 1 && width !== heads * headDim) {
      reader.fail('head_dim', `chain ${i} has width ${width} but ${heads} heads * head_dim ${headDim} = ${heads * headDim}`);
    }
  });
  if (config.kvSharing) {
    chains.forEach((c, i) => {
      const heads = (h * c) / S;
      if (heads % hKv !== 0) {
        reader.fail('num_key_value_heads', `with kv_sharing chain ${i}'s ${heads} query heads must be a multiple of num_key_value_heads ${hKv}`);
      }
    });
  } else if (hKv < h) {
    if (h % hKv !== 0) {
      reader.fail('num_key_value_heads', `num_attention_heads ${h} is not a multiple of num_key_value_heads ${hKv}`);
    }
    chains.forEach((c, i) => {
      checkWhole(reader, 'chains', hKv * c, S, `num_key_value_heads*chains[${i}]/sum(chains)`);
    });
  }
}

export function parseConfig(json: unknown, file: string): ColmConfig {
  if (!isJsonObject(json)) {
    throw new CheckpointError(file, `config must be a JSON object, got ${describeValue(json)}`);
  }
  const reader = new ConfigReader(json, file);
  const modelType = readModelType(reader);
  const hiddenSize = reader.requiredPositiveInt('hidden_size');
  const intermediateSize = reader.requiredPositiveInt('intermediate_size');
  const numHiddenLayers = reader.requiredPositiveInt('num_hidden_layers');
  const vocabSize = reader.requiredPositiveInt('vocab_size');
  const numAttentionHeads = reader.requiredPositiveInt('num_attention_heads');
  const numKeyValueHeads = reader.optionalPositiveInt('num_key_value_heads', numAttentionHeads);
  if (numKeyValueHeads > numAttentionHeads) {
    reader.fail('num_key_value_heads', `${numKeyValueHeads} is more than num_attention_heads ${numAttentionHeads}`);
  }
  if (reader.isAbsent('head_dim') && hiddenSize % numAttentionHeads !== 0) {
    reader.fail('head_dim', `is not given and hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${numAttentionHeads}`);
  }
  const headDim = reader.optionalPositiveInt('head_dim', hiddenSize / numAttentionHeads);
  // RoPE rotates the pairs (i, i + head_dim/2): an odd head has no such split.
  if (headDim % 2 !== 0) reader.fail('head_dim', `must be even for rotary position embeddings, got ${headDim}`);
  const chains = readChains(reader);
  const kvSharing = reader.boolean('kv_sharing', false);
  refuseUnknownKeys(reader, modelType);
  refuseOtherActivations(reader);
  const rope = readRope(reader);

  const bosTokenId = reader.isAbsent('bos_token_id') ? null : reader.tokenId('bos_token_id', reader.get('bos_token_id'), vocabSize);
  const config: ColmConfig = {
    modelType,
    hiddenSize,
    intermediateSize,
    numHiddenLayers,
    vocabSize,
    numAttentionHeads,
    numKeyValueHeads,
    headDim,
    chains,
    kvSharing,
    rmsNormEps: reader.positiveNumber('rms_norm_eps', 1e-5),
    ropeTheta: rope.theta,
    ropeScaling: rope.scaling,
    tieWordEmbeddings: reader.boolean('tie_word_embeddings', false),
    ...readAttentionParts(reader, modelType, numHiddenLayers),
    maxPositionEmbeddings: reader.isAbsent('max_position_embeddings') ? null : reader.positiveInt('max_position_embeddings', undefined, Number.MAX_SAFE_INTEGER),
    bosTokenId,
    eosTokenIds: readEosTokenIds(reader, vocabSize),
    quantization: readQuantization(reader),
  };
  checkChainRules(reader, config);
  return config;
}
