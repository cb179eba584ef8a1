// RoPE theta and scaling from either config dialect, read the same (FORMAT.md 1.1):
//   transformers 4: top-level `rope_theta` and `rope_scaling` (null, or {rope_type|type, ...})
//   transformers 5: `rope_parameters` = {rope_theta, rope_type: "default"|"linear"|"llama3", ...}
// A scaling type other than default/linear/llama3, or a key inside it that we do not read (say
// `partial_rotary_factor` or `attention_factor`), is refused with its name: a wrong frequency table
// runs without a word and gives wrong logits, the very bug this file exists to prevent.

import { describeValue, isJsonObject, ownValue, type JsonObject } from './json-values.js';
import type { ConfigReader } from './config-reader.js';
import type { RopeScaling } from './types.js';

const DEFAULT_THETA = 10000;

export interface Rope {
  theta: number;
  scaling: RopeScaling | null;
}

// The keys each rope_type reads; `rope_theta` only inside rope_parameters, `type` is the
// spelling of configs from before transformers 4.43.
const LLAMA3_KEYS = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'];
const KEYS_BY_TYPE: Record<string, string[]> = { default: [], linear: ['factor'], llama3: LLAMA3_KEYS };

function readScaling(reader: ConfigReader, where: string, value: JsonObject, allowTheta: boolean): RopeScaling | null {
  const kind = ownValue(value, 'rope_type') ?? ownValue(value, 'type');
  if (typeof kind !== 'string' || !(kind in KEYS_BY_TYPE)) {
    reader.fail(where, `rope_type ${describeValue(kind)} is not supported (only "default", "linear" and "llama3" are)`);
  }
  const understood = new Set(['rope_type', 'type', ...(KEYS_BY_TYPE[kind] ?? []), ...(allowTheta ? ['rope_theta'] : [])]);
  for (const key of Object.keys(value)) {
    if (!understood.has(key)) reader.fail(`${where}.${key}`, `is not understood for rope_type "${kind}" and could change the RoPE frequencies`);
  }
  const numberAt = (key: string): number => {
    const field = ownValue(value, key);
    if (typeof field !== 'number' || !Number.isFinite(field) || field <= 0) {
      reader.fail(`${where}.${key}`, `must be a positive number, got ${describeValue(field)}`);
    }
    return field;
  };
  if (kind === 'default') return null;
  if (kind === 'linear') return { ropeType: 'linear', factor: numberAt('factor') };
  const factor = numberAt('factor');
  const lowFreqFactor = numberAt('low_freq_factor');
  const highFreqFactor = numberAt('high_freq_factor');
  const originalKey = 'original_max_position_embeddings';
  const originalMax = ownValue(value, originalKey);
  if (typeof originalMax !== 'number' || !Number.isInteger(originalMax) || originalMax <= 0) {
    reader.fail(`${where}.${originalKey}`, `must be a positive integer, got ${describeValue(originalMax)}`);
  }
  // The llama3 ramp divides by (high - low); equal factors would make every frequency NaN.
  if (highFreqFactor <= lowFreqFactor) {
    reader.fail(`${where}.high_freq_factor`, `must be larger than low_freq_factor (${highFreqFactor} <= ${lowFreqFactor})`);
  }
  return { ropeType: 'llama3', factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: originalMax };
}

function readOldDialect(reader: ConfigReader): Rope {
  const theta = reader.positiveNumber('rope_theta', DEFAULT_THETA);
  if (reader.isAbsent('rope_scaling')) return { theta, scaling: null };
  const value = reader.get('rope_scaling');
  if (!isJsonObject(value)) reader.fail('rope_scaling', `must be null or an object, got ${describeValue(value)}`);
  return { theta, scaling: readScaling(reader, 'rope_scaling', value, false) };
}

function sameRope(a: Rope, b: Rope): boolean {
  return a.theta === b.theta && JSON.stringify(a.scaling) === JSON.stringify(b.scaling);
}

export function readRope(reader: ConfigReader): Rope {
  if (reader.isAbsent('rope_parameters')) return readOldDialect(reader);
  const value = reader.get('rope_parameters');
  if (!isJsonObject(value)) reader.fail('rope_parameters', `must be null or an object, got ${describeValue(value)}`);
  const rope: Rope = {
    theta: reader.positiveNumber('rope_parameters.rope_theta', DEFAULT_THETA, ownValue(value, 'rope_theta')),
    scaling: readScaling(reader, 'rope_parameters', value, true),
  };
  // A config carrying both dialects is read only if they say the same thing.
  if (!reader.isAbsent('rope_theta') || !reader.isAbsent('rope_scaling')) {
    const old = readOldDialect(reader);
    const clashing = !reader.isAbsent('rope_scaling') || old.theta !== rope.theta;
    if (clashing && !sameRope(old, rope)) {
      reader.fail('rope_parameters', 'disagrees with rope_theta/rope_scaling in the same config; keep one dialect');
    }
  }
  return rope;
}
