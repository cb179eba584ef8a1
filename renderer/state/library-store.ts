// The model library: the models loaded before, most recent first, read through the bridge. It is
// read again whenever the loaded model changes (a load adds or refreshes an entry).
import { createStore, type StoreApi } from 'zustand/vanilla';

import type { Bridge, LibraryEntry } from '../bridge/types.js';

export interface LibraryState {
  entries: LibraryEntry[];
  error: string | null;
  refresh(): Promise<void>;
  /** Loads a library model as if it had been opened again. */
  load(entry: LibraryEntry): Promise<boolean>;
  remove(id: string): Promise<void>;
  dismissError(): void;
}

export type LibraryStore = StoreApi<LibraryState>;

export function createLibraryStore(bridge: Bridge, loadPath: (path: string) => Promise<boolean>): LibraryStore {
  return createStore<LibraryState>()((set, get) => ({
    entries: [],
    error: null,
    async refresh() {
      try {
        set({ entries: await bridge.listLibrary() });
      } catch (error) {
        set({ error: `could not read the model library: ${(error as Error).message}` });
      }
    },
    async load(entry) {
      const ok = await loadPath(entry.path);
      await get().refresh();
      return ok;
    },
    async remove(id) {
      try {
        await bridge.removeFromLibrary(id);
        set({ entries: get().entries.filter((e) => e.id !== id), error: null });
      } catch (error) {
        set({ error: `could not remove the model: ${(error as Error).message}` });
      }
    },
    dismissError() {
      set({ error: null });
    },
  }));
}
