// How a model is loaded, as the faces send it (HTTP body, upload query, IPC): context, threads,
// the KV cache type and the device; a bad value is an input error naming the field.
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

test('device is auto, cpu or cuda:N, in one spelling; null and absent mean the default', () => {
  expect(parseLoadOptions({ device: 'auto' })).toEqual({ device: 'auto' });
  expect(parseLoadOptions({ device: 'cpu' })).toEqual({ device: 'cpu' });
  expect(parseLoadOptions({ device: 'cuda:1' })).toEqual({ device: 'cuda:1' });
  expect(parseLoadOptions({ device: 'cuda' })).toEqual({ device: 'cuda:0' });
  expect(parseLoadOptions({ device: ' CUDA:2 ' })).toEqual({ device: 'cuda:2' });
  expect(parseLoadOptions({ device: null, kvType: 'bf16' })).toEqual({ kvType: 'bf16' });
  expect(() => parseLoadOptions({ device: 'metal' })).toThrow('options.device must be "auto", "cpu" or "cuda:N", got "metal"');
  expect(() => parseLoadOptions({ device: 0 })).toThrow(/options\.device must be/);
  expect(() => parseLoadOptions({ device: 'cuda:'.padEnd(40, '9') })).toThrow(/options\.device must be/);
});
