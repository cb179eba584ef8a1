// What a model's settings start as. Kept here (not imported from app/) because the renderer
// ships no code from the Node side; the server has its own defaults for requests that omit fields.
import type { GenerationSettings, KvType, ModelInfo, SamplingDefaults } from '../bridge/types.js';

/**
 * temperature, topK, topP and repeatPenalty start unset (null): the model's own values from its
 * generation_config.json, else APP_SAMPLING, until the user types one.
 */
export const DEFAULT_GENERATION: Readonly<GenerationSettings> = {
  chains: 'auto',
  temperature: null,
  topK: null,
  topP: null,
  minP: 0.05,
  repeatPenalty: null,
  seed: null,
  maxTokens: 512,
};

/** The app's sampling values for a model that names none (the host's APP_SAMPLING, mirrored). */
export const APP_SAMPLING: Readonly<Record<keyof SamplingDefaults, number>> = {
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  repeatPenalty: 1.1,
};

/** What an unset field means for `model`: its value, and whether the model or the app gives it. */
export function samplingDefault(model: ModelInfo | null, field: keyof SamplingDefaults): { value: number; fromModel: boolean } {
  const own = model?.samplingDefaults?.[field] ?? null;
  return own === null ? { value: APP_SAMPLING[field], fromModel: false } : { value: own, fromModel: true };
}

export const DEFAULT_SYSTEM_PROMPT = '';

/**
 * How the engine runs a model; null: let it choose (the model's context, a thread per core, a BF16
 * KV cache, and auto's device: a GPU that fits once the CUDA backend is verified, else the CPU).
 */
export interface SessionSettings {
  contextSize: number | null;
  threads: number | null;
  kvType: KvType | null;
  /** 'auto' | 'cpu' | 'cuda:N' (app/engine/device-choice.ts); null: auto. */
  device: string | null;
}

export const DEFAULT_SESSION: Readonly<SessionSettings> = { contextSize: null, threads: null, kvType: null, device: null };

/** A device setting the engine takes: auto, cpu or cuda:N. */
export function isDeviceSetting(value: unknown): value is string {
  return typeof value === 'string' && /^(auto|cpu|cuda:\d{1,4})$/.test(value);
}

/** The KV cache types a CUDA session keeps (app/engine/device-choice.ts, CUDA_KV_TYPES). */
export const CUDA_KV_TYPES: readonly KvType[] = ['bf16'];

/** The KV cache types the engine offers (app/engine/kv-type.ts), and what the settings show for each. */
export const KV_TYPE_CHOICES: ReadonlyArray<{ value: KvType; label: string }> = [
  { value: 'bf16', label: 'BF16 (default)' },
  { value: 'f16', label: 'F16' },
  { value: 'q8_0', label: 'Q8_0 (smallest)' },
  { value: 'f32', label: 'F32 (exact)' },
];
