// The family-dependent parts of attention and the FFN (FORMAT.md 1.1): which projections carry
// biases, qwen3's per-head q/k RMSNorm, and sliding-window attention, each read exactly as
// transformers 5 reads that family's config.

import { describeValue } from './json-values.js';
import type { ConfigReader } from './config-reader.js';

export interface AttentionParts {
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  slidingWindow: number | null;
  slidingWindowLayers: boolean[];
}

/** Llama's `attention_bias` covers q, k, v and o (qwen3 and colm read it the same); Qwen2 always has q/k/v biases. */
function readBiases(reader: ConfigReader, modelType: string): Pick<AttentionParts, 'qkvBias' | 'oBias' | 'mlpBias'> {
  const readsAttentionBias = modelType === 'llama' || modelType === 'qwen3' || modelType === 'colm';
  const readsMlpBias = modelType === 'llama' || modelType === 'colm';
  const attention = readsAttentionBias ? reader.boolean('attention_bias', false) : false;
  const mlpBias = readsMlpBias ? reader.boolean('mlp_bias', false) : false;
  if (modelType === 'qwen2') return { qkvBias: true, oBias: false, mlpBias };
  return { qkvBias: attention, oBias: attention, mlpBias };
}

const LAYER_TYPES = ['full_attention', 'sliding_attention'];

/**
 * Qwen2/Qwen3 (transformers 5): the window is `sliding_window` only when `use_sliding_window`;
 * per-layer `layer_types` when given, else layers i >= `max_window_layers` (default 28) slide.
 */
function readQwenWindow(reader: ConfigReader, layers: number): Pick<AttentionParts, 'slidingWindow' | 'slidingWindowLayers'> {
  const enabled = reader.boolean('use_sliding_window', false);
  const window = enabled && !reader.isAbsent('sliding_window') ? reader.positiveInt('sliding_window', undefined, Number.MAX_SAFE_INTEGER) : null;
  let sliding: boolean[];
  if (!reader.isAbsent('layer_types')) {
    const types = reader.get('layer_types');
    if (!Array.isArray(types) || types.length !== layers) {
      reader.fail('layer_types', `must list one of ${LAYER_TYPES.join(', ')} for each of the ${layers} layers, got ${describeValue(types)}`);
    }
    sliding = types.map((type: unknown) => {
      if (typeof type !== 'string' || !LAYER_TYPES.includes(type)) {
        reader.fail('layer_types', `layer type ${describeValue(type)} is not supported (only ${LAYER_TYPES.join(', ')})`);
      }
      return type === 'sliding_attention';
    });
  } else {
    const first = reader.isAbsent('max_window_layers') ? 28 : reader.positiveInt('max_window_layers');
    sliding = Array.from({ length: layers }, (_, i) => window !== null && i >= first);
  }
  if (window === null && sliding.some(Boolean)) {
    reader.fail('layer_types', 'names sliding_attention layers but there is no window (use_sliding_window false or sliding_window null)');
  }
  return { slidingWindow: sliding.some(Boolean) ? window : null, slidingWindowLayers: sliding };
}

/** Mistral: every layer slides when `sliding_window` is not null. */
function readMistralWindow(reader: ConfigReader, layers: number): Pick<AttentionParts, 'slidingWindow' | 'slidingWindowLayers'> {
  const window = reader.isAbsent('sliding_window') ? null : reader.positiveInt('sliding_window', undefined, Number.MAX_SAFE_INTEGER);
  return { slidingWindow: window, slidingWindowLayers: Array.from({ length: layers }, () => window !== null) };
}

function readWindow(reader: ConfigReader, modelType: string, layers: number): Pick<AttentionParts, 'slidingWindow' | 'slidingWindowLayers'> {
  if (modelType === 'mistral') return readMistralWindow(reader, layers);
  if (modelType === 'qwen2' || modelType === 'qwen3') return readQwenWindow(reader, layers);
  if (modelType === 'colm') {
    // Grown from a Qwen (its keys kept) or a Mistral: read the way the keys say.
    const qwenStyle = ['use_sliding_window', 'layer_types', 'max_window_layers'].some((key) => reader.get(key) !== undefined);
    return qwenStyle ? readQwenWindow(reader, layers) : readMistralWindow(reader, layers);
  }
  return { slidingWindow: null, slidingWindowLayers: Array.from({ length: layers }, () => false) };
}

export function readAttentionParts(reader: ConfigReader, modelType: string, layers: number): AttentionParts {
  return { ...readBiases(reader, modelType), qkNorm: modelType === 'qwen3', ...readWindow(reader, modelType, layers) };
}
