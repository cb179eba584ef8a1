// Settings from the UI or an HTTP client: temperature, topK, topP and repeatPenalty may be null
// ("not set": the model's generation_config.json value applies), and are null when left out.
import { expect, test } from 'vitest';

import { parseSettings } from '../../../app/library/validate.js';

test('sampling fields left out or null are unset; numbers are checked as before', () => {
  expect(parseSettings(undefined)).toMatchObject({ temperature: null, topK: null, topP: null, repeatPenalty: null, minP: 0.05 });
  expect(parseSettings({ temperature: null, topK: null, topP: null, repeatPenalty: null })).toMatchObject({ temperature: null, topK: null, topP: null, repeatPenalty: null });
  expect(parseSettings({ temperature: 0.2, topK: 5, topP: 0.5, repeatPenalty: 1 })).toMatchObject({ temperature: 0.2, topK: 5, topP: 0.5, repeatPenalty: 1 });
  expect(() => parseSettings({ temperature: -1 })).toThrow(/settings\.temperature must be between 0 and 100/);
  expect(() => parseSettings({ topK: 'x' })).toThrow(/settings\.topK must be a number/);
  expect(() => parseSettings({ minP: null })).toThrow(/settings\.minP must be a number/);
});
