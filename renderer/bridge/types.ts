// The renderer's one door to the rest of the app. Browser mode implements it over HTTP and SSE
// (http-bridge.ts); the Electron shell over IPC (ipc-bridge.ts). Nothing in the UI knows which.
// Shapes come from the server's API types: type-only imports, no code from app/.
import type {
  AppState,
  ChatRequestBody,
  Conversation,
  ConversationSummary,
  ErrorInfo,
  ExportFormat,
  GenerationSummary,
  KvType,
  LibraryEntry,
  LoadProgressInfo,
  ModelInfo,
  PolicyView,
  RulesOutcome,
  ServerEvent,
  TokenBatch,
} from '../../app/server/api-types.js';

export type * from '../../app/server/api-types.js';

/** A file the user dropped or picked, with its path inside the dropped folder (or its name). */
export interface UploadFile {
  file: Blob;
  path: string;
}

export interface ChatHandlers {
  onStart(requestId: string): void;
  onTokens(batch: TokenBatch): void;
}

/** An error the other side reported: `name` tells a CheckpointError from a crash or a bad request. */
export class BridgeError extends Error {
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = info.name;
  }
}

/** How the engine runs a model: its session's context, threads, KV cache type and device; absent: the defaults. */
export interface SessionOptions {
  contextSize?: number;
  threads?: number;
  kvType?: KvType;
  /** 'auto' | 'cpu' | 'cuda:N'; absent: the face's default (colm serve --device), else auto. */
  device?: string;
}

/** navigator.getBattery() as read in the page; null where the page has no BatteryManager. */
export type BatteryReading = { level: number; charging: boolean } | null;

export interface ExportOutcome {
  saved: boolean; // false: the user cancelled
  where?: string; // the file's path (desktop) or name (browser download)
}

export interface Bridge {
  getState(): Promise<AppState>;
  /** Pushed state changes; returns the unsubscribe function. */
  subscribe(listener: (event: ServerEvent) => void): () => void;

  loadModelFromPath(path: string, onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo>;
  /** Loads dropped or picked files (one checkpoint file, or a folder's files). */
  uploadModel(files: UploadFile[], onProgress: (progress: LoadProgressInfo) => void, options?: SessionOptions): Promise<ModelInfo>;

  /** Streams the next assistant turn; resolves when it ends (stopped turns end with 'abort'). */
  chat(request: ChatRequestBody, handlers: ChatHandlers, signal?: AbortSignal): Promise<GenerationSummary>;
  stopChat(requestId: string): Promise<void>;

  listConversations(): Promise<ConversationSummary[]>;
  getConversation(id: string): Promise<Conversation | null>;
  saveConversation(conversation: Conversation): Promise<void>;
  deleteConversation(id: string): Promise<void>;
  /** Saves the stored conversation as a file: a download in a browser, a save dialog on the desktop. */
  exportConversation(id: string, format: ExportFormat): Promise<ExportOutcome>;
  /** Stores an exported JSON file's content as a new conversation and answers it. */
  importConversation(data: unknown): Promise<Conversation>;

  /** Models loaded before, most recent first. */
  listLibrary(): Promise<LibraryEntry[]>;
  removeFromLibrary(id: string): Promise<void>;

  /** The chain policy: Auto on (it decides) or off (the count in use stays pinned). */
  setChainAuto(auto: boolean): Promise<PolicyView | null>;
  /** Pins the chain count (Auto off). */
  setManualChains(chains: number): Promise<PolicyView | null>;
  /** Saves edited rules; problems come back in the outcome, not as a thrown error. */
  setPolicyRules(rules: unknown): Promise<RulesOutcome>;
  /**
   * Forwards the page's battery reading to the policy, where only the page can read it (the
   * desktop app: Chromium knows the battery, Electron's main process does not). Absent in browser
   * mode: the server reads the machine it runs on, which the page may not be.
   */
  reportBattery?(battery: BatteryReading): Promise<void>;
}
