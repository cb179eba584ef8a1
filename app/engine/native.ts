// The one typed description of everything the native addon (native/addon) exports, and the
// loader that finds the .node file. No other TypeScript file touches the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { LoadPlan } from '../checkpoint/types.js';

export interface NativeModel {
  info(): { mappedBytes: number; kernels: string };
  dispose(): void;
  readonly disposed: boolean;
}

export type LogitsWanted = 'none' | 'last' | 'all';

export interface NativeEvaluateOptions {
  /** Generation's prompt path: CoLM-Air builds the cache from chain 1 alone. */
  prefill?: boolean;
  logits?: LogitsWanted;
  /** Sample the next token inside the worker from the last position's logits. */
  sampler?: NativeSampler;
  /** false: do not copy the logits back to JS (the token is enough). */
  returnLogits?: boolean;
}

export interface NativeEvalResult {
  logits: Float32Array | null;
  token: number; // -1 without a sampler
  position: number;
}

export interface NativeSession {
  evaluate(tokens: Int32Array, chains: number, options?: NativeEvaluateOptions): Promise<NativeEvalResult>;
  cancel(): void;
  truncate(length: number): void;
  kvCache(layer: number, values?: boolean): Float32Array;
  kvChains(): Uint8Array;
  lastHidden(): { data: Float32Array; chains: number };
  setThreads(threads: number): void;
  dispose(): void;
  readonly position: number;
  readonly contextSize: number;
  readonly threads: number;
  readonly busy: boolean;
}

export interface NativeSessionOptions {
  contextSize?: number;
  threads?: number;
  captureHidden?: boolean;
}

export interface SamplerOptions {
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repeatPenalty?: number;
  repeatLastN?: number;
  seed?: number | bigint;
}

export interface NativeSampler {
  sample(logits: Float32Array, recent?: Int32Array): number;
  readonly params: Required<SamplerOptions>;
}

export interface NativeAddon {
  loadModel(plan: LoadPlan, onProgress?: (fraction: number) => void): {
    promise: Promise<NativeModel>;
    cancel(): void;
  };
  Session: new (model: NativeModel, options?: NativeSessionOptions) => NativeSession;
  Sampler: new (options?: SamplerOptions) => NativeSampler;
  systemInfo(): { hardwareThreads: number; kernels?: string; kernelsAvailable?: string[] };
}

let cached: NativeAddon | null = null;

/** Where the built addon lives: beside the sources (tests, tsx) or beside dist/ (built CLI). */
function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromEnv = process.env.COLM_ADDON_PATH;
  return [
    ...(fromEnv ? [fromEnv] : []),
    resolve(here, '../../build/native/Release/colm.node'),
    resolve(here, '../../../build/native/Release/colm.node'),
  ];
}

export function loadAddon(): NativeAddon {
  if (cached) return cached;
  const path = addonCandidates().find((p) => existsSync(p));
  if (!path) {
    throw new Error(
      `the native engine is not built (looked for ${addonCandidates().join(', ')}): run npm run build:native`,
    );
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeAddon;
  return cached;
}
