// The badge's GPU line: which GPU the GPU rules read (the session's cuda:N, or a GPU the CPU-run
// model does not use) and what they see there; "unknown" when nvidia-smi answered badly; nothing
// on a machine with no GPU signal at all.
import { expect, test } from 'vitest';

import { gpuSummary } from '../../../app/policy/gpu-summary.js';
import { unavailable } from '../../../app/policy/signals.js';
import { signals } from './build-signals.js';

test('the model on cuda:N: that GPU, others\' use and its free memory', () => {
  expect(gpuSummary(signals({ gpuOn: 1, gpuOthers: 0.12, gpuFreeMiB: 6246 }))).toBe('cuda:1 (NVIDIA RTX 4070): others 12%, 6.1 of 8.0 GiB free');
  expect(gpuSummary(signals({ gpuOn: 0 }))).toBe('cuda:0 (NVIDIA RTX 4070): others unknown');
});

test('the model on the CPU: which GPU is read, and that the model is not on it', () => {
  expect(gpuSummary(signals({ gpuOn: 'cpu', gpuOthers: 0.4, gpuFreeMiB: 100 }))).toBe('GPU 0 (NVIDIA RTX 4070): others 40% · the model runs on the CPU');
});

test('bad nvidia-smi output is "unknown" with the reason; no GPU signal at all is nothing', () => {
  const s = signals({});
  s.gpuDevice = unavailable('cannot parse nvidia-smi output: garbage');
  expect(gpuSummary(s)).toBe('GPU: unknown (cannot parse nvidia-smi output: garbage)');
  s.gpuDevice = unavailable('nvidia-smi not found');
  expect(gpuSummary(s)).toBeNull();
  s.gpuDevice = unavailable('no probe reads this on this system');
  expect(gpuSummary(s)).toBeNull();
});
