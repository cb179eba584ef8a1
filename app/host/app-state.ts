// What a face (the HTTP server, Electron's main process) tells its windows about the engine: the
// loaded model, a load in progress and the host process's health. Plain data, shared with the
// renderer through type-only imports.
import type { PolicyView } from './policy-view.js';
import type { DeviceSummary, HostStatus, LoadProgressInfo, ModelInfo } from './protocol.js';

export type { PolicyPoint, PolicyView, Rules, RulesOutcome } from './policy-view.js';

export interface AppState {
  model: ModelInfo | null;
  loading: { name: string; progress: LoadProgressInfo } | null;
  host: { status: HostStatus; restarts: number; message: string | null };
  version: string;
  /** The chain policy: its choice and reason, auto or pinned, the rules, the chart's history. */
  policy: PolicyView | null;
  /** The devices the engine host can run a model on (the settings' device choice); null until it has started. */
  devices: DeviceSummary | null;
}

/** Pushed to every window on each change. */
export type AppEvent = { type: 'state'; state: AppState } | { type: 'crashed'; message: string };
