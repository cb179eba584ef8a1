// The Bridge over Electron IPC: window.colm, which the preload script exposes. Calls answer an
// IpcResult (an error keeps its name); streams (load progress, a chat's tokens and its end)
// arrive as events on one subscription and are routed here by the id this side chose.
import type { ColmApi, ColmEvent, IpcResult } from '../../app/electron/colm-api.js';
import { newId } from '../state/ids.js';
import {
  BridgeError,
  type AppState,
  type BatteryReading,
  type Bridge,
  type ChatHandlers,
  type ChatRequestBody,
  type Conversation,
  type ConversationSummary,
  type ExportFormat,
  type ExportOutcome,
  type GenerationSummary,
  type LibraryEntry,
  type LoadProgressInfo,
  type ModelInfo,
  type PolicyView,
  type RulesOutcome,
  type ServerEvent,
  type SessionOptions,
  type UploadFile,
} from './types.js';

declare global {
  interface Window {
    /** Present only inside the desktop app (app/electron/preload.ts). */
    colm?: ColmApi;
  }
}

async function unwrap<T>(call: Promise<IpcResult<T>>): Promise<T> {
  const result = await call;
  if (result.ok) return result.value;
  throw new BridgeError(result.error);
}

interface RunningChat {
  handlers: ChatHandlers;
  resolve(summary: GenerationSummary): void;
  reject(error: Error): void;
}

export class IpcBridge implements Bridge {
  private readonly listeners = new Set<(event: ServerEvent) => void>();
  private readonly loads = new Map<string, (progress: LoadProgressInfo) => void>();
  private readonly chats = new Map<string, RunningChat>();

  constructor(private readonly colm: ColmApi) {
    colm.onEvent((event) => this.dispatch(event));
  }

  private dispatch(event: ColmEvent): void {
    switch (event.type) {
      case 'state':
      case 'crashed':
        for (const listener of this.listeners) listener(event);
        return;
      case 'loadProgress':
        this.loads.get(event.loadId)?.(event.progress);
        return;
      case 'chatTokens':
        this.chats.get(event.chatId)?.handlers.onTokens(event.batch);
        return;
      case 'chatDone':
      case 'chatError': {
        const chat = this.chats.get(event.chatId);
        if (!chat) return;
        this.chats.delete(event.chatId);
        if (event.type === 'chatDone') chat.resolve(event.summary);
        else chat.reject(new BridgeError(event.error));
        return;
      }
    }
  }

  getState(): Promise<AppState> {
    return unwrap(this.colm.getState());
  }

  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs one load with its progress routed to `onProgress` until it ends (later events are dropped). */
  private async load(onProgress: (progress: LoadProgressInfo) => void, start: (loadId: string) => Promise<IpcResult<ModelInfo>>): Promise<ModelInfo> {
    const loadId = newId();
    this.loads.set(loadId, onProgress);
    try {
      return await unwrap(start(loadId));
    } finally {
      this.loads.delete(loadId);
    }
  }

  loadModelFromPath(path: string, onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    return this.load(onProgress, (loadId) => this.colm.loadModel({ loadId, path, options }));
  }

  uploadModel(files: UploadFile[], onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo> {
    // Nothing is copied on the desktop: the preload reads each File's place on disk.
    const picked = files.map((f) => ({ file: f.file as File, path: f.path }));
    return this.load(onProgress, (loadId) => this.colm.loadFiles({ loadId, files: picked, options }));
  }

  chat(request: ChatRequestBody, handlers: ChatHandlers, signal?: AbortSignal): Promise<GenerationSummary> {
    const chatId = newId();
    const stop = () => void this.colm.stopChat(chatId);
    const done = new Promise<GenerationSummary>((resolve, reject) => {
      this.chats.set(chatId, { handlers, resolve, reject });
      // Sent before onStart runs, so a stop the handler sends at once arrives after the chat.
      unwrap(this.colm.chat({ chatId, messages: request.messages, settings: request.settings })).catch((error: Error) => {
        this.chats.delete(chatId);
        reject(error);
      });
      handlers.onStart(chatId);
      if (signal?.aborted) stop();
      else signal?.addEventListener('abort', stop, { once: true });
    });
    return done.finally(() => signal?.removeEventListener('abort', stop));
  }

  async stopChat(requestId: string): Promise<void> {
    await unwrap(this.colm.stopChat(requestId));
  }

  listConversations(): Promise<ConversationSummary[]> {
    return unwrap(this.colm.listConversations());
  }

  getConversation(id: string): Promise<Conversation | null> {
    return unwrap(this.colm.getConversation(id));
  }

  async saveConversation(conversation: Conversation): Promise<void> {
    await unwrap(this.colm.saveConversation(conversation));
  }

  async deleteConversation(id: string): Promise<void> {
    await unwrap(this.colm.deleteConversation(id));
  }

  async exportConversation(id: string, format: ExportFormat): Promise<ExportOutcome> {
    const result = await unwrap(this.colm.exportConversation({ id, format }));
    return result.path === undefined ? { saved: result.saved } : { saved: result.saved, where: result.path };
  }

  importConversation(data: unknown): Promise<Conversation> {
    return unwrap(this.colm.importConversation(data));
  }

  listLibrary(): Promise<LibraryEntry[]> {
    return unwrap(this.colm.listLibrary());
  }

  async removeFromLibrary(id: string): Promise<void> {
    await unwrap(this.colm.removeFromLibrary(id));
  }

  setChainAuto(auto: boolean): Promise<PolicyView | null> {
    return unwrap(this.colm.setChainAuto(auto));
  }

  setManualChains(chains: number): Promise<PolicyView | null> {
    return unwrap(this.colm.setManualChains(chains));
  }

  setPolicyRules(rules: unknown): Promise<RulesOutcome> {
    return unwrap(this.colm.setPolicyRules(rules));
  }

  async reportBattery(battery: BatteryReading): Promise<void> {
    await unwrap(this.colm.reportBattery(battery));
  }
}
