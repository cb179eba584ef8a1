// What a checkpoint says about generation, beyond its weights (FORMAT.md "Tokenizer and
// generation"): the ids that end a reply, and the sampling values its authors chose. Every face
// (colm run/chat, the app's chat, /v1) reads them from here, so they cannot drift apart.
import { CheckpointError } from '../checkpoint/errors.js';
import type { ColmConfig } from '../checkpoint/types.js';

/** generation_config.json's sampling values; null where the file has none (or there is no file). */
export interface SamplingDefaults {
  temperature: number | null;
  topK: number | null;
  topP: number | null;
  repeatPenalty: number | null;
}

export const NO_SAMPLING_DEFAULTS: Readonly<SamplingDefaults> = { temperature: null, topK: null, topP: null, repeatPenalty: null };

type Json = Record<string, unknown>;

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/**
 * The sampling defaults of generation_config.json. A value outside what the sampler takes (a
 * negative temperature, top_p above 1) is no default at all: it is left out rather than guessed at.
 */
export function samplingDefaultsOf(generationConfig: Json | null): SamplingDefaults {
  const g = generationConfig ?? {};
  const temperature = isNumber(g.temperature) && g.temperature >= 0 ? g.temperature : null;
  const topK = isNumber(g.top_k) && Number.isInteger(g.top_k) && g.top_k >= 0 ? g.top_k : null;
  const topP = isNumber(g.top_p) && g.top_p > 0 && g.top_p <= 1 ? g.top_p : null;
  const repeatPenalty = isNumber(g.repetition_penalty) && g.repetition_penalty > 0 ? g.repetition_penalty : null;
  return { temperature, topK, topP, repeatPenalty };
}

/** generation_config.json's eos_token_id (an id or a list of ids), checked against the vocabulary. */
function generationEosIds(generationConfig: Json | null, vocabSize: number, file: string): number[] {
  const value = generationConfig?.eos_token_id;
  if (value === undefined || value === null) return [];
  const ids: unknown[] = Array.isArray(value) ? value : [value];
  return ids.map((id) => {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new CheckpointError(file, `must be a token id from 0 to ${vocabSize - 1} (or a list of them), got ${JSON.stringify(id)}`, { key: 'eos_token_id' });
    }
    return id;
  });
}

/**
 * The ids that end generation: the union of config.json's eos_token_id, generation_config.json's
 * eos_token_id and the tokenizer's eos token. Llama 3 Instruct names its end of turn, <|eot_id|>,
 * only in generation_config.json.
 */
export function stopTokenIdsOf(
  config: Pick<ColmConfig, 'eosTokenIds' | 'vocabSize'>,
  generationConfig: Json | null,
  tokenizer: { eosTokenIds: readonly number[] },
  generationConfigFile = 'generation_config.json',
): number[] {
  const ids = [...config.eosTokenIds, ...generationEosIds(generationConfig, config.vocabSize, generationConfigFile), ...tokenizer.eosTokenIds];
  return [...new Set(ids)];
}
