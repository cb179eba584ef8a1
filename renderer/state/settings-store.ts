// Sampling settings, chain count and system prompt, kept per model (by name) in localStorage, so
// switching back to a model brings back how it was set up.
import { createStore, type StoreApi } from 'zustand/vanilla';

import type { GenerationSettings, ModelInfo } from '../bridge/types.js';
import { DEFAULT_GENERATION, DEFAULT_SYSTEM_PROMPT } from './default-settings.js';

export interface SettingsState {
  modelKey: string | null;
  generation: GenerationSettings;
  systemPrompt: string;
  /** Switches to the settings kept for `model` (defaults for a new one). */
  useModel(model: ModelInfo | null): void;
  update(patch: Partial<GenerationSettings>): void;
  setSystemPrompt(text: string): void;
  reset(): void;
}

export type SettingsStore = StoreApi<SettingsState>;

interface Saved {
  generation: GenerationSettings;
  systemPrompt: string;
}

const storageKey = (modelKey: string) => `colm.settings.${modelKey}`;

function readSaved(storage: Storage | null, modelKey: string): Saved | null {
  try {
    const raw = storage?.getItem(storageKey(modelKey));
    if (!raw) return null;
    const saved = JSON.parse(raw) as Partial<Saved>;
    return {
      generation: { ...DEFAULT_GENERATION, ...(saved.generation ?? {}) },
      systemPrompt: typeof saved.systemPrompt === 'string' ? saved.systemPrompt : DEFAULT_SYSTEM_PROMPT,
    };
  } catch {
    return null; // a damaged entry is as good as none
  }
}

/** A chain count the model has: settings saved for a bigger model, or a typo, are clamped. */
function fitChains(generation: GenerationSettings, model: ModelInfo | null): GenerationSettings {
  if (!model || generation.chains === 'auto') return generation;
  return { ...generation, chains: Math.min(model.chainCount, Math.max(1, Math.round(generation.chains))) };
}

export function createSettingsStore(storage: Storage | null = globalThis.localStorage ?? null): SettingsStore {
  let model: ModelInfo | null = null;
  const store = createStore<SettingsState>()((set, get) => {
    const save = () => {
      const { modelKey, generation, systemPrompt } = get();
      if (!modelKey) return;
      try {
        storage?.setItem(storageKey(modelKey), JSON.stringify({ generation, systemPrompt }));
      } catch {
        /* storage full or disabled: settings still work for this session */
      }
    };
    return {
      modelKey: null,
      generation: { ...DEFAULT_GENERATION },
      systemPrompt: DEFAULT_SYSTEM_PROMPT,
      useModel(next) {
        model = next;
        const modelKey = next?.name ?? null;
        if (modelKey === get().modelKey) {
          set({ generation: fitChains(get().generation, next) });
          return;
        }
        const saved = modelKey ? readSaved(storage, modelKey) : null;
        set({
          modelKey,
          generation: fitChains(saved?.generation ?? { ...get().generation }, next),
          systemPrompt: saved?.systemPrompt ?? get().systemPrompt,
        });
      },
      update(patch) {
        set({ generation: fitChains({ ...get().generation, ...patch }, model) });
        save();
      },
      setSystemPrompt(systemPrompt) {
        set({ systemPrompt });
        save();
      },
      reset() {
        set({ generation: fitChains({ ...DEFAULT_GENERATION }, model), systemPrompt: DEFAULT_SYSTEM_PROMPT });
        save();
      },
    };
  });
  return store;
}
