// What a model's settings start as. Kept here (not imported from app/) because the renderer
// ships no code from the Node side; the server has its own defaults for requests that omit fields.
import type { GenerationSettings } from '../bridge/types.js';

export const DEFAULT_GENERATION: Readonly<GenerationSettings> = {
  chains: 'auto',
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  seed: null,
  maxTokens: 512,
};

export const DEFAULT_SYSTEM_PROMPT = '';

/** How the engine runs a model; null: let it choose (the model's context, a thread per core). */
export interface SessionSettings {
  contextSize: number | null;
  threads: number | null;
}

export const DEFAULT_SESSION: Readonly<SessionSettings> = { contextSize: null, threads: null };
