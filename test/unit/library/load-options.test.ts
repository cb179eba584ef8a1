// How a model is loaded, as the faces send it (HTTP body, upload query, IPC): context, threads and
// the KV cache type; a bad value is an input error naming the field.
import { expect, test } from 'vitest';

import { parseLoadOptions } from '../../../app/library/validate.js';

test('kvType is one of the engine types; null and absent mean the default', () => {
  expect(parseLoadOptions({ contextSize: 512, threads: 2, kvType: 'q8_0' })).toEqual({ contextSize: 512, threads: 2, kvType: 'q8_0' });
  for (const kvType of ['f32', 'bf16', 'f16', 'q8_0']) expect(parseLoadOptions({ kvType })).toEqual({ kvType });
  expect(parseLoadOptions({ kvType: null })).toEqual({});
  expect(parseLoadOptions({})).toEqual({});
  expect(() => parseLoadOptions({ kvType: 'q4_0' })).toThrow(/options\.kvType must be one of f32, bf16, f16, q8_0/);
  expect(() => parseLoadOptions({ kvType: 16 })).toThrow(/options\.kvType/);
});
