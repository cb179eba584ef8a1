// OpenAI's sampling fields and our extensions as GenerationSettings: defaults, ranges, the
// penalty mapping, seeds, stop strings, chains and the max_tokens clamp.
import { describe, expect, test } from 'vitest';

import type { ModelInfo } from '../../../../app/host/protocol.js';
import { DEFAULT_SETTINGS } from '../../../../app/server/default-settings.js';
import { OpenAiError } from '../../../../app/server/v1/openai-error.js';
import { parseSampling } from '../../../../app/server/v1/sampling-params.js';

const model = { name: 'm.safetensors', chainCount: 4, contextSize: 256 } as ModelInfo;

function refusal(body: Record<string, unknown>): { param: string | null; message: string } {
  try {
    parseSampling(body, model, 100);
  } catch (error) {
    expect(error).toBeInstanceOf(OpenAiError);
    const e = error as OpenAiError;
    expect(e.status).toBe(400);
    return { param: e.param, message: e.message };
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('parseSampling', () => {
  test('fields left out (or null) take the app defaults and the given max tokens', () => {
    const { settings, chains } = parseSampling({ temperature: null, seed: null }, model, 100);
    expect(chains).toBe('auto');
    expect(settings).toEqual({
      temperature: DEFAULT_SETTINGS.temperature,
      topP: DEFAULT_SETTINGS.topP,
      topK: DEFAULT_SETTINGS.topK,
      minP: DEFAULT_SETTINGS.minP,
      repeatPenalty: DEFAULT_SETTINGS.repeatPenalty,
      seed: null,
      maxTokens: 100,
    });
  });

  test('OpenAI fields and our extensions are taken as given', () => {
    const { settings, chains } = parseSampling(
      { temperature: 0, top_p: 0.5, top_k: 7, min_p: 0.1, repeat_penalty: 1.3, seed: 42, max_tokens: 9, stop: ['\n\n', 'END'], chains: 2 },
      model,
      100,
    );
    expect(chains).toBe(2);
    expect(settings).toEqual({ temperature: 0, topP: 0.5, topK: 7, minP: 0.1, repeatPenalty: 1.3, seed: 42, maxTokens: 9, stop: ['\n\n', 'END'] });
  });

  test('max_completion_tokens wins over max_tokens; a huge one is clamped to the context', () => {
    expect(parseSampling({ max_tokens: 5, max_completion_tokens: 6 }, model, 100).settings.maxTokens).toBe(6);
    expect(parseSampling({ max_tokens: 1e12 }, model, 100).settings.maxTokens).toBe(256);
  });

  test('frequency and presence penalties map onto the one repeat penalty; repeat_penalty wins', () => {
    const penalty = (body: Record<string, unknown>) => parseSampling(body, model, 1).settings.repeatPenalty;
    expect(penalty({ frequency_penalty: 0 })).toBe(1);
    expect(penalty({ frequency_penalty: 2 })).toBe(2);
    expect(penalty({ presence_penalty: 0.4, frequency_penalty: 0.2 })).toBeCloseTo(1.2);
    expect(penalty({ frequency_penalty: -1 })).toBe(1);
    expect(penalty({ frequency_penalty: 2, repeat_penalty: 1.05 })).toBe(1.05);
  });

  test('any integer is a seed, taken modulo 2^32', () => {
    const seed = (value: number) => parseSampling({ seed: value }, model, 1).settings.seed;
    expect(seed(7)).toBe(7);
    expect(seed(2 ** 32 + 7)).toBe(7);
    expect(seed(-1)).toBe(2 ** 32 - 1);
  });

  test('a single stop string is a list of one; empty ones are dropped', () => {
    expect(parseSampling({ stop: 'END' }, model, 1).settings.stop).toEqual(['END']);
    expect(parseSampling({ stop: ['', 'x'] }, model, 1).settings.stop).toEqual(['x']);
    expect(parseSampling({ stop: [] }, model, 1).settings.stop).toBeUndefined();
  });

  test.each([
    [{ temperature: 'hot' }, 'temperature', /temperature must be a number, got "hot"/],
    [{ temperature: 3 }, 'temperature', /between 0 and 2/],
    [{ top_p: -0.1 }, 'top_p', /between 0 and 1/],
    [{ top_k: 1.5 }, 'top_k', /must be an integer/],
    [{ max_tokens: 0 }, 'max_tokens', /between 1 and/],
    [{ max_tokens: '10' }, 'max_tokens', /must be an integer/],
    [{ seed: 1.5 }, 'seed', /must be an integer/],
    [{ stop: 5 }, 'stop', /string or an array of strings/],
    [{ stop: ['a', 3] }, 'stop', /string or an array of strings/],
    [{ stop: Array(17).fill('x') }, 'stop', /at most 16/],
    [{ chains: 5 }, 'chains', /from 1 to 4/],
    [{ chains: 0 }, 'chains', /from 1 to 4/],
    [{ chains: 'all' }, 'chains', /"auto" or an integer/],
    [{ frequency_penalty: 3 }, 'frequency_penalty', /between -2 and 2/],
  ])('%j is refused, naming %s', (body, param, message) => {
    const r = refusal(body);
    expect(r.param).toBe(param);
    expect(r.message).toMatch(message);
  });
});
