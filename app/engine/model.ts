// loadModel(path) -> Model: reads and checks the checkpoint (app/checkpoint), maps the weights
// in the native engine off the JS thread, and builds the tokenizer. A Model makes Sessions.
import { readCheckpoint } from '../checkpoint/index.js';
import { parameterCounts } from '../checkpoint/index.js';
import {
  chatTemplateFromConfig,
  defaultChatTemplate,
  hasChatMlTokens,
  PLAIN_CHAT_STOP_STRINGS,
  renderChat,
  type ChatMessage,
} from '../checkpoint/chat-template.js';
import { TextTokenizer } from '../checkpoint/tokenizer.js';
import type { ChainWidths, ColmConfig, LoadPlan, PlanDType } from '../checkpoint/types.js';
import { planContext, type ContextPlan } from './context-plan.js';
import { DEFAULT_KV_TYPE, isKvType, KV_TYPES, type KvType } from './kv-type.js';
import { chooseDevice, kvTypeProblem, planVram, type DeviceChoice, type DeviceRequest, type VramPlan } from './device-choice.js';
import { listDevices, type DeviceList } from './devices.js';
import { samplingDefaultsOf, stopTokenIdsOf, type SamplingDefaults } from './generation-defaults.js';
import { loadAddon, type NativeModel } from './native.js';
import { Session, type SessionOptions } from './session.js';

export interface LoadProgress {
  stage: 'reading' | 'mapping' | 'ready';
  fraction: number; // 0..1 over the whole load
}

export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

function abortError(): Error {
  const e = new Error('loading was cancelled');
  e.name = 'AbortError';
  return e;
}

export async function loadModel(path: string, options: LoadOptions = {}): Promise<Model> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  onProgress?.({ stage: 'reading', fraction: 0 });
  // A GGUF's Q8_0 tensors go to the native loader as their blocks, which it splits (no copy here).
  const plan = await readCheckpoint(path, { signal, q8SplitAtLoad: true });
  const label =
    plan.packaging === 'single-file' ? `${plan.source} (colm.tokenizer)` : plan.packaging === 'gguf' ? `${plan.source} (tokenizer.ggml.*)` : `${plan.source}/tokenizer.json`;
  const tokenizer = TextTokenizer.fromJson(plan.tokenizerJson, plan.tokenizerConfig, label);
  // Checked before the weights are mapped: a bad generation_config.json costs no mapping.
  stopTokenIdsOf(plan.config, plan.generationConfig, tokenizer, generationConfigLabel(plan));
  if (signal?.aborted) throw abortError();
  onProgress?.({ stage: 'mapping', fraction: 0.1 });

  const addon = loadAddon();
  const task = addon.loadModel(plan, (f) => onProgress?.({ stage: 'mapping', fraction: 0.1 + 0.9 * f }));
  const onAbort = () => task.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  let native: NativeModel;
  try {
    native = await task.promise;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) {
    native.dispose();
    throw abortError();
  }
  onProgress?.({ stage: 'ready', fraction: 1 });
  return new Model(plan, native, tokenizer);
}

function generationConfigLabel(plan: LoadPlan): string {
  if (plan.packaging === 'single-file') return `${plan.source} (colm.generation_config)`;
  if (plan.packaging === 'folder' || plan.packaging === 'sharded-folder') return `${plan.source}/generation_config.json`;
  return `${plan.source} (generation config)`; // a GGUF has none: its eot/eom ids are in its config
}

const NO_DEVICES: DeviceList = { cuda: [], cudaReason: null, libraryPath: null, libraryVersion: null, driverVersion: 0 };

export class Model {
  readonly path: string;
  readonly config: ColmConfig;
  readonly widths: ChainWidths;
  readonly tokenizer: TextTokenizer;
  /** Parameters used by sub-model k, at index k-1. */
  readonly parameterCounts: number[];
  readonly chatTemplate: string | null;
  readonly dtypes: PlanDType[];
  /** Ids that end generation: config, generation_config and tokenizer eos tokens (FORMAT.md). */
  readonly stopTokenIds: number[];
  /** generation_config.json's sampling values: what a user who set none gets. */
  readonly samplingDefaults: SamplingDefaults;

  constructor(
    readonly plan: LoadPlan,
    private native: NativeModel,
    tokenizer: TextTokenizer,
  ) {
    this.path = plan.source;
    this.config = plan.config;
    this.widths = plan.widths;
    this.tokenizer = tokenizer;
    this.parameterCounts = parameterCounts(plan.config);
    this.chatTemplate = chatTemplateFromConfig(plan.tokenizerConfig);
    this.dtypes = [...new Set(plan.tensors.map((t) => t.dtype))];
    this.stopTokenIds = stopTokenIdsOf(plan.config, plan.generationConfig, tokenizer, generationConfigLabel(plan));
    this.samplingDefaults = samplingDefaultsOf(plan.generationConfig);
  }

  get chainCount(): number {
    return this.config.chains.length;
  }

  get disposed(): boolean {
    return this.native.disposed;
  }

  /** Which SIMD kernels run this model and how many bytes are mapped. */
  info(): { mappedBytes: number; kernels: string } {
    return this.native.info();
  }

  /**
   * The context a session gets and its KV cache bytes: `requested` (refused above
   * max_position_embeddings), else what the model allows and free memory holds (context-plan.ts).
   */
  contextPlan(requested?: number, kvType: KvType = DEFAULT_KV_TYPE): ContextPlan {
    return planContext(this.config, this.info().mappedBytes, requested, undefined, kvType);
  }

  /** VRAM the CUDA backend needs for chain counts 1..n and a context of `contextSize` positions. */
  vramPlan(contextSize: number): VramPlan[] {
    return planVram(this.plan, contextSize);
  }

  /**
   * The device a session of `contextSize` positions with a `kvType` cache gets (device-choice.ts):
   * every face (CLI, engine host) asks here, so the rules (VRAM, KV type, verification) are one.
   * `cpu` asks no GPU; `devices` for tests (default: the addon's list now).
   */
  chooseDevice(request: DeviceRequest, options: { contextSize: number; kvType?: KvType; devices?: DeviceList }): DeviceChoice {
    if (request.kind === 'cpu') return chooseDevice(request, NO_DEVICES, []);
    return chooseDevice(request, options.devices ?? listDevices(), this.vramPlan(options.contextSize), { kvType: options.kvType });
  }

  /** A session of `contextSize` positions (not checked against the model's limit), else the default. */
  createSession(options: SessionOptions = {}): Session {
    const addon = loadAddon();
    const kvType = options.kvType ?? DEFAULT_KV_TYPE;
    if (!isKvType(kvType)) throw new RangeError(`kvType must be one of ${KV_TYPES.join(', ')}, got ${JSON.stringify(kvType)}`);
    // The native CUDA session would keep BF16 whatever it is asked: refuse rather than pretend.
    const kvProblem = options.device === undefined ? null : kvTypeProblem(options.device, kvType);
    if (kvProblem) throw new RangeError(kvProblem);
    const native = new addon.Session(this.native, {
      contextSize: options.contextSize ?? this.contextPlan(undefined, kvType).context,
      threads: options.threads ?? 0,
      captureHidden: options.captureHidden ?? false,
      kvType,
      ...(options.windowRing === undefined ? {} : { windowRing: options.windowRing }),
      ...(options.device !== undefined && options.device !== 'cpu' ? { device: options.device } : {}),
    });
    return new Session(this, native);
  }

  /**
   * A conversation as prompt tokens, through the model's chat template (or the default one), and
   * the stop strings that end the assistant's turn.
   */
  chatPrompt(messages: readonly ChatMessage[]): { tokens: number[]; stopStrings: string[]; stopTokens: number[] } {
    const tk = this.tokenizer;
    const chatMl = hasChatMlTokens(tk);
    const template = this.chatTemplate ?? defaultChatTemplate(chatMl);
    const tokenText = (id: number | null | undefined) => (id === null || id === undefined ? '' : tk.decode([id]));
    const text = renderChat(messages, {
      template,
      // Every named special token (pad_token, unk_token, ...), as transformers passes them.
      specialTokens: tk.namedSpecialTokens(),
      bosToken: tokenText(tk.bosTokenId),
      eosToken: tokenText(tk.eosTokenIds[0]),
      addGenerationPrompt: true,
    });
    const stopStrings = this.chatTemplate === null && !chatMl ? [...PLAIN_CHAT_STOP_STRINGS] : [];
    // Special tokens never reach the text stream, so the end of a turn is a stop token.
    const stopTokens = [...this.stopTokenIds];
    const endOfTurn = tk.idOf('<|im_end|>');
    if (endOfTurn !== null && !stopTokens.includes(endOfTurn)) stopTokens.push(endOfTurn);
    return { tokens: tk.encode(text, { addSpecialTokens: false }), stopStrings, stopTokens };
  }

  /** Releases the weights once every session made from this model is disposed too. */
  dispose(): void {
    this.native.dispose();
  }
}
