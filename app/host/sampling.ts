// Which sampling value a generation uses: the user's, else the model's own (generation_config.json),
// else the app's. The renderer shows the same order in its settings panel ("0.6 (model default)").
import type { GenerationSettings, SamplingDefaults } from './protocol.js';

/** The app's values, for a model whose generation_config.json says nothing. */
export const APP_SAMPLING: Readonly<Record<keyof SamplingDefaults, number>> = {
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  repeatPenalty: 1.1,
};

export interface ResolvedSampling {
  temperature: number;
  topK: number;
  topP: number;
  repeatPenalty: number;
}

export function resolveSampling(settings: Pick<GenerationSettings, keyof SamplingDefaults>, model: SamplingDefaults): ResolvedSampling {
  return {
    temperature: settings.temperature ?? model.temperature ?? APP_SAMPLING.temperature,
    topK: settings.topK ?? model.topK ?? APP_SAMPLING.topK,
    topP: settings.topP ?? model.topP ?? APP_SAMPLING.topP,
    repeatPenalty: settings.repeatPenalty ?? model.repeatPenalty ?? APP_SAMPLING.repeatPenalty,
  };
}
