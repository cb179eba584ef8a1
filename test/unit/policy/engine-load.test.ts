// The engine host's report of its own load: idle until it reports, then its numbers until they
// go stale.
import { expect, test } from 'vitest';

import { EngineLoadMeter } from '../../../app/policy/probes/engine-load.js';
import { known } from '../../../app/policy/signals.js';

test('idle before the first report, the report after, unavailable once stale', async () => {
  let now = 0;
  const meter = new EngineLoadMeter({ now: () => now, staleAfterMs: 10_000 });
  expect(meter.current()).toEqual(known({ cpuShare: 0, gpuShare: 0 }));
  meter.report({ cpuShare: 0.4, gpuShare: 1.2 }); // over 1 is rounding: clamped
  now = 10_000;
  expect(await meter.read()).toEqual({ engineLoad: known({ cpuShare: 0.4, gpuShare: 1 }) });
  now = 10_001;
  expect(meter.current()).toEqual({ available: false, reason: 'engine host has not reported its load for 10 s' });
  meter.report({ cpuShare: Number.NaN, gpuShare: 0 });
  expect(meter.current()).toMatchObject({ available: false, reason: expect.stringContaining('not a number') });
});
