// The loaded model as the UI knows it, a load in progress (upload, read, map), the error panel's
// content when a load fails, and the engine host's health. The server pushes its own view
// (subscribe), so a model loaded by the command line or another window shows up here too.
import { createStore, type StoreApi } from 'zustand/vanilla';

import type { AppState, Bridge, DeviceSummary, HostStatus, LoadProgressInfo, ModelInfo, ServerEvent, SessionOptions, UploadFile } from '../bridge/types.js';

export interface LoadingState {
  name: string;
  progress: LoadProgressInfo;
}

export interface LoadErrorState {
  name: string; // what the user tried to load
  kind: string; // the error's name, e.g. CheckpointError
  message: string;
}

export interface ModelState {
  connected: boolean;
  model: ModelInfo | null;
  loading: LoadingState | null;
  error: LoadErrorState | null;
  host: { status: HostStatus; restarts: number; message: string | null };
  /** The devices the engine host can run a model on (the settings' device choice); null until known. */
  devices: DeviceSummary | null;
  /** Set when the engine died; cleared when the user dismisses it. */
  crashNotice: string | null;
  init(): Promise<void>;
  loadFiles(files: UploadFile[]): Promise<boolean>;
  loadPath(path: string): Promise<boolean>;
  /** Loads the current model again, with the session settings now saved for it. */
  reload(): Promise<boolean>;
  dismissError(): void;
  dismissCrash(): void;
  dispose(): void;
}

export type ModelStore = StoreApi<ModelState>;

export interface ModelStoreOptions {
  /** The context size and threads to load a model with, by its name (the settings kept for it). */
  sessionOptions?(modelName: string): SessionOptions;
  /** Every state the server sends, whole (the chain policy's store takes its part). */
  onServerState?(state: AppState): void;
}

function displayName(files: UploadFile[]): string {
  const first = files[0]?.path ?? 'checkpoint';
  return first.split('/')[0] ?? first;
}

export function createModelStore(bridge: Bridge, options: ModelStoreOptions = {}): ModelStore {
  const sessionFor = (name: string) => options.sessionOptions?.(name) ?? {};
  let unsubscribe: (() => void) | null = null;
  // While this window uploads, the server knows nothing of the load yet: its "no load" must not
  // hide our upload progress. Once the server reports a load, it is ours, and its stages show.
  let localLoads = 0;
  // The pushed stream is always newer than a snapshot fetched beside it: once a push arrived, a
  // late snapshot must not roll the state back.
  let pushed = false;

  return createStore<ModelState>()((set, get) => {
    const applyServerState = (state: AppState) => {
      options.onServerState?.(state);
      set({
        connected: true,
        model: state.model,
        host: state.host,
        devices: state.devices ?? null,
        ...(localLoads === 0 || state.loading ? { loading: state.loading } : {}),
      });
    };
    const onServerEvent = (event: ServerEvent) => {
      if (event.type === 'state') {
        pushed = true;
        applyServerState(event.state);
      }
      else set({ crashNotice: event.message });
    };
    const runLoad = async (name: string, load: (onProgress: (p: LoadProgressInfo) => void) => Promise<ModelInfo>): Promise<boolean> => {
      localLoads++;
      set({ error: null, loading: { name, progress: { stage: 'reading', fraction: 0 } } });
      try {
        const model = await load((progress) => set({ loading: { name, progress } }));
        set({ model });
        return true;
      } catch (error) {
        const e = error as Error;
        set({ error: { name, kind: e.name || 'Error', message: e.message } });
        return false;
      } finally {
        localLoads--;
        if (localLoads === 0) set({ loading: null });
      }
    };

    return {
      connected: false,
      model: null,
      loading: null,
      error: null,
      host: { status: 'starting', restarts: 0, message: null },
      devices: null,
      crashNotice: null,
      async init() {
        unsubscribe?.();
        unsubscribe = bridge.subscribe(onServerEvent);
        try {
          const snapshot = await bridge.getState();
          if (!pushed) applyServerState(snapshot);
        } catch (error) {
          set({ connected: false, host: { ...get().host, message: (error as Error).message } });
        }
      },
      loadFiles(files) {
        if (files.length === 0) return Promise.resolve(false);
        const name = displayName(files);
        return runLoad(name, (onProgress) => bridge.uploadModel(files, onProgress, sessionFor(name)));
      },
      loadPath(path) {
        const name = path.split(/[\\/]/).filter(Boolean).pop() ?? path;
        return runLoad(name, (onProgress) => bridge.loadModelFromPath(path, onProgress, sessionFor(name)));
      },
      reload() {
        const model = get().model;
        return model ? get().loadPath(model.path) : Promise.resolve(false);
      },
      dismissError() {
        set({ error: null });
      },
      dismissCrash() {
        set({ crashNotice: null });
      },
      dispose() {
        unsubscribe?.();
        unsubscribe = null;
      },
    };
  });
}
