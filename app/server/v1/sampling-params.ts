// The sampling fields OpenAI clients send, plus our extensions (top_k, min_p, repeat_penalty,
// chains), as the engine's GenerationSettings. Fields left out take the model's own values
// (generation_config.json), else the app's defaults, so the API samples as the chat window does.
import type { ChainSetting, GenerationSettings, ModelInfo } from '../../host/protocol.js';
import { DEFAULT_SETTINGS } from '../default-settings.js';
import { describeValue, given, optionalInteger, optionalNumber } from './fields.js';
import { invalidParam } from './openai-error.js';
import type { JsonObject } from './request-body.js';

export const MAX_STOP_STRINGS = 16;
const MAX_STOP_LENGTH = 1000;

/** Settings but for the chain count, which "auto" leaves to be decided when the generation starts. */
export interface SamplingRequest {
  settings: Omit<GenerationSettings, 'chains'>;
  chains: ChainSetting;
}

/**
 * `defaultMaxTokens` applies when neither max_tokens nor max_completion_tokens is given. Any
 * larger number is clamped to the model's context: generation ends when the context is full
 * anyway (finish_reason "length"), so a huge limit is no error.
 */
export function parseSampling(body: JsonObject, model: ModelInfo, defaultMaxTokens: number): SamplingRequest {
  const maxTokens = optionalInteger(body, 'max_completion_tokens', 1) ?? optionalInteger(body, 'max_tokens', 1) ?? defaultMaxTokens;
  const settings: Omit<GenerationSettings, 'chains'> = {
    temperature: optionalNumber(body, 'temperature', 0, 2) ?? DEFAULT_SETTINGS.temperature,
    topP: optionalNumber(body, 'top_p', 0, 1) ?? DEFAULT_SETTINGS.topP,
    topK: optionalInteger(body, 'top_k', 0, 1_000_000) ?? DEFAULT_SETTINGS.topK,
    minP: optionalNumber(body, 'min_p', 0, 1) ?? DEFAULT_SETTINGS.minP,
    repeatPenalty: parseRepeatPenalty(body),
    seed: parseSeed(body),
    maxTokens: Math.min(maxTokens, model.contextSize),
  };
  const stop = parseStop(body);
  if (stop.length > 0) settings.stop = stop;
  return { settings, chains: parseChains(body, model.chainCount) };
}

/**
 * The engine has one repetition penalty (llama.cpp's: logits of recent tokens divided by it), not
 * OpenAI's two additive ones. repeat_penalty sets it directly; otherwise the larger positive of
 * frequency_penalty and presence_penalty (0..2) maps to 1 + p/2, so 0 turns it off and 2 doubles
 * it. Negative penalties (to encourage repetition) have no equivalent and count as 0.
 */
function parseRepeatPenalty(body: JsonObject): number | null {
  const repeat = optionalNumber(body, 'repeat_penalty', 0.01, 100);
  const frequency = optionalNumber(body, 'frequency_penalty', -2, 2);
  const presence = optionalNumber(body, 'presence_penalty', -2, 2);
  if (repeat !== undefined) return repeat;
  if (frequency === undefined && presence === undefined) return DEFAULT_SETTINGS.repeatPenalty;
  return 1 + Math.max(0, frequency ?? 0, presence ?? 0) / 2;
}

/** Any integer is a seed (OpenAI's are 64-bit); the engine's are 32-bit, so it is taken modulo 2^32. */
function parseSeed(body: JsonObject): number | null {
  const seed = optionalInteger(body, 'seed', Number.MIN_SAFE_INTEGER);
  if (seed === undefined) return null;
  return ((seed % 2 ** 32) + 2 ** 32) % 2 ** 32;
}

function parseStop(body: JsonObject): string[] {
  if (!given(body, 'stop')) return [];
  const value = body.stop;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.some((s) => typeof s !== 'string')) {
    throw invalidParam('stop', `stop must be a string or an array of strings, got ${describeValue(value)}`, 'invalid_type');
  }
  if (list.length > MAX_STOP_STRINGS) throw invalidParam('stop', `stop holds at most ${MAX_STOP_STRINGS} strings, got ${list.length}`);
  if (list.some((s: string) => s.length > MAX_STOP_LENGTH)) throw invalidParam('stop', `each stop string is at most ${MAX_STOP_LENGTH} characters`);
  return (list as string[]).filter((s) => s.length > 0);
}

/** Our extension: how many of the model's nested chains run, or "auto" (the chain policy decides). */
function parseChains(body: JsonObject, chainCount: number): ChainSetting {
  if (!given(body, 'chains') || body.chains === 'auto') return 'auto';
  const chains = body.chains;
  if (typeof chains !== 'number' || !Number.isInteger(chains) || chains < 1 || chains > chainCount) {
    throw invalidParam('chains', `chains must be "auto" or an integer from 1 to ${chainCount} (this model's chain count), got ${describeValue(chains)}`);
  }
  return chains;
}
