// A face's one piece of shared state: the engine host, what it has loaded or is loading, and the
// generations in flight. Every change is pushed to the listeners (the server's /api/events
// streams, Electron's windows), so every window shows the same model and the same engine status.
// Both faces use it; it knows nothing of HTTP or IPC.
import type { KvType } from '../engine/kv-type.js';
import type { AppEvent, AppState } from './app-state.js';
import type { GenerationStream } from './generation-stream.js';
import type { HostClient } from './host-client.js';
import type { PolicyDriver } from './policy-driver.js';
import type { RulesOutcome } from './policy-view.js';
import type { ChatTurn, GenerationSettings, LoadProgressInfo, ModelInfo } from './protocol.js';

export type { AppEvent, AppState } from './app-state.js';

export interface ModelLoadOptions {
  contextSize?: number;
  threads?: number;
  kvType?: KvType;
  /** 'auto' | 'cpu' | 'cuda' | 'cuda:N'; absent: the controller's device, else auto. */
  device?: string;
}

export interface AppControllerOptions {
  /**
   * Called after every load the user asked for (the faces keep their model library with it). The
   * load answers only once it settles, so a UI that reads the library after the load sees the entry.
   */
  onLoaded?(model: ModelInfo): void | Promise<void>;
  /** The chain policy ('auto' chains); its view joins the state, and its changes are pushed. */
  policy?: PolicyDriver;
  /** The context of loads that name none (colm serve --context N); absent: each model's default. */
  contextSize?: number;
  /** The KV cache type of loads that name none (colm serve --kv-type T); absent: bf16. */
  kvType?: KvType;
  /** The device of loads that name none (colm serve --device); absent: auto. */
  device?: string;
}

export class AppController {
  private loading: AppState['loading'] = null;
  private hostMessage: string | null = null;
  private readonly generations = new Map<string, GenerationStream>();
  private readonly listeners = new Set<(event: AppEvent) => void>();

  constructor(
    readonly host: HostClient,
    private readonly version: string,
    private readonly options: AppControllerOptions = {},
  ) {
    host.on((event) => {
      if (event.type === 'load') return; // the policy's business, not the windows'
      if (event.type === 'crashed') {
        this.hostMessage = event.message;
        this.emit({ type: 'crashed', message: event.message });
      } else if (event.type === 'status' && event.status === 'ready') {
        this.hostMessage = null;
      } else if (event.type === 'status' && event.message) {
        this.hostMessage = event.message;
      }
      this.emitState();
    });
    options.policy?.onUpdate(() => this.emitState());
  }

  state(): AppState {
    return {
      model: this.host.currentModel,
      loading: this.loading,
      host: { status: this.host.status, restarts: this.host.restartCount, message: this.hostMessage },
      version: this.version,
      policy: this.options.policy?.view() ?? null,
      devices: this.host.devices ?? null,
    };
  }

  /** Auto on: the chain policy decides; off: the count in use now stays until changed by hand. */
  setChainAuto(on: boolean): void {
    this.requirePolicy().setAuto(on);
  }

  /** Pins the chain count (auto off). */
  setManualChains(chains: number): void {
    this.requirePolicy().setManual(chains);
  }

  /** Checks and applies the user's rules, or answers what is wrong with them. */
  setPolicyRules(rules: unknown): RulesOutcome {
    return this.requirePolicy().setRules(rules);
  }

  /** Replays the simulated power script from its start; false when there is none. */
  restartPowerSimulation(): boolean {
    return this.options.policy?.restartSimulation() ?? false;
  }

  private requirePolicy(): PolicyDriver {
    if (!this.options.policy) throw new Error('the chain policy is not running here');
    return this.options.policy;
  }

  subscribe(listener: (event: AppEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(path: string, name: string, onProgress?: (p: LoadProgressInfo) => void, options: ModelLoadOptions = {}): Promise<ModelInfo> {
    this.setLoading({ name, progress: { stage: 'reading', fraction: 0 } });
    try {
      const model = await this.host.loadModel(path, {
        ...options,
        contextSize: options.contextSize ?? this.options.contextSize,
        kvType: options.kvType ?? this.options.kvType,
        device: options.device ?? this.options.device,
        onProgress: (progress) => {
          this.setLoading({ name, progress });
          onProgress?.(progress);
        },
      });
      await this.options.onLoaded?.(model);
      return model;
    } finally {
      this.setLoading(null);
    }
  }

  /** Shows an upload's progress as the first stage of loading. */
  reportUpload(name: string, fraction: number): void {
    this.setLoading({ name, progress: { stage: 'uploading', fraction } });
  }

  clearLoading(): void {
    this.setLoading(null);
  }

  chat(messages: ChatTurn[], settings: GenerationSettings): GenerationStream {
    const stream = this.host.generate(messages, settings);
    this.generations.set(stream.requestId, stream);
    stream.result.finally(() => this.generations.delete(stream.requestId)).catch(() => undefined);
    return stream;
  }

  /** True if the request was running and has been asked to stop. */
  async stop(requestId: string): Promise<boolean> {
    const stream = this.generations.get(requestId);
    if (!stream) return false;
    await stream.stop();
    return true;
  }

  private setLoading(loading: AppState['loading']): void {
    this.loading = loading;
    this.emitState();
  }

  private emitState(): void {
    this.emit({ type: 'state', state: this.state() });
  }

  private emit(event: AppEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
