// The one typed description of everything the native addon (native/addon) exports, and the
// loader that finds the .node file. No other TypeScript file touches the addon.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ColmConfig, LoadPlan } from '../checkpoint/types.js';
import type { KvType } from './kv-type.js';

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

export interface NativeGenerateOptions {
  /** Chain count of the first token; later ones read the value setChains()/release() last set. */
  chains: number;
  sampler: NativeSampler;
  maxTokens?: number; // default 256
  /** A sampled stop token is delivered, then the loop ends without evaluating it. */
  stopTokens?: Int32Array;
  /** The first evaluation takes the prefill path (CoLM-Air: cache from chain 1). Default true. */
  prefill?: boolean;
  /** Evaluate each token after the first only once release() allows it. Default false. */
  lockstep?: boolean;
  /** Tokens sampled less than this apart may reach onToken in one wake-up of the JS thread (default 4 ms; lockstep: never). */
  batchMs?: number;
}

export interface NativeGenerateResult {
  finish: 'stop' | 'length' | 'abort' | 'context';
  produced: number; // tokens delivered to onToken
  position: number; // the session's position at the end (every delivered token but the last is evaluated)
}

/** Called on the JS thread for every sampled token, in order, before the promise settles. */
export type NativeTokenCallback = (token: number, chains: number, evalMs: number, atMs: number) => void;

export interface NativeSession {
  evaluate(tokens: Int32Array, chains: number, options?: NativeEvaluateOptions): Promise<NativeEvalResult>;
  /** The native decode loop (native/include/colm/decode.h): many tokens in one call. */
  generate(tokens: Int32Array, options: NativeGenerateOptions, onToken: NativeTokenCallback): Promise<NativeGenerateResult>;
  /** Chain count of the running generate()'s next token (no effect when none runs). */
  setChains(chains: number): void;
  /** Lockstep generate(): allow one more token, at `chains`. */
  release(chains: number): void;
  /** Stops a running evaluation (between layers) or generation (before its next token). */
  cancel(): void;
  truncate(length: number): void;
  kvCache(layer: number, values?: boolean): Float32Array;
  kvChains(): Uint8Array;
  lastHidden(): { data: Float32Array; chains: number };
  setThreads(threads: number): void;
  dispose(): void;
  readonly position: number;
  readonly contextSize: number;
  /** Bytes of the K and V caches in their type (sliding-window layers keep a ring of window + 256 positions). */
  readonly kvCacheBytes: number;
  readonly kvType: KvType;
  readonly threads: number;
  readonly busy: boolean;
  /** "cpu" or "cuda:N" (older addons: undefined, the CPU). */
  readonly device?: string;
}

export interface NativeSessionOptions {
  contextSize?: number;
  threads?: number;
  captureHidden?: boolean;
  /** false: sliding-window layers keep the whole context too (tests compare the two). Default true. */
  windowRing?: boolean;
  /** Element type of the K/V cache (app/engine/kv-type.ts); default 'bf16'. */
  kvType?: KvType;
  /** "cpu" (default) or "cuda:N": which backend runs the session (device-choice.ts picks it). */
  device?: string;
}

/** One CUDA device as the optional backend library reports it. */
export interface NativeCudaDevice {
  index: number;
  name: string;
  computeCapability: string; // "8.9"
  totalBytes: number;
  freeBytes: number;
  multiprocessors: number;
  driverVersion: number; // 13000: CUDA 13.0
  runtimeVersion: number;
}

/** What cudaDevices() answers: devices, or the one-line reason there are none. */
export interface NativeCudaProbe {
  available: boolean;
  reason: string | null;
  libraryLoaded: boolean;
  libraryPath: string;
  libraryVersion: string | null;
  driverVersion: number;
  devices: NativeCudaDevice[];
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

/** A float32 tensor by FORMAT.md name (chain linears per chain when the model has several chains). */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Adam's moments per tensor (same names as the weights) and the steps taken. */
export interface OptimizerState {
  step: number;
  m: NamedTensor[];
  v: NamedTensor[];
}

export interface TrainerOptions {
  config: ColmConfig;
  /** Random initial weights (ignored with `init`). */
  seed?: number;
  lr?: number;
  minLr?: number;
  warmupSteps?: number;
  totalSteps?: number;
  /** Decoupled (AdamW); chain linears, Air K/V and an untied head only. */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Global gradient-norm clipping; 0 turns it off. */
  gradClip?: number;
  /** Label smoothing e in [0, 1): the target's share e spread evenly over the vocabulary. Default 0. */
  labelSmoothing?: number;
  /** 'multi': mean over k = 1..n of the cross-entropy of logits_k; 'full': the full model only. */
  loss?: 'multi' | 'full';
  /** Chains 1..K are not updated (0 <= K < n). */
  freezeChains?: number;
  threads?: number;
  /** Starting weights by FORMAT.md name, per chain or whole; a tied model's lm_head is ignored. */
  init?: { tensors: NamedTensor[] };
  /** Continue an earlier run exactly (with its exported weights as `init`). */
  optimizerState?: OptimizerState;
}

export interface TrainStepResult {
  /** The objective minimised (multi or full). */
  loss: number;
  /** Cross-entropy of logits_k, k = 1..n. */
  lossPerChain: number[];
  /** Global norm of the trainable gradients, before clipping. */
  gradNorm: number;
  lr: number;
  /** Steps taken after this one. */
  step: number;
}

export interface NativeTrainer {
  /** One optimiser step; tokens holds batch rows of seqLen + 1 ids (inputs, then next-token targets). */
  step(tokens: Int32Array, batch: number, seqLen: number): Promise<TrainStepResult>;
  /** Loss of every sub-model without an update (held-out evaluation). */
  evaluate(tokens: Int32Array, batch: number, seqLen: number): Promise<{ lossPerChain: number[] }>;
  /** Gradients of every weight (export names, before clipping) without an update. */
  computeGradients(tokens: Int32Array, batch: number, seqLen: number): Promise<TrainStepResult & { gradients: NamedTensor[] }>;
  exportWeights(): NamedTensor[];
  exportOptimizerState(): OptimizerState;
  /** The learning rate of the step taken after `step` steps. */
  lrAt(step: number): number;
  /** Stops a running step between two layers (it rejects with an AbortError; weights unchanged). */
  cancel(): void;
  dispose(): void;
  readonly steps: number;
  readonly parameterCount: number;
  readonly threads: number;
  readonly busy: boolean;
  readonly disposed: boolean;
}

export interface NativeAddon {
  loadModel(plan: LoadPlan, onProgress?: (fraction: number) => void): {
    promise: Promise<NativeModel>;
    cancel(): void;
  };
  Session: new (model: NativeModel, options?: NativeSessionOptions) => NativeSession;
  Sampler: new (options?: SamplerOptions) => NativeSampler;
  systemInfo(): {
    hardwareThreads: number;
    defaultThreads?: number;
    kernels?: string;
    kernelsAvailable?: string[];
    /** Variants that change the math, chosen only by name (e.g. "avx512-bf16"). */
    kernelsOptIn?: string[];
  };
  /** Chooses a kernel variant for the whole process; throws when this CPU cannot run it. */
  setKernels(name: string): void;
  /** CUDA devices through the optional backend library beside the addon (or at `libraryPath`). */
  cudaDevices?(libraryPath?: string): NativeCudaProbe;
  Trainer: new (options: TrainerOptions) => NativeTrainer;
}

let cached: NativeAddon | null = null;

/**
 * Where the built addon lives: COLM_ADDON_PATH (the desktop app sets it), beside the sources
 * (tests, tsx), beside dist/ (built CLI), or, in a packaged app, in app.asar.unpacked: a .node
 * file cannot be loaded from inside the asar archive.
 */
function addonCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromEnv = process.env.COLM_ADDON_PATH;
  const built = resolve(here, '../../../build/native/Release/colm.node');
  return [
    ...(fromEnv ? [fromEnv] : []),
    resolve(here, '../../build/native/Release/colm.node'),
    built,
    built.replace(/\.asar(?=[\\/])/, '.asar.unpacked'),
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
