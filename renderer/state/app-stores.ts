// The stores of one window, wired to one bridge: the chat reads the settings and the model name
// when a reply starts, the settings follow the loaded model (and size its session when it loads),
// and the library is read again after each load.
import type { Bridge } from '../bridge/types.js';
import { createChatStore, type ChatStore } from './chat-store.js';
import { createLibraryStore, type LibraryStore } from './library-store.js';
import { createModelStore, type ModelStore } from './model-store.js';
import { createSettingsStore, type SettingsStore } from './settings-store.js';

export interface AppStores {
  bridge: Bridge;
  model: ModelStore;
  settings: SettingsStore;
  chat: ChatStore;
  library: LibraryStore;
  /** Connects to the bridge and reads what is saved; returns a function that disconnects. */
  start(): Promise<() => void>;
}

export function createAppStores(bridge: Bridge, storage: Storage | null = globalThis.localStorage ?? null): AppStores {
  const settings = createSettingsStore(storage);
  const model = createModelStore(bridge, { sessionOptions: (name) => settings.getState().sessionFor(name) });
  const library = createLibraryStore(bridge, (path) => model.getState().loadPath(path));
  const chat = createChatStore({
    bridge,
    storage,
    generation: () => ({ settings: settings.getState().generation, systemPrompt: settings.getState().systemPrompt }),
    modelName: () => model.getState().model?.name ?? null,
  });
  return {
    bridge,
    model,
    settings,
    chat,
    library,
    async start() {
      const unfollow = model.subscribe((state, previous) => {
        if (state.model === previous.model) return;
        settings.getState().useModel(state.model);
        // Pushed states bring a new object each time; only another model changes the library.
        if (state.model?.path !== previous.model?.path) void library.getState().refresh();
      });
      await Promise.all([model.getState().init(), chat.getState().init(), library.getState().refresh()]);
      settings.getState().useModel(model.getState().model);
      return () => {
        unfollow();
        model.getState().dispose();
      };
    },
  };
}
