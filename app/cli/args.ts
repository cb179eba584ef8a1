// Typed reading of command-line options: every bad value is a UsageError naming the option.
import { isKvType, KV_TYPES, type KvType } from '../engine/kv-type.js';
import { UsageError } from './usage.js';

/** --kv-type: the KV cache's element type; absent: the engine's default (bf16). */
export function kvTypeOption(value: string | undefined): KvType | undefined {
  if (value === undefined) return undefined;
  if (!isKvType(value)) throw new UsageError(`--kv-type must be one of ${KV_TYPES.join(', ')}, got "${value}"`);
  return value;
}

export function intOption(value: string | undefined, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${name} must be an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function floatOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${value}"`);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function intList(value: string, name: string, min: number): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => s === '')) throw new UsageError(`--${name} must be a comma-separated list of integers`);
  return parts.map((s) => intOption(s, name, min)!);
}
