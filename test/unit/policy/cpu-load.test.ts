// CPU load from os.cpus() deltas, with the engine's own share taken out.
import type { CpuInfo } from 'node:os';
import { expect, test } from 'vitest';

import { CpuLoadProbe } from '../../../app/policy/probes/cpu-load.js';
import { known, unavailable, type EngineLoad, type Reading } from '../../../app/policy/signals.js';

const core = (busy: number, idle: number): CpuInfo => ({ model: 'test', speed: 3000, times: { user: busy, nice: 0, sys: 0, idle, irq: 0 } });

function probeOver(samples: CpuInfo[][], engine: Reading<EngineLoad> = known({ cpuShare: 0, gpuShare: 0 })) {
  let i = 0;
  return new CpuLoadProbe({ cpus: () => samples[Math.min(i++, samples.length - 1)]!, engineLoad: () => engine });
}

test('the first read has nothing to compare with', async () => {
  expect((await probeOver([[core(10, 10)]]).read()).cpuLoad).toEqual(unavailable('needs a second sample to measure load'));
  // Some sandboxes report cores with all-zero counters: nothing to measure at all.
  expect((await probeOver([[core(0, 0)]]).read()).cpuLoad).toEqual(unavailable('os.cpus() gives no time counters'));
});

test('busy share over the interval, all cores together', async () => {
  // Two cores; over the interval 150 ms busy and 50 ms idle of 200 ms: 75% busy.
  const probe = probeOver([
    [core(100, 100), core(100, 100)],
    [core(200, 100), core(150, 150)],
  ]);
  await probe.read();
  expect((await probe.read()).cpuLoad).toEqual(known(0.75));
});

test("the engine's own share is not someone else's load", async () => {
  const probe = probeOver(
    [
      [core(0, 0), core(0, 0)],
      [core(100, 0), core(50, 50)],
    ],
    known({ cpuShare: 0.5, gpuShare: 0 }),
  );
  await probe.read();
  expect((await probe.read()).cpuLoad).toEqual(known(0.25));
});

test('never negative when the engine reports more than was measured', async () => {
  const probe = probeOver([[core(0, 0)], [core(10, 90)]], known({ cpuShare: 0.9, gpuShare: 0 }));
  await probe.read();
  expect((await probe.read()).cpuLoad).toEqual(known(0));
});

test("without the engine's report the load cannot be told apart: unavailable", async () => {
  const probe = probeOver([[core(0, 0)], [core(90, 10)]], unavailable('engine host has not reported its load for 12 s'));
  await probe.read();
  expect((await probe.read()).cpuLoad).toEqual(unavailable('cannot separate our own load: engine host has not reported its load for 12 s'));
});

test('counters that go backwards or stand still measure nothing', async () => {
  const probe = probeOver([[core(100, 100)], [core(50, 50)], [core(50, 50)]]);
  await probe.read();
  expect((await probe.read()).cpuLoad).toMatchObject({ available: false });
  expect((await probe.read()).cpuLoad).toMatchObject({ available: false });
});

test('the real os.cpus() gives a share between 0 and 1', async () => {
  const probe = new CpuLoadProbe({ engineLoad: () => known({ cpuShare: 0, gpuShare: 0 }) });
  await probe.read();
  let x = 0;
  for (let i = 0; i < 2e6; i++) x += Math.sqrt(i);
  await new Promise((r) => setTimeout(r, 30));
  const load = (await probe.read()).cpuLoad;
  expect(x).toBeGreaterThan(0);
  if (load?.available) {
    expect(load.value).toBeGreaterThanOrEqual(0);
    expect(load.value).toBeLessThanOrEqual(1);
  } else {
    expect(load?.reason).toMatch(/advance/); // a very coarse clock may not tick in 30 ms
  }
});
