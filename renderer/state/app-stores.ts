// The three stores of one window, wired to one bridge: the chat reads the settings and the model
// name when a reply starts, and the settings follow the loaded model.
import type { Bridge } from '../bridge/types.js';
import { createChatStore, type ChatStore } from './chat-store.js';
import { createModelStore, type ModelStore } from './model-store.js';
import { createSettingsStore, type SettingsStore } from './settings-store.js';

export interface AppStores {
  bridge: Bridge;
  model: ModelStore;
  settings: SettingsStore;
  chat: ChatStore;
  /** Connects to the bridge and reads what is saved; returns a function that disconnects. */
  start(): Promise<() => void>;
}

export function createAppStores(bridge: Bridge, storage: Storage | null = globalThis.localStorage ?? null): AppStores {
  const model = createModelStore(bridge);
  const settings = createSettingsStore(storage);
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
    async start() {
      const unfollow = model.subscribe((state, previous) => {
        if (state.model !== previous.model) settings.getState().useModel(state.model);
      });
      await Promise.all([model.getState().init(), chat.getState().init()]);
      settings.getState().useModel(model.getState().model);
      return () => {
        unfollow();
        model.getState().dispose();
      };
    },
  };
}
