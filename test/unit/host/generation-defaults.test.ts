// FORMAT.md "Tokenizer and generation": stop ids from config, generation_config and tokenizer, and
// generation_config's sampling values as defaults that a user's own value overrides.
import { expect, test } from 'vitest';

import { CheckpointError } from '../../../app/checkpoint/errors.js';
import { samplingDefaultsOf, stopTokenIdsOf } from '../../../app/engine/generation-defaults.js';
import { APP_SAMPLING, resolveSampling } from '../../../app/host/sampling.js';

const config = { eosTokenIds: [128001], vocabSize: 128256 };

test('stop ids are the union of config, generation_config (an id or a list) and tokenizer eos', () => {
  expect(stopTokenIdsOf(config, { eos_token_id: [128001, 128008, 128009] }, { eosTokenIds: [128001] })).toEqual([128001, 128008, 128009]);
  expect(stopTokenIdsOf(config, { eos_token_id: 128009 }, { eosTokenIds: [] })).toEqual([128001, 128009]);
  expect(stopTokenIdsOf({ eosTokenIds: [], vocabSize: 300 }, null, { eosTokenIds: [297] })).toEqual([297]);
  expect(stopTokenIdsOf({ eosTokenIds: [], vocabSize: 300 }, { eos_token_id: null }, { eosTokenIds: [] })).toEqual([]);
});

test('a generation_config eos id outside the vocabulary is refused, naming the file and key', () => {
  const bad = () => stopTokenIdsOf(config, { eos_token_id: [5, 200000] }, { eosTokenIds: [] }, '/m/generation_config.json');
  expect(bad).toThrow(CheckpointError);
  expect(bad).toThrow(/\/m\/generation_config\.json: key "eos_token_id": must be a token id from 0 to 128255.*200000/);
  expect(() => stopTokenIdsOf(config, { eos_token_id: 'x' }, { eosTokenIds: [] })).toThrow(/eos_token_id/);
});

test("generation_config's temperature, top_p, top_k and repetition_penalty are read; other keys and bad values are not", () => {
  expect(samplingDefaultsOf({ temperature: 0.6, top_p: 0.9, top_k: 20, repetition_penalty: 1.05, max_length: 4096, do_sample: true })).toEqual({
    temperature: 0.6,
    topP: 0.9,
    topK: 20,
    repeatPenalty: 1.05,
  });
  expect(samplingDefaultsOf(null)).toEqual({ temperature: null, topK: null, topP: null, repeatPenalty: null });
  expect(samplingDefaultsOf({ temperature: -1, top_p: 1.5, top_k: 2.5, repetition_penalty: 0 })).toEqual({ temperature: null, topK: null, topP: null, repeatPenalty: null });
  expect(samplingDefaultsOf({ temperature: 0 }).temperature).toBe(0);
});

test("the user's value wins, then the model's, then the app's", () => {
  const model = { temperature: 0.6, topK: null, topP: 0.9, repeatPenalty: null };
  expect(resolveSampling({ temperature: null, topK: null, topP: null, repeatPenalty: null }, model)).toEqual({
    temperature: 0.6,
    topK: APP_SAMPLING.topK,
    topP: 0.9,
    repeatPenalty: APP_SAMPLING.repeatPenalty,
  });
  expect(resolveSampling({ temperature: 0, topK: 5, topP: 1, repeatPenalty: 1 }, model)).toEqual({ temperature: 0, topK: 5, topP: 1, repeatPenalty: 1 });
});
