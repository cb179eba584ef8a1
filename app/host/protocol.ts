// The typed message protocol between a face (the HTTP server, later Electron's main process) and
// the engine host process. Everything here is plain data that survives structured cloning, and
// this file imports nothing at run time: the renderer shares these types (type-only imports).
import type { KvType } from '../engine/kv-type.js';

export type { KvType } from '../engine/kv-type.js';

// ---------------------------------------------------------------------------------------------
// Shared domain shapes
// ---------------------------------------------------------------------------------------------

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatTurn {
  role: ChatRole;
  content: string;
}

/**
 * 'auto' follows the chain policy token by token (the parent pushes its count with
 * setAutoChains); a number fixes the count for the whole reply.
 */
export type ChainSetting = number | 'auto';

/**
 * temperature, topK, topP and repeatPenalty may be null: "not set by the user", which means the
 * model's generation_config.json value (ModelInfo.samplingDefaults), else the app's default.
 */
export interface GenerationSettings {
  chains: ChainSetting;
  temperature: number | null;
  topK: number | null; // 0: off
  topP: number | null; // 1: off
  minP: number; // 0: off
  repeatPenalty: number | null; // 1: off
  seed: number | null; // null: a new random seed per reply
  maxTokens: number;
  /** Extra strings that end the reply (the OpenAI API's `stop`), on top of the template's own. */
  stop?: string[];
}

/** What one chain count of a loaded model is. */
export interface SubModelInfo {
  chains: number; // k
  width: number; // d_k
  heads: number;
  ffn: number;
  parameters: number;
}

export interface ModelInfo {
  path: string;
  name: string; // what the UI shows: the file or folder name
  packaging: string;
  modelType: string;
  kvSharing: boolean; // CoLM-Air
  chainRatios: number[]; // C = {c1..cn}
  chainCount: number; // n
  layers: number;
  vocabSize: number;
  contextSize: number; // the session's context, in tokens
  threads: number; // the session's worker threads
  /** The backend running the session ("cpu", "cuda:0") and why it was chosen (device-choice.ts). */
  device?: string;
  deviceReason?: string;
  /** What the load asked for: 'auto' | 'cpu' | 'cuda:N' (the settings compare it with theirs). */
  deviceRequest?: string;
  dtypes: string[];
  /** What the weights are, as a user names it: F32, F16, BF16, Q8_0; for a GGUF, the file's dominant type (Q4_K, ...). */
  weightType: string;
  /** generation_config.json's sampling values (null: none), what settings left null use. */
  samplingDefaults: SamplingDefaults;
  /** Tokens of the model's own context window (max_position_embeddings); null when the config has none. */
  contextLength: number | null;
  mappedBytes: number;
  kernels: string;
  subModels: SubModelInfo[];
  /** The context a session gets when none is chosen: what the model allows and free memory holds (app/engine/context-plan.ts). */
  defaultContextSize: number;
  /** What sizes the KV cache, so the UI can price a context before it is chosen. */
  kvCache: KvCacheInfo;
  /** Bytes of the loaded session's KV cache. */
  kvCacheBytes: number;
  /** The loaded session's KV cache element type (app/engine/kv-type.ts). */
  kvType: KvType;
}

/**
 * A KV cache's shape (app/engine/context-plan.ts, KvCacheShape): a context of N positions costs
 * rowBytes x (fullLayers x N + windowedLayers x min(N, window + 256)) bytes.
 */
export interface KvCacheInfo {
  fullLayers: number;
  windowedLayers: number;
  window: number | null;
  kvType: KvType; // the type rowBytes is priced in (another type: kvHeads x kvHeadBytes(type, headDim) x 2)
  kvHeads: number;
  headDim: number;
  rowBytes: number;
}

/** One CUDA device as the settings list it (app/engine/devices.ts has the whole record). */
export interface GpuDeviceInfo {
  index: number; // cuda:index
  name: string; // "NVIDIA GeForce RTX 4070"
  totalBytes: number;
  freeBytes: number; // when the host started
}

/** The devices the engine host can run a model on, read when it starts: the CPU always, and these. */
export interface DeviceSummary {
  cuda: GpuDeviceInfo[];
  /** Why `cuda` is empty ("no NVIDIA driver: libcuda.so.1 was not found"); null when it is not. */
  cudaReason: string | null;
}

/** A model's own sampling values (generation_config.json); null where it has none. */
export interface SamplingDefaults {
  temperature: number | null;
  topK: number | null;
  topP: number | null;
  repeatPenalty: number | null;
}

/** The engine host process as the parent sees it. */
export type HostStatus = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

export interface LoadProgressInfo {
  stage: 'uploading' | 'reading' | 'mapping' | 'ready';
  fraction: number; // 0..1 of this stage's whole load
}

/** One token as the UI needs it: which chain count produced it, and its text (for hover details). */
export interface TokenInfo {
  chains: number;
  text: string;
}

/** Tokens gathered over 16-50 ms, so a fast model does not flood the UI with one message per token. */
export interface TokenBatch {
  text: string; // the new visible text of every token in the batch, joined
  tokens: TokenInfo[];
  tokensPerSecond: number;
  prefillMs: number;
  contextUsed: number; // positions the session holds after this batch
  contextSize: number;
}

export type FinishReason = 'stop' | 'length' | 'abort' | 'context' | 'error';

export interface GenerationSummary {
  finishReason: FinishReason;
  promptTokens: number; // tokens of the prompt as the model saw it (after dropping old turns)
  droppedMessages: number; // old turns left out so the prompt fits the context
  generatedTokens: number;
  tokensPerSecond: number;
  prefillMs: number;
  contextUsed: number;
  contextSize: number;
}

/** An Error flattened to data: `name` lets the UI tell a CheckpointError from a crash. */
export interface ErrorInfo {
  name: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Requests: parent -> host. `id` pairs a request with its one reply (result or error).
// ---------------------------------------------------------------------------------------------

export type HostRequest =
  // device: 'auto' | 'cpu' | 'cuda' | 'cuda:N' (app/engine/device-choice.ts); absent: auto.
  | { type: 'loadModel'; id: number; path: string; contextSize?: number; threads?: number; kvType?: KvType; device?: string }
  | { type: 'unloadModel'; id: number }
  | { type: 'modelInfo'; id: number }
  // `text`, when present, is continued as it is, without the chat template (/v1/completions); `messages` is then empty.
  | { type: 'generate'; id: number; requestId: string; messages: ChatTurn[]; settings: GenerationSettings; text?: string }
  | { type: 'stop'; id: number; requestId: string }
  // The chain policy's count, pushed whenever it changes: what 'auto' generations use from their next token.
  | { type: 'setAutoChains'; id: number; chains: number };

// ---------------------------------------------------------------------------------------------
// Events: host -> parent.
// ---------------------------------------------------------------------------------------------

export type HostEvent =
  // `devices`: what the settings offer besides auto and cpu (absent from hosts that cannot tell).
  | { type: 'ready'; pid: number; devices?: DeviceSummary }
  | { type: 'loadProgress'; id: number; progress: LoadProgressInfo }
  | { type: 'result'; id: number; value: HostResultValue }
  | { type: 'error'; id: number; error: ErrorInfo }
  | { type: 'tokens'; requestId: string; batch: TokenBatch }
  | { type: 'done'; requestId: string; summary: GenerationSummary }
  | { type: 'generateError'; requestId: string; error: ErrorInfo }
  // Every ~2 s: how busy the engine was since the last report (zeros while idle), so the policy's
  // probes can subtract our own decode from the machine's load.
  | { type: 'load'; load: EngineLoadReport };

/** The engine host's own use of the machine over one report window (the policy's EngineLoad). */
export interface EngineLoadReport {
  cpuShare: number; // 0..1 of all cores' time
  gpuShare: number; // 0..1 of wall time with our GPU work in flight; 0 on the CPU
}

/** loadModel and modelInfo answer with the model (or null); the others with null. */
export type HostResultValue = ModelInfo | null;

export function isHostEvent(value: unknown): value is HostEvent {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
