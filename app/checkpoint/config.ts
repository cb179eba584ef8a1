// config.json -> ColmConfig: FORMAT.md's defaults applied and every rule checked, so the engine and
// the UI can trust each width to be a whole number. Each refusal names the key and the rule.

import { CheckpointError } from './errors.js';
import { describeValue, isJsonObject, ownValue, type JsonObject } from './json-values.js';
import type { ColmConfig, QuantizationConfig, RopeScalingLlama3 } from './types.js';

export { chainWidths, splitByChains } from './chain-widths.js';
export { parameterCounts, totalStoredParameters } from './parameter-counts.js';

const MODEL_TYPES = ['colm', 'llama', 'mistral', 'qwen2'];

// No real model comes near these, and staying far below 2^53 keeps every product of two sizes
// (V*D, D*ci) an exact integer in a JS number.
const MAX_SIZE = 2 ** 24;

class ConfigReader {
  constructor(
    private readonly object: JsonObject,
    private readonly file: string,
  ) {}

  fail(key: string, rule: string): never {
    throw new CheckpointError(this.file, rule, { key });
  }

  get(key: string): unknown {
    return ownValue(this.object, key);
  }

  /** Absent and JSON null both mean "use the default", as in Hugging Face configs. */
  isAbsent(key: string): boolean {
    const value = this.get(key);
    return value === undefined || value === null;
  }

  positiveInt(key: string, value: unknown = this.get(key), limit = MAX_SIZE): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
      this.fail(key, `must be a positive integer, got ${describeValue(value)}`);
    }
    if (value > limit) this.fail(key, `${value} is larger than ${limit}, not a plausible size`);
    return value;
  }

  requiredPositiveInt(key: string): number {
    if (this.isAbsent(key)) this.fail(key, 'is required');
    return this.positiveInt(key);
  }

  optionalPositiveInt(key: string, fallback: number): number {
    return this.isAbsent(key) ? fallback : this.positiveInt(key);
  }

  positiveNumber(key: string, fallback: number): number {
    if (this.isAbsent(key)) return fallback;
    const value = this.get(key);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.fail(key, `must be a positive number, got ${describeValue(value)}`);
    }
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    if (this.isAbsent(key)) return fallback;
    const value = this.get(key);
    if (typeof value !== 'boolean') this.fail(key, `must be true or false, got ${describeValue(value)}`);
    return value;
  }

  tokenId(key: string, value: unknown, vocabSize: number): number {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(key, `must be a token id (a non-negative integer), got ${describeValue(value)}`);
    }
    if (value >= vocabSize) this.fail(key, `token id ${value} is outside the vocabulary (vocab_size ${vocabSize})`);
    return value;
  }
}

function readModelType(reader: ConfigReader): string {
  const value = reader.get('model_type');
  if (typeof value !== 'string' || !MODEL_TYPES.includes(value)) {
    reader.fail('model_type', `must be one of ${MODEL_TYPES.join(', ')}, got ${describeValue(value)}`);
  }
  return value;
}

/** Keys that switch on parts this engine does not implement: refuse rather than run a wrong model. */
function refuseUnsupportedParts(reader: ConfigReader): void {
  for (const key of ['attention_bias', 'mlp_bias']) {
    if (reader.boolean(key, false)) reader.fail(key, 'biases are not supported (FORMAT.md has no bias tensors)');
  }
  for (const key of ['hidden_act', 'hidden_activation']) {
    if (reader.isAbsent(key)) continue;
    const act = reader.get(key);
    if (act !== 'silu' && act !== 'swish') {
      reader.fail(key, `only the SwiGLU FFN ("silu") is supported, got ${describeValue(act)}`);
    }
  }
  if (!reader.isAbsent('quantization_config')) {
    reader.fail('quantization_config', 'Hugging Face quantized checkpoints are not supported (weights must be F32, F16 or BF16, or colm quantize\'s q8_0)');
  }
  const rotaryFraction = reader.get('partial_rotary_factor');
  if (rotaryFraction !== undefined && rotaryFraction !== null && rotaryFraction !== 1) {
    reader.fail('partial_rotary_factor', `partial rotary embeddings are not supported, got ${describeValue(rotaryFraction)}`);
  }
  refuseSlidingWindow(reader);
}

// Mistral writes `sliding_window` (null when off); Qwen2 writes it always and switches it on with
// `use_sliding_window`. A window at least as long as the context never drops anything, so it is fine.
function refuseSlidingWindow(reader: ConfigReader): void {
  if (reader.get('use_sliding_window') === false) return;
  if (reader.get('use_sliding_window') === true) {
    reader.fail('use_sliding_window', 'sliding-window attention is not supported');
  }
  if (reader.isAbsent('sliding_window')) return;
  const window = reader.get('sliding_window');
  const context = reader.get('max_position_embeddings');
  if (typeof window === 'number' && typeof context === 'number' && window >= context) return;
  reader.fail('sliding_window', `sliding-window attention is not supported, got ${describeValue(window)}`);
}

function readChains(reader: ConfigReader): number[] {
  if (reader.isAbsent('chains')) return [1];
  const value = reader.get('chains');
  if (!Array.isArray(value) || value.length === 0) {
    reader.fail('chains', `must be a non-empty list of positive integers, got ${describeValue(value)}`);
  }
  return value.map((ratio: unknown) => reader.positiveInt('chains', ratio));
}

function readRopeScaling(reader: ConfigReader): RopeScalingLlama3 | null {
  if (reader.isAbsent('rope_scaling')) return null;
  const value = reader.get('rope_scaling');
  if (!isJsonObject(value)) reader.fail('rope_scaling', `must be null or an object, got ${describeValue(value)}`);
  // Hugging Face writes `rope_type`; configs from before transformers 4.43 write `type`.
  const kind = ownValue(value, 'rope_type') ?? ownValue(value, 'type');
  if (kind === 'default') return null; // newer HF spelling of "no scaling"
  if (kind !== 'llama3') {
    reader.fail('rope_scaling', `only rope_type "llama3" is supported, got ${describeValue(kind)}`);
  }
  const numberAt = (key: string): number => {
    const field = ownValue(value, key);
    if (typeof field !== 'number' || !Number.isFinite(field) || field <= 0) {
      reader.fail(`rope_scaling.${key}`, `must be a positive number, got ${describeValue(field)}`);
    }
    return field;
  };
  const factor = numberAt('factor');
  const lowFreqFactor = numberAt('low_freq_factor');
  const highFreqFactor = numberAt('high_freq_factor');
  const originalKey = 'original_max_position_embeddings';
  const originalMax = ownValue(value, originalKey);
  if (typeof originalMax !== 'number' || !Number.isInteger(originalMax) || originalMax <= 0) {
    reader.fail(`rope_scaling.${originalKey}`, `must be a positive integer, got ${describeValue(originalMax)}`);
  }
  // The llama3 ramp divides by (high - low); equal factors would make every frequency NaN.
  if (highFreqFactor <= lowFreqFactor) {
    reader.fail('rope_scaling.high_freq_factor', `must be larger than low_freq_factor (${highFreqFactor} <= ${lowFreqFactor})`);
  }
  return { ropeType: 'llama3', factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: originalMax };
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
  if (format !== 'q8_0') reader.fail(`${QUANTIZATION}.format`, `only "q8_0" is supported, got ${describeValue(format)}`);
  const blockSize = ownValue(value, 'block_size');
  if (blockSize !== 32) reader.fail(`${QUANTIZATION}.block_size`, `q8_0 stores blocks of 32 columns, got ${describeValue(blockSize)}`);
  return { format: 'q8_0', blockSize: 32 };
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
    if (width !== heads * headDim) {
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
  const chains = readChains(reader);
  const kvSharing = reader.boolean('kv_sharing', false);
  refuseUnsupportedParts(reader);

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
    ropeTheta: reader.positiveNumber('rope_theta', 10000),
    ropeScaling: readRopeScaling(reader),
    tieWordEmbeddings: reader.boolean('tie_word_embeddings', false),
    maxPositionEmbeddings: reader.isAbsent('max_position_embeddings') ? null : reader.positiveInt('max_position_embeddings', undefined, Number.MAX_SAFE_INTEGER),
    bosTokenId,
    eosTokenIds: readEosTokenIds(reader, vocabSize),
    quantization: readQuantization(reader),
  };
  checkChainRules(reader, config);
  return config;
}
