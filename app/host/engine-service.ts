// What the engine host process does, apart from how messages reach it: one loaded model, one
// session whose KV cache is reused across turns, at most one generation at a time. The transport
// (engine-host.ts) turns requests into calls here and the callbacks into events.
import type { KvType } from '../engine/kv-type.js';
import { deviceRequestText, parseDevice } from '../engine/device-choice.js';
import { loadModel, type Model } from '../engine/model.js';
import type { GenerateOptions, Session } from '../engine/session.js';
import { followAutoChains } from './auto-chains-follower.js';
import type { BusyMeter } from './busy-meter.js';
import { fitToContext } from './fit-context.js';
import { describeModel } from './model-info.js';
import { resolveSampling } from './sampling.js';
import { textPrompt } from './text-prompt.js';
import { weightTypeOfFile } from './weight-type.js';
import type { ChatTurn, GenerationSettings, GenerationSummary, LoadProgressInfo, ModelInfo, TokenBatch } from './protocol.js';
import { TokenBatcher } from './token-batcher.js';

export interface EngineServiceOptions {
  batchIntervalMs?: number; // default 24: inside the 16-50 ms the UI wants
  /** Extra wait after each token: lets a tiny test model stream at a human pace. 0: none. */
  tokenDelayMs?: number;
  /** Told when generations start and end, for the load reports the chain policy subtracts. */
  busy?: BusyMeter;
}

export interface GenerateCallbacks {
  onBatch(batch: TokenBatch): void;
}

interface Loaded {
  model: Model;
  session: Session;
  info: ModelInfo;
}

interface Running {
  requestId: string;
  abort: AbortController;
  finished: Promise<unknown>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class EngineService {
  private loaded: Loaded | null = null;
  private loading: AbortController | null = null;
  private running: Running | null = null;
  /** Stops that arrived before their generation began (IPC order does not rule that out). */
  private readonly earlyStops = new Set<string>();
  /** The chain policy's latest count (setAutoChains); null until the parent has said: every chain. */
  private autoChains: number | null = null;

  constructor(private readonly options: EngineServiceOptions = {}) {}

  get modelInfo(): ModelInfo | null {
    return this.loaded?.info ?? null;
  }

  /**
   * Loads a checkpoint and makes it the current model. The previous model stays usable until
   * the new one has loaded, so a bad file costs nothing but the error.
   */
  async load(
    path: string,
    options: { contextSize?: number; threads?: number; kvType?: KvType; device?: string; onProgress?: (p: LoadProgressInfo) => void } = {},
  ): Promise<ModelInfo> {
    this.loading?.abort();
    const abort = new AbortController();
    this.loading = abort;
    try {
      const model = await loadModel(path, {
        signal: abort.signal,
        onProgress: (p) => options.onProgress?.({ stage: p.stage, fraction: p.fraction }),
      });
      // A chosen context above max_position_embeddings is refused, as colm --context N is.
      let contextSize;
      let choice;
      let request;
      try {
        contextSize = model.contextPlan(options.contextSize, options.kvType).context;
        // auto (the default) keeps the CPU unless a verified CUDA backend has a GPU that fits and
        // the KV cache type is one CUDA keeps; an explicit CUDA device that cannot run the model
        // (or keep that cache type) fails the load, naming why.
        request = parseDevice(options.device ?? 'auto');
        choice = model.chooseDevice(request, { contextSize, kvType: options.kvType });
      } catch (error) {
        model.dispose();
        throw error;
      }
      await this.stopRunning();
      const session = model.createSession({ contextSize, threads: options.threads, kvType: options.kvType, device: choice.device });
      const info = {
        ...describeModel(model, session.contextSize, session.threads, session.kvType),
        weightType: await weightTypeOfFile(model.plan),
        device: session.device,
        deviceReason: choice.warning ? `${choice.reason}; ${choice.warning}` : choice.reason,
        deviceRequest: deviceRequestText(request),
      };
      this.disposeLoaded();
      this.loaded = { model, session, info };
      return info;
    } finally {
      if (this.loading === abort) this.loading = null;
    }
  }

  async unload(): Promise<void> {
    this.loading?.abort();
    await this.stopRunning();
    this.disposeLoaded();
  }

  /** 'auto' generations, the running one included, take `chains` from their next token on. */
  setAutoChains(chains: number): void {
    if (Number.isFinite(chains) && chains >= 1) this.autoChains = Math.round(chains);
  }

  /** Asks a running generation to stop; it ends with finishReason 'abort'. Unknown ids are ignored. */
  stop(requestId: string): void {
    if (this.running?.requestId === requestId) {
      this.running.abort.abort();
      return;
    }
    this.earlyStops.add(requestId);
    if (this.earlyStops.size > 64) this.earlyStops.delete(this.earlyStops.values().next().value!);
  }

  /**
   * Generates the assistant's next turn after `messages`, or, given `text`, continues that text as
   * it is (no chat template). A newer request stops an older one.
   */
  async generate(requestId: string, messages: ChatTurn[], settings: GenerationSettings, callbacks: GenerateCallbacks, text?: string): Promise<GenerationSummary> {
    await this.stopRunning();
    const loaded = this.loaded;
    if (!loaded) throw new Error('no model is loaded: load a checkpoint first');
    const abort = new AbortController();
    if (this.earlyStops.delete(requestId)) abort.abort();
    this.options.busy?.begin(loaded.info.device?.startsWith('cuda') === true || /cuda|gpu/i.test(loaded.info.kernels));
    const work = this.runGeneration(loaded, messages, settings, callbacks, abort.signal, text);
    this.running = { requestId, abort, finished: work.catch(() => undefined) };
    try {
      return await work;
    } finally {
      this.options.busy?.end();
      if (this.running?.requestId === requestId) this.running = null;
    }
  }

  dispose(): void {
    this.loading?.abort();
    this.running?.abort.abort();
    this.disposeLoaded();
  }

  private async runGeneration(
    { model, session, info }: Loaded,
    messages: ChatTurn[],
    settings: GenerationSettings,
    callbacks: GenerateCallbacks,
    signal: AbortSignal,
    text: string | undefined,
  ): Promise<GenerationSummary> {
    const n = model.chainCount;
    const chains =
      settings.chains === 'auto' ? followAutoChains(() => this.autoChains ?? n, n, info.kvSharing) : Math.min(n, Math.max(1, Math.round(settings.chains)));
    const contextSize = session.contextSize;
    const reserve = Math.min(settings.maxTokens, Math.floor(contextSize / 4));
    const { prompt, dropped } =
      text === undefined ? fitToContext(messages, contextSize, reserve, (m) => model.chatPrompt(m)) : { prompt: textPrompt(model, text), dropped: 0 };
    const options: GenerateOptions = {
      chains,
      maxTokens: settings.maxTokens,
      ...resolveSampling(settings, model.samplingDefaults),
      minP: settings.minP,
      seed: settings.seed ?? undefined,
      stopStrings: [...prompt.stopStrings, ...(settings.stop ?? [])],
      stopTokens: prompt.stopTokens,
      signal,
    };
    const batcher = new TokenBatcher(this.options.batchIntervalMs ?? 24, callbacks.onBatch);
    const delay = this.options.tokenDelayMs ?? 0;
    let generated = 0;
    let tokensPerSecond = 0;
    let prefillMs = 0;
    const stats = () => ({ tokensPerSecond, prefillMs, contextUsed: session.position, contextSize });

    const stream = session.generate(prompt.tokens, options);
    for (;;) {
      const next = await stream.next();
      if (next.done) {
        batcher.flush(stats());
        return {
          finishReason: next.value,
          promptTokens: prompt.tokens.length,
          droppedMessages: dropped,
          generatedTokens: generated,
          ...stats(),
        };
      }
      const t = next.value;
      if (t.token >= 0) {
        generated++;
        prefillMs = t.timings.prefillMs;
        if (t.timings.tokensPerSecond > 0) tokensPerSecond = t.timings.tokensPerSecond;
        batcher.push({ chains: t.chains, text: t.text }, t.text, stats());
        if (delay > 0) await sleep(delay);
      } else {
        batcher.push(null, t.text, stats());
      }
    }
  }

  private async stopRunning(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.abort.abort();
    await running.finished;
  }

  private disposeLoaded(): void {
    if (!this.loaded) return;
    this.loaded.session.dispose();
    this.loaded.model.dispose();
    this.loaded = null;
  }
}
