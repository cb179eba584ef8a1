// Sampling defaults for requests that leave a setting out (the UI always sends all of them).
import type { GenerationSettings } from '../host/protocol.js';

export const DEFAULT_SETTINGS: Readonly<GenerationSettings> = {
  chains: 'auto',
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  repeatPenalty: 1.1,
  seed: null,
  maxTokens: 512,
};
