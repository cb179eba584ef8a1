// The parent's side of the engine host: starts the host process, pairs requests with replies,
// routes token streams, and survives the host's death. When the host dies, whatever was in flight
// fails with HostCrashedError, a new host is started and the last model is loaded again; the
// conversation lives in the parent (and the UI), so nothing of it is lost. How the process is
// started is injected (host-process.ts): child_process under Node, utilityProcess under Electron.
import { randomUUID } from 'node:crypto';

import type { KvType } from '../engine/kv-type.js';
import { GenerationStream } from './generation-stream.js';
import { defaultHostEntry } from './host-entry.js';
import { forkHost, type HostExit, type HostProcess, type HostSpawner } from './host-process.js';
import {
  isHostEvent,
  type ChatTurn,
  type DeviceSummary,
  type EngineLoadReport,
  type ErrorInfo,
  type GenerationSettings,
  type HostEvent,
  type HostRequest,
  type HostResultValue,
  type HostStatus,
  type LoadProgressInfo,
  type ModelInfo,
} from './protocol.js';

export type { HostStatus } from './protocol.js';

export type HostClientEvent =
  | { type: 'status'; status: HostStatus; message?: string }
  | { type: 'crashed'; message: string }
  | { type: 'modelChanged'; model: ModelInfo | null }
  | { type: 'load'; load: EngineLoadReport };

export class HostCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostCrashedError';
  }
}

/** An error the host reported, with the name it had there (CheckpointError, RangeError, ...). */
export class HostError extends Error {
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = info.name;
  }
}

export interface HostClientOptions {
  entry?: string; // the compiled engine-host.js; default: defaultHostEntry()
  env?: Record<string, string>; // added to this process's environment for the host
  /** How the host process is started; default: child_process.fork. */
  spawn?: HostSpawner;
  /** Crashes allowed within `crashWindowMs` before the client gives up restarting. */
  maxCrashes?: number;
  crashWindowMs?: number;
}

interface Pending {
  resolve: (value: HostResultValue) => void;
  reject: (error: Error) => void;
  onProgress?: (progress: LoadProgressInfo) => void;
}

type RequestBody = HostRequest extends infer R ? (R extends HostRequest ? Omit<R, 'id'> : never) : never;

export class HostClient {
  private child: HostProcess | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private streams = new Map<string, GenerationStream>();
  private listeners = new Set<(event: HostClientEvent) => void>();
  /** Resolves when a host is up and, after a crash, has the last model again. */
  private gate: Promise<void> = Promise.resolve();
  private lastLoad: { path: string; contextSize?: number; threads?: number; kvType?: KvType; device?: string } | null = null;
  private model: ModelInfo | null = null;
  private deviceList: DeviceSummary | null = null;
  private crashTimes: number[] = [];
  private disposed = false;
  private state: HostStatus = 'stopped';
  private restarts = 0;
  /** The chain policy's count for 'auto' generations; sent again to every new host process. */
  private autoChains: number | null = null;
  /** The process that has said 'ready' (requests sent earlier could be lost under utilityProcess). */
  private readyChild: HostProcess | null = null;

  constructor(private readonly options: HostClientOptions = {}) {}

  get status(): HostStatus {
    return this.state;
  }

  get currentModel(): ModelInfo | null {
    return this.model;
  }

  /** The devices the host can run a model on (its 'ready' event); null until it has said. */
  get devices(): DeviceSummary | null {
    return this.deviceList;
  }

  /** How many times the host was restarted after dying. */
  get restartCount(): number {
    return this.restarts;
  }

  /** The host's process id (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  on(listener: (event: HostClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.child) return this.gate;
    this.gate = this.spawn().then(() => this.setStatus('ready'));
    return this.gate;
  }

  async loadModel(
    path: string,
    options: { contextSize?: number; threads?: number; kvType?: KvType; device?: string; onProgress?: (p: LoadProgressInfo) => void } = {},
  ): Promise<ModelInfo> {
    await this.ready();
    const { onProgress, ...rest } = options;
    const info = (await this.request({ type: 'loadModel', path, ...rest }, onProgress)) as ModelInfo;
    this.lastLoad = { path, ...rest };
    this.setModel(info);
    return info;
  }

  async unloadModel(): Promise<void> {
    await this.ready();
    await this.request({ type: 'unloadModel' });
    this.lastLoad = null;
    this.setModel(null);
  }

  async modelInfo(): Promise<ModelInfo | null> {
    await this.ready();
    return (await this.request({ type: 'modelInfo' })) as ModelInfo | null;
  }

  /** Starts the assistant's next turn; iterate the stream for token batches, await `result` for the end. */
  generate(messages: ChatTurn[], settings: GenerationSettings): GenerationStream {
    return this.startGeneration(messages, settings, undefined);
  }

  /** Continues plain `text` as it is, without the chat template (the OpenAI API's /v1/completions). */
  complete(text: string, settings: GenerationSettings): GenerationStream {
    return this.startGeneration([], settings, text);
  }

  private startGeneration(messages: ChatTurn[], settings: GenerationSettings, text: string | undefined): GenerationStream {
    const stream = new GenerationStream(randomUUID(), (id) => this.stop(id));
    this.streams.set(stream.requestId, stream);
    const body = text === undefined ? { messages, settings } : { messages, settings, text };
    this.ready()
      .then(() => this.request({ type: 'generate', requestId: stream.requestId, ...body }))
      .catch((error: Error) => {
        this.streams.delete(stream.requestId);
        stream.fail(error);
      });
    return stream;
  }

  /**
   * What 'auto' generations run with from their next token (the chain policy's count). Kept here
   * too, so a host restarted after a crash follows the policy from its first token.
   */
  setAutoChains(chains: number): void {
    if (this.autoChains === chains) return;
    this.autoChains = chains;
    this.pushAutoChains();
  }

  async stop(requestId: string): Promise<void> {
    if (!this.streams.has(requestId) || !this.child) return;
    await this.request({ type: 'stop', requestId });
  }

  /** Ends the host for good (no restart). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    this.child = null;
    this.setStatus('stopped');
    this.failInFlight(new HostCrashedError('the engine was shut down'));
    if (!child || child.exited) return;
    await new Promise<void>((resolve) => {
      child.onExit(() => resolve());
      child.kill();
    });
  }

  // -------------------------------------------------------------------------------------------

  private async ready(): Promise<void> {
    if (this.disposed) throw new HostCrashedError('the engine was shut down');
    if (!this.child && this.state === 'stopped') await this.start();
    await this.gate;
    if (this.state === 'failed') throw new HostCrashedError('the engine process keeps crashing; restart CoLM Desktop');
  }

  private request(body: RequestBody, onProgress?: (p: LoadProgressInfo) => void): Promise<HostResultValue> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new HostCrashedError('the engine process is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      child.send({ ...body, id } as HostRequest, (error) => {
        this.pending.delete(id);
        reject(new HostCrashedError(`could not reach the engine process: ${error.message}`));
      });
    });
  }

  private pushAutoChains(): void {
    if (this.autoChains === null || !this.readyChild || this.readyChild !== this.child) return;
    // A host that dies meanwhile is restarted and told again; nothing to do about this failure.
    this.request({ type: 'setAutoChains', chains: this.autoChains }).catch(() => undefined);
  }

  private spawn(): Promise<void> {
    this.setStatus(this.restarts > 0 ? 'restarting' : 'starting');
    const spawn = this.options.spawn ?? forkHost;
    const child = spawn(this.options.entry ?? defaultHostEntry(), { ...process.env, ...this.options.env });
    this.child = child;
    const started = new Promise<void>((resolve, reject) => {
      const offReady = child.onMessage((message) => {
        if (isHostEvent(message) && message.type === 'ready') {
          offReady();
          this.readyChild = child;
          if (message.devices) this.deviceList = message.devices;
          // Before anything else is asked of it, so its first 'auto' token already follows the policy.
          this.pushAutoChains();
          resolve();
        }
      });
      child.onExit(() => reject(new HostCrashedError('the engine process exited while starting')));
    });
    child.onMessage((message) => {
      if (child === this.child && isHostEvent(message)) this.onEvent(message);
    });
    child.onExit((exit) => this.onExit(child, exit));
    return started;
  }

  private onEvent(event: HostEvent): void {
    switch (event.type) {
      case 'ready':
        return;
      case 'load':
        this.emit({ type: 'load', load: event.load });
        return;
      case 'loadProgress':
        this.pending.get(event.id)?.onProgress?.(event.progress);
        return;
      case 'result':
      case 'error': {
        const pending = this.pending.get(event.id);
        if (!pending) return;
        this.pending.delete(event.id);
        if (event.type === 'result') pending.resolve(event.value);
        else pending.reject(new HostError(event.error));
        return;
      }
      case 'tokens':
        this.streams.get(event.requestId)?.push(event.batch);
        return;
      case 'done':
      case 'generateError': {
        const stream = this.streams.get(event.requestId);
        if (!stream) return;
        this.streams.delete(event.requestId);
        if (event.type === 'done') stream.finish(event.summary);
        else stream.fail(new HostError(event.error));
        return;
      }
    }
  }

  private onExit(child: HostProcess, { code, signal }: HostExit): void {
    if (child !== this.child || this.disposed) return;
    this.child = null;
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const message = `the engine process ${how}; restarting it`;
    this.failInFlight(new HostCrashedError(message));
    this.emit({ type: 'crashed', message });

    const now = Date.now();
    const window = this.options.crashWindowMs ?? 60_000;
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < window), now];
    if (this.crashTimes.length > (this.options.maxCrashes ?? 3)) {
      this.setStatus('failed', 'the engine process keeps crashing');
      return;
    }
    this.restarts++;
    this.gate = this.spawn()
      .then(() => this.restoreModel())
      .then(() => this.setStatus('ready'));
    this.gate.catch(() => undefined);
  }

  /** After a restart: the model that was loaded before the crash, loaded again. */
  private async restoreModel(): Promise<void> {
    const last = this.lastLoad;
    if (!last) {
      this.setModel(null);
      return;
    }
    try {
      this.setModel((await this.request({ type: 'loadModel', ...last })) as ModelInfo);
    } catch {
      this.lastLoad = null;
      this.setModel(null);
    }
  }

  private failInFlight(error: Error): void {
    const pending = [...this.pending.values()];
    const streams = [...this.streams.values()];
    this.pending.clear();
    this.streams.clear();
    for (const p of pending) p.reject(error);
    for (const s of streams) s.fail(error);
  }

  private setModel(model: ModelInfo | null): void {
    this.model = model;
    this.emit({ type: 'modelChanged', model });
  }

  private setStatus(status: HostStatus, message?: string): void {
    this.state = status;
    this.emit(message === undefined ? { type: 'status', status } : { type: 'status', status, message });
  }

  private emit(event: HostClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
