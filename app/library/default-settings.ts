// Settings for requests that leave a setting out. temperature, topK, topP and repeatPenalty are
// null: the model's generation_config.json decides, else the app's values (app/host/sampling.ts).
import type { GenerationSettings } from '../host/protocol.js';

export const DEFAULT_SETTINGS: Readonly<GenerationSettings> = {
  chains: 'auto',
  temperature: null,
  topK: null,
  topP: null,
  minP: 0.05,
  repeatPenalty: null,
  seed: null,
  maxTokens: 512,
};
