// The simulated probe source: replaying a scripted timeline against an injected clock, looping,
// and refusing malformed scripts with errors that name the entry and field.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

import { SimulatedProbe, TimelineError, createSimulatedSource, loadTimeline, parseTimeline } from '../../../app/policy/simulated.js';
import { known } from '../../../app/policy/signals.js';

const EXAMPLE = resolve('app/policy/examples/battery-drop.json');

function clock() {
  const c = { ms: 0, now: () => c.ms };
  return c;
}

describe('replay', () => {
  test('values hold until the next entry, each field on its own', async () => {
    const c = clock();
    const timeline = parseTimeline({
      timeline: [
        { at: 0, power: 'ac', battery: 0.9, gpuOthers: 0.1 },
        { at: 5, power: 'battery', battery: 0.28 },
        { at: 8, gpuOthers: 0.8, thermal: 'serious' },
      ],
    });
    const probe = new SimulatedProbe(timeline, { now: c.now });
    expect(await probe.read()).toEqual({
      power: known('ac'),
      battery: known({ level: 0.9, charging: true }), // charging follows the power source when not scripted
      gpuOthers: known(0.1),
      thermal: { available: false, reason: 'timeline: not set by the script yet' },
    });
    c.ms = 4999;
    expect((await probe.read()).power).toEqual(known('ac'));
    c.ms = 5000;
    const at5 = await probe.read();
    expect(at5.power).toEqual(known('battery'));
    expect(at5.battery).toEqual(known({ level: 0.28, charging: false }));
    expect(at5.gpuOthers).toEqual(known(0.1)); // held from second 0
    c.ms = 100_000;
    const late = await probe.read();
    expect(late.gpuOthers).toEqual(known(0.8));
    expect(late.thermal).toEqual(known('serious'));
    expect(probe.provides).toEqual(['power', 'battery', 'gpuOthers', 'thermal']);
  });

  test('null makes a signal unavailable; explicit charging is kept', async () => {
    const c = clock();
    const probe = new SimulatedProbe(
      parseTimeline({ timeline: [{ at: 0, power: 'battery', battery: 0.5, charging: true }, { at: 1, battery: null, gpuTemperature: 66 }] }, 'x.json'),
      { now: c.now },
    );
    expect((await probe.read()).battery).toEqual(known({ level: 0.5, charging: true }));
    c.ms = 1000;
    const r = await probe.read();
    expect(r.battery).toEqual({ available: false, reason: 'x.json: unavailable in the script' });
    expect(r.gpuTemperature).toEqual(known(66));
  });

  test('a loop starts again at the last entry\'s time, and restart() rewinds', async () => {
    const c = clock();
    const probe = new SimulatedProbe(await loadTimeline(EXAMPLE), { now: c.now });
    const powerAt = async (s: number) => {
      c.ms = s * 1000;
      return (await probe.read()).power;
    };
    expect(await powerAt(4)).toEqual(known('ac'));
    expect(await powerAt(6)).toEqual(known('battery'));
    expect(await powerAt(59)).toEqual(known('ac'));
    expect(await powerAt(61)).toEqual(known('ac')); // second 1 of cycle 2
    expect(await powerAt(66)).toEqual(known('battery')); // second 6 of cycle 2
    c.ms = 66_000;
    probe.restart();
    c.ms = 67_000;
    expect((await probe.read()).power).toEqual(known('ac'));
    expect(probe.elapsedSeconds()).toBe(1);
  });

  test('without loop the last values stay forever', async () => {
    const c = clock();
    const probe = new SimulatedProbe(parseTimeline({ timeline: [{ at: 0, power: 'ac' }, { at: 2, power: 'battery' }] }), { now: c.now });
    c.ms = 1e9;
    expect((await probe.read()).power).toEqual(known('battery'));
  });

  test('a script that starts late says "not yet" before its first entry', async () => {
    const probe = new SimulatedProbe(parseTimeline({ timeline: [{ at: 3, cpuLoad: 0.5 }] }), { now: () => 1000 });
    expect((await probe.read()).cpuLoad).toMatchObject({ available: false, reason: expect.stringContaining('not set by the script yet') });
  });

  test('createSimulatedSource plays the example file through a ProbeSet', async () => {
    const c = clock();
    const { probe, source } = await createSimulatedSource(EXAMPLE, { now: c.now });
    c.ms = 21_000;
    const snap = await source.poll();
    expect(snap.signals.battery).toEqual(known({ level: 0.28, charging: false }));
    expect(snap.sources.battery).toBe('simulated');
    expect(probe.timeline.loop).toBe(true);
  });
});

describe('malformed scripts', () => {
  const cases: [string, unknown, string][] = [
    ['not an object', [1, 2], 't.json: the file must be an object like {"timeline": [...]}'],
    ['no timeline', { loop: true }, 't.json: "timeline" must be a non-empty array of entries'],
    ['an empty timeline', { timeline: [] }, 't.json: "timeline" must be a non-empty array of entries'],
    ['an unknown top-level key', { timeline: [{ at: 0 }], speed: 2 }, 't.json: "speed" is not a setting (known: timeline, loop)'],
    ['loop that is not a boolean', { timeline: [{ at: 0 }, { at: 1 }], loop: 'yes' }, 't.json: "loop" must be true or false'],
    ['loop with one entry', { timeline: [{ at: 0 }], loop: true }, 't.json: "loop" needs at least two entries: the last one\'s "at" is the length of a cycle'],
    ['an entry that is not an object', { timeline: [{ at: 0 }, 'later'] }, 't.json: timeline[1] must be an object like {"at": 0, "power": "ac"}'],
    ['a missing at', { timeline: [{ at: 0 }, { power: 'ac' }] }, 't.json: timeline[1].at must be a number of seconds, 0 or more; got nothing'],
    ['a negative at', { timeline: [{ at: -1 }] }, 't.json: timeline[0].at must be a number of seconds, 0 or more; got -1'],
    ['times out of order', { timeline: [{ at: 0 }, { at: 5 }, { at: 5 }] }, 't.json: timeline[2].at must be later than timeline[1].at (5); got 5'],
    ['a percentage for a share', { timeline: [{ at: 0 }, { at: 5, battery: 28 }] }, 't.json: timeline[1].battery must be a number from 0 to 1 (a share: 28% is 0.28), or null for unavailable; got 28'],
    ['a misspelt field', { timeline: [{ at: 0, batery: 0.5 }] }, 't.json: timeline[0].batery is not a signal (known: at, power, battery, charging'],
    ['a bad power source', { timeline: [{ at: 0, power: 'mains' }] }, 't.json: timeline[0].power must be "ac" or "battery", or null for unavailable; got "mains"'],
    ['a bad thermal state', { timeline: [{ at: 0, thermal: 'hot' }] }, 't.json: timeline[0].thermal must be "nominal", "fair", "serious" or "critical"'],
  ];
  test.each(cases)('%s', (_name, json, message) => {
    expect(() => parseTimeline(json, 't.json')).toThrow(TimelineError);
    expect(() => parseTimeline(json, 't.json')).toThrow(message);
  });

  test('a file that is not JSON, or not there, is named in the error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colm-timeline-'));
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"timeline": [');
    await expect(loadTimeline(broken)).rejects.toThrow(`${broken}: not valid JSON`);
    await expect(loadTimeline(join(dir, 'missing.json'))).rejects.toThrow(/missing\.json: cannot read/);
  });
});
