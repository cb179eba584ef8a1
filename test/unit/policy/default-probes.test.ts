// Which probes each platform gets, in trust order, and a real poll on this machine.
import { expect, test } from 'vitest';

import { ProbeSet } from '../../../app/policy/probe-set.js';
import { createDefaultProbes } from '../../../app/policy/probes/default-probes.js';
import { ElectronPowerProbe } from '../../../app/policy/probes/electron-power.js';
import { EngineLoadMeter } from '../../../app/policy/probes/engine-load.js';
import { SIGNAL_NAMES } from '../../../app/policy/signals.js';

const names = (platform: NodeJS.Platform, electron = false) =>
  createDefaultProbes({ platform, engineLoad: new EngineLoadMeter(), electron: electron ? new ElectronPowerProbe() : undefined }).map((p) => p.name);

test('each platform gets its own power probe; Electron speaks first; no nvidia-smi on macOS', () => {
  expect(names('linux', true)).toEqual(['electron-power', 'linux-power', 'linux-thermal', 'nvidia-smi', 'cpu-load', 'engine-load']);
  expect(names('darwin')).toEqual(['macos-power', 'cpu-load', 'engine-load']);
  expect(names('win32')).toEqual(['windows-power', 'nvidia-smi', 'cpu-load', 'engine-load']);
});

test('a real poll on this machine fills every signal, available or with a reason', async () => {
  const snapshot = await new ProbeSet(createDefaultProbes({ engineLoad: new EngineLoadMeter() }), { timeoutMs: 5000 }).poll();
  for (const name of SIGNAL_NAMES) {
    const reading = snapshot.signals[name];
    expect(reading.available || (typeof reading.reason === 'string' && reading.reason.length > 0), name).toBe(true);
  }
  expect(snapshot.signals.engineLoad).toEqual({ available: true, value: { cpuShare: 0, gpuShare: 0 } });
});
