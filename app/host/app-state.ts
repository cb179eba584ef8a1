// What a face (the HTTP server, Electron's main process) tells its windows about the engine: the
// loaded model, a load in progress and the host process's health. Plain data, shared with the
// renderer through type-only imports.
import type { HostStatus, LoadProgressInfo, ModelInfo } from './protocol.js';

export interface AppState {
  model: ModelInfo | null;
  loading: { name: string; progress: LoadProgressInfo } | null;
  host: { status: HostStatus; restarts: number; message: string | null };
  version: string;
}

/** Pushed to every window on each change. */
export type AppEvent = { type: 'state'; state: AppState } | { type: 'crashed'; message: string };
