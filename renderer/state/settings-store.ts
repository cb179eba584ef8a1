// Sampling settings, chain count, system prompt and how the engine runs the model (context size,
// threads), kept per model (by name) in localStorage, so switching back to a model brings back
// how it was set up.
import { createStore, type StoreApi } from 'zustand/vanilla';

import type { GenerationSettings, KvType, ModelInfo, SessionOptions } from '../bridge/types.js';
import { DEFAULT_GENERATION, DEFAULT_SESSION, DEFAULT_SYSTEM_PROMPT, isDeviceSetting, KV_TYPE_CHOICES, type SessionSettings } from './default-settings.js';

export type { SessionSettings } from './default-settings.js';

export interface SettingsState {
  modelKey: string | null;
  generation: GenerationSettings;
  systemPrompt: string;
  /** Used when the model is (re)loaded: they size the engine's session. */
  session: SessionSettings;
  /** Switches to the settings kept for `model` (defaults for a new one). */
  useModel(model: ModelInfo | null): void;
  update(patch: Partial<GenerationSettings>): void;
  setSystemPrompt(text: string): void;
  updateSession(patch: Partial<SessionSettings>): void;
  /** What loading the model called `modelKey` should ask for: its saved session settings. */
  sessionFor(modelKey: string): SessionOptions;
  reset(): void;
}

export type SettingsStore = StoreApi<SettingsState>;

interface Saved {
  generation: GenerationSettings;
  systemPrompt: string;
  session: SessionSettings;
}

const positiveOrNull = (value: unknown): number | null => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : null);
const kvTypeOrNull = (value: unknown): KvType | null => (KV_TYPE_CHOICES.some((c) => c.value === value) ? (value as KvType) : null);

export function sessionOptions(session: SessionSettings): SessionOptions {
  const options: SessionOptions = {};
  if (session.contextSize !== null) options.contextSize = session.contextSize;
  if (session.threads !== null) options.threads = session.threads;
  if (session.kvType !== null) options.kvType = session.kvType;
  if (session.device !== null) options.device = session.device;
  return options;
}

const storageKey = (modelKey: string) => `colm.settings.${modelKey}`;

/** Version 2: sampling fields may be null (the model's own value). */
const SAVED_VERSION = 2;
/** What version 1 saved for fields the user never touched: those become unset, so the model's values apply. */
const VERSION_1_DEFAULTS = { temperature: 0.7, topK: 40, topP: 0.95, repeatPenalty: 1.1 } as const;

function forgetOldDefaults(generation: GenerationSettings): void {
  for (const field of Object.keys(VERSION_1_DEFAULTS) as Array<keyof typeof VERSION_1_DEFAULTS>) {
    if (generation[field] === VERSION_1_DEFAULTS[field]) generation[field] = null;
  }
}

function readSaved(storage: Storage | null, modelKey: string): Saved | null {
  try {
    const raw = storage?.getItem(storageKey(modelKey));
    if (!raw) return null;
    const saved = JSON.parse(raw) as Partial<Saved> & { version?: number };
    const generation = { ...DEFAULT_GENERATION, ...(saved.generation ?? {}) };
    if (saved.version !== SAVED_VERSION) forgetOldDefaults(generation);
    return {
      generation,
      systemPrompt: typeof saved.systemPrompt === 'string' ? saved.systemPrompt : DEFAULT_SYSTEM_PROMPT,
      session: {
        contextSize: positiveOrNull(saved.session?.contextSize),
        threads: positiveOrNull(saved.session?.threads),
        kvType: kvTypeOrNull(saved.session?.kvType),
        device: isDeviceSetting(saved.session?.device) ? saved.session.device : null,
      },
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
      const { modelKey, generation, systemPrompt, session } = get();
      if (!modelKey) return;
      try {
        storage?.setItem(storageKey(modelKey), JSON.stringify({ version: SAVED_VERSION, generation, systemPrompt, session }));
      } catch {
        /* storage full or disabled: settings still work for this session */
      }
    };
    return {
      modelKey: null,
      generation: { ...DEFAULT_GENERATION },
      systemPrompt: DEFAULT_SYSTEM_PROMPT,
      session: { ...DEFAULT_SESSION },
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
          // Engine settings belong to one model: a new model starts from its own defaults.
          session: saved?.session ?? { ...DEFAULT_SESSION },
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
      updateSession(patch) {
        set({ session: { ...get().session, ...patch } });
        save();
      },
      sessionFor(modelKey) {
        const session = modelKey === get().modelKey ? get().session : readSaved(storage, modelKey)?.session;
        return session ? sessionOptions(session) : {};
      },
      reset() {
        set({ generation: fitChains({ ...DEFAULT_GENERATION }, model), systemPrompt: DEFAULT_SYSTEM_PROMPT, session: { ...DEFAULT_SESSION } });
        save();
      },
    };
  });
  return store;
}
