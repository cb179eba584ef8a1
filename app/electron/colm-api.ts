// What the preload script puts on window.colm, and what travels over IPC for it. Types only, and
// only from files that are types only: the renderer imports this file (type-only) and must never
// pull Node or Electron code into its bundle.
import type { KvType } from '../engine/kv-type.js';
import type { AppEvent, AppState, PolicyView, RulesOutcome } from '../host/app-state.js';
import type { ChatTurn, ErrorInfo, GenerationSettings, GenerationSummary, LoadProgressInfo, ModelInfo, TokenBatch } from '../host/protocol.js';
import type { Conversation, ConversationSummary, ExportFormat } from '../library/conversation-types.js';
import type { LibraryEntry } from '../library/library-types.js';

/**
 * Every call answers data, never a thrown error: Electron would flatten a thrown error into a
 * message and lose its name, and the UI needs the name (CheckpointError, InvalidInput, ...).
 */
export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ErrorInfo };

export interface SessionOptions {
  contextSize?: number;
  threads?: number;
  kvType?: KvType;
  device?: string; // 'auto' | 'cpu' | 'cuda:N'
}

/** A file the user dropped or picked in the renderer, with its path inside a dropped folder. */
export interface PickedFile {
  file: File;
  path: string;
}

/** A picked file as it crosses IPC: the preload has turned the File into its place on disk. */
export interface PickedPath {
  absolutePath: string; // '' where the File is not backed by a file on disk
  path: string;
}

export interface LoadPathRequest {
  loadId: string; // names this load's progress events
  path: string;
  options?: SessionOptions;
}

export interface LoadFilesRequest {
  loadId: string;
  files: PickedFile[];
  options?: SessionOptions;
}

export interface LoadPathsMessage {
  loadId: string;
  files: PickedPath[];
  options?: SessionOptions;
}

export interface ChatRequest {
  chatId: string; // chosen by the renderer; names the stream's events and stops it
  messages: ChatTurn[];
  settings: GenerationSettings;
}

export interface ExportRequest {
  id: string;
  format: ExportFormat;
}

export interface ExportResult {
  saved: boolean; // false: the user cancelled the save dialog
  path?: string;
}

/** navigator.getBattery() as the renderer forwards it; null where the page has no BatteryManager. */
export type BatteryReport = { level: number; charging: boolean } | null;

/**
 * Pushed from main on one channel. A chat's tokens, its end and its failure all come this way,
 * in order, so the last batch can never arrive after the reply has been marked done.
 */
export type ColmEvent =
  | AppEvent
  | { type: 'loadProgress'; loadId: string; progress: LoadProgressInfo }
  | { type: 'chatTokens'; chatId: string; batch: TokenBatch }
  | { type: 'chatDone'; chatId: string; summary: GenerationSummary }
  | { type: 'chatError'; chatId: string; error: ErrorInfo };

/** window.colm: one method per IPC message, plus the subscription to pushed events. */
export interface ColmApi {
  getState(): Promise<IpcResult<AppState>>;
  loadModel(request: LoadPathRequest): Promise<IpcResult<ModelInfo>>;
  loadFiles(request: LoadFilesRequest): Promise<IpcResult<ModelInfo>>;
  /** Accepts the chat; its stream arrives as chatTokens, then chatDone or chatError. */
  chat(request: ChatRequest): Promise<IpcResult<null>>;
  stopChat(chatId: string): Promise<IpcResult<boolean>>;
  listConversations(): Promise<IpcResult<ConversationSummary[]>>;
  getConversation(id: string): Promise<IpcResult<Conversation | null>>;
  saveConversation(conversation: Conversation): Promise<IpcResult<null>>;
  deleteConversation(id: string): Promise<IpcResult<null>>;
  exportConversation(request: ExportRequest): Promise<IpcResult<ExportResult>>;
  importConversation(data: unknown): Promise<IpcResult<Conversation>>;
  listLibrary(): Promise<IpcResult<LibraryEntry[]>>;
  removeFromLibrary(id: string): Promise<IpcResult<null>>;
  /** The chain policy: Auto on or off (off pins the count in use), a pinned count, the rules. */
  setChainAuto(auto: boolean): Promise<IpcResult<PolicyView | null>>;
  setManualChains(chains: number): Promise<IpcResult<PolicyView | null>>;
  setPolicyRules(rules: unknown): Promise<IpcResult<RulesOutcome>>;
  /** The renderer's battery reading, for the policy (Chromium reads it; main cannot). */
  reportBattery(battery: BatteryReport): Promise<IpcResult<null>>;
  /** Returns the function that ends the subscription. */
  onEvent(listener: (event: ColmEvent) => void): () => void;
}

/** The methods that are IPC calls (all but the subscription). */
export type ColmInvokeMethod = Exclude<keyof ColmApi, 'onEvent'>;
