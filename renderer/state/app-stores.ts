// The stores of one window, wired to one bridge: the chat reads the settings and the model name
// when a reply starts, the settings follow the loaded model (and size its session when it loads),
// the library is read again after each load, and the chain policy hears this window's choice for
// the model (Auto, or the count kept for it) whenever the model changes.
import type { Bridge } from '../bridge/types.js';
import { createChatStore, type ChatStore } from './chat-store.js';
import { createLibraryStore, type LibraryStore } from './library-store.js';
import { forwardBattery } from '../power/battery-forwarder.js';
import { createModelStore, type ModelStore } from './model-store.js';
import { createPolicyStore, type PolicyStore } from './policy-store.js';
import { createSettingsStore, type SettingsStore } from './settings-store.js';

export interface AppStores {
  bridge: Bridge;
  model: ModelStore;
  settings: SettingsStore;
  chat: ChatStore;
  library: LibraryStore;
  policy: PolicyStore;
  /** Connects to the bridge and reads what is saved; returns a function that disconnects. */
  start(): Promise<() => void>;
}

export function createAppStores(bridge: Bridge, storage: Storage | null = globalThis.localStorage ?? null): AppStores {
  const settings = createSettingsStore(storage);
  const policy = createPolicyStore(bridge);
  const model = createModelStore(bridge, {
    sessionOptions: (name) => settings.getState().sessionFor(name),
    onServerState: (state) => policy.getState().receive(state.policy ?? null),
  });
  // The chain choice kept for this model becomes the policy's: Auto, or the pinned count. Told
  // when the model changes, so the reason badge and /v1's "auto" agree with this window.
  const tellPolicy = () => {
    if (!model.getState().model) return;
    const chains = settings.getState().generation.chains;
    void (chains === 'auto' ? policy.getState().setAuto(true) : policy.getState().setManual(chains));
  };
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
    policy,
    async start() {
      const unfollow = model.subscribe((state, previous) => {
        // A load that ended (here or in another window) may have added a library entry.
        if (previous.loading !== null && state.loading === null) void library.getState().refresh();
        if (state.model === previous.model) return;
        settings.getState().useModel(state.model);
        // Pushed states bring a new object each time; only another model changes the library.
        if (state.model?.path !== previous.model?.path) {
          void library.getState().refresh();
          tellPolicy();
        }
      });
      await Promise.all([model.getState().init(), chat.getState().init(), library.getState().refresh()]);
      settings.getState().useModel(model.getState().model);
      tellPolicy();
      const stopBattery = forwardBattery(bridge);
      return () => {
        unfollow();
        stopBattery();
        model.getState().dispose();
      };
    },
  };
}
