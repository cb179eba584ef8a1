// Typed reads of one config.json object: each refusal is a CheckpointError naming the file and the
// key (dotted for nested keys, e.g. "rope_parameters.factor"). Shared by the config.*.ts parts.

import { CheckpointError } from './errors.js';
import { describeValue, ownValue, type JsonObject } from './json-values.js';

// No real model comes near these, and staying far below 2^53 keeps every product of two sizes
// (V*D, D*ci) an exact integer in a JS number.
export const MAX_SIZE = 2 ** 24;

export class ConfigReader {
  constructor(
    readonly object: JsonObject,
    readonly file: string,
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

  positiveNumber(key: string, fallback: number, value: unknown = this.get(key)): number {
    if (value === undefined || value === null) return fallback;
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
