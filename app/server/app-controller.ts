// The server's one piece of shared state: the engine host, what it has loaded or is loading, and
// the generations in flight. Every change is pushed to the listeners (the /api/events streams),
// so every open window shows the same model and the same engine status.
import type { AppState, ServerEvent } from './api-types.js';
import type { GenerationStream } from '../host/generation-stream.js';
import type { HostClient } from '../host/host-client.js';
import type { ChatTurn, GenerationSettings, LoadProgressInfo, ModelInfo } from '../host/protocol.js';

export class AppController {
  private loading: AppState['loading'] = null;
  private hostMessage: string | null = null;
  private readonly generations = new Map<string, GenerationStream>();
  private readonly listeners = new Set<(event: ServerEvent) => void>();

  constructor(
    readonly host: HostClient,
    private readonly version: string,
  ) {
    host.on((event) => {
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
  }

  state(): AppState {
    return {
      model: this.host.currentModel,
      loading: this.loading,
      host: { status: this.host.status, restarts: this.host.restartCount, message: this.hostMessage },
      version: this.version,
    };
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async load(path: string, name: string, onProgress?: (p: LoadProgressInfo) => void): Promise<ModelInfo> {
    this.setLoading({ name, progress: { stage: 'reading', fraction: 0 } });
    try {
      return await this.host.loadModel(path, {
        onProgress: (progress) => {
          this.setLoading({ name, progress });
          onProgress?.(progress);
        },
      });
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

  private emit(event: ServerEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
