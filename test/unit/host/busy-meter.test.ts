// The engine host's load reports: CPU time over wall time and all cores while generating, the
// GPU share only for GPU backends, and zeros for a window in which nothing ran.
import { expect, test } from 'vitest';

import { BusyMeter } from '../../../app/host/busy-meter.js';

function setup(cores = 4) {
  const clock = { ms: 0, cpuMicros: 0 };
  const meter = new BusyMeter({ cores, now: () => clock.ms, cpuUsage: () => ({ user: clock.cpuMicros, system: 0 }) });
  return { clock, meter };
}

test('idle windows report zeros, whatever bookkeeping CPU the host spent', () => {
  const { clock, meter } = setup();
  clock.ms = 2000;
  clock.cpuMicros = 3000; // 3 ms of IPC handling
  expect(meter.report()).toEqual({ cpuShare: 0, gpuShare: 0 });
});

test('a generation on the CPU: its CPU time over all cores, no GPU share', () => {
  const { clock, meter } = setup(4);
  meter.begin(false);
  clock.ms = 2000;
  clock.cpuMicros = 4_000_000; // two cores busy for 2 s
  expect(meter.report()).toEqual({ cpuShare: 0.5, gpuShare: 0 });
  // Still running: the next window counts too.
  clock.ms = 4000;
  clock.cpuMicros = 6_000_000;
  expect(meter.report()).toEqual({ cpuShare: 0.25, gpuShare: 0 });
  meter.end();
  clock.ms = 6000;
  expect(meter.report()).toEqual({ cpuShare: 0, gpuShare: 0 });
});

test('a GPU generation that ran half the window: half the wall time in GPU work', () => {
  const { clock, meter } = setup(8);
  clock.ms = 1000;
  meter.begin(true);
  clock.ms = 2000;
  clock.cpuMicros = 800_000;
  meter.end();
  expect(meter.report()).toEqual({ cpuShare: 0.05, gpuShare: 0.5 });
});

test('shares are clamped to 0..1 (more CPU time than wall time x cores is rounding, not a second machine)', () => {
  const { clock, meter } = setup(1);
  meter.begin(true);
  clock.ms = 1000;
  clock.cpuMicros = 1_500_000;
  expect(meter.report()).toEqual({ cpuShare: 1, gpuShare: 1 });
});

test('a newer generation that begins before the older one ends keeps the engine busy until both end', () => {
  const { clock, meter } = setup(1);
  meter.begin(true);
  clock.ms = 500;
  meter.begin(true);
  meter.end(); // the older one's end
  clock.ms = 1000;
  meter.end();
  meter.end(); // an extra end changes nothing
  expect(meter.report().gpuShare).toBe(1);
});
