// The ProbeSet: merging by trust order, and surviving probes that throw, hang or return nonsense.
import { afterEach, describe, expect, test, vi } from 'vitest';

import { ProbeSet } from '../../../app/policy/probe-set.js';
import type { Probe } from '../../../app/policy/probes/probe.js';
import { known, unavailable, type SignalName, type SignalSnapshot, type Signals } from '../../../app/policy/signals.js';

function probe(name: string, provides: SignalName[], read: () => Promise<Partial<Signals>>): Probe & { reads: number } {
  const p = {
    name,
    provides,
    reads: 0,
    read: async () => {
      p.reads++;
      return read();
    },
  };
  return p;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('merging', () => {
  test('the first probe with an available value wins, and is named as the source', async () => {
    const electron = probe('electron', ['power', 'battery'], async () => ({ power: known('battery') }));
    const sysfs = probe('sysfs', ['power', 'battery'], async () => ({ power: known('ac'), battery: known({ level: 0.5, charging: false }) }));
    const snap = await new ProbeSet([electron, sysfs], { now: () => 1234 }).poll();
    expect(snap.time).toBe(1234);
    expect(snap.signals.power).toEqual(known('battery'));
    expect(snap.signals.battery).toEqual(known({ level: 0.5, charging: false }));
    expect(snap.sources).toEqual({ power: 'electron', battery: 'sysfs' });
  });

  test('an unavailable value gives way to a later available one; with none, the first reason stays', async () => {
    const a = probe('a', ['thermal', 'gpuOthers'], async () => ({ thermal: unavailable('a cannot'), gpuOthers: unavailable('a: no GPU') }));
    const b = probe('b', ['thermal', 'gpuOthers'], async () => ({ thermal: known('fair'), gpuOthers: unavailable('b: no GPU') }));
    const snap = await new ProbeSet([a, b]).poll();
    expect(snap.signals.thermal).toEqual(known('fair'));
    expect(snap.signals.gpuOthers).toEqual(unavailable('a: no GPU'));
    expect(snap.signals.cpuLoad).toEqual(unavailable('no probe reads this on this system'));
  });

  test('values that are not readings are ignored', async () => {
    const bad = probe('bad', ['power'], async () => ({ power: 'ac' }) as unknown as Partial<Signals>);
    const worse = probe('worse', ['battery'], async () => ({ battery: { available: true } }) as unknown as Partial<Signals>);
    const snap = await new ProbeSet([bad, worse]).poll();
    expect(snap.signals.power).toMatchObject({ available: false });
    expect(snap.signals.battery).toMatchObject({ available: false });
  });
});

describe('failing probes', () => {
  test('a probe that throws costs only its own signals, with its message', async () => {
    const broken = probe('nvidia-smi', ['gpuOthers', 'gpuUtilisation'], async () => {
      throw new Error('driver mismatch');
    });
    const fine = probe('power', ['power'], async () => ({ power: known('ac') }));
    const snap = await new ProbeSet([broken, fine]).poll();
    expect(snap.signals.gpuOthers).toEqual(unavailable('nvidia-smi: driver mismatch'));
    expect(snap.signals.gpuUtilisation).toEqual(unavailable('nvidia-smi: driver mismatch'));
    expect(snap.signals.power).toEqual(known('ac'));
  });

  test('a probe that throws synchronously is caught too', async () => {
    const sync: Probe = {
      name: 'sync',
      provides: ['thermal'],
      read: () => {
        throw new Error('boom');
      },
    };
    expect((await new ProbeSet([sync]).poll()).signals.thermal).toEqual(unavailable('sync: boom'));
  });

  test('a slow probe may ask for a longer wait than the set default', async () => {
    const slow = (timeoutMs?: number): Probe => ({
      name: 'slow',
      provides: ['power'],
      timeoutMs,
      read: () => new Promise((resolve) => setTimeout(() => resolve({ power: known('ac') }), 40)),
    });
    expect((await new ProbeSet([slow()], { timeoutMs: 10 }).poll()).signals.power).toEqual(unavailable('slow: no answer within 10 ms'));
    expect((await new ProbeSet([slow(200)], { timeoutMs: 10 }).poll()).signals.power).toEqual(known('ac'));
  });

  test('a hung probe times out, and is not asked again until its read settles', async () => {
    let release: (v: Partial<Signals>) => void = () => {};
    const hung = probe('hung', ['gpuOthers'], () => new Promise((resolve) => (release = resolve)));
    const fine = probe('power', ['power'], async () => ({ power: known('ac') }));
    const set = new ProbeSet([hung, fine], { timeoutMs: 20 });
    const first = await set.poll();
    expect(first.signals.gpuOthers).toEqual(unavailable('hung: no answer within 20 ms'));
    expect(first.signals.power).toEqual(known('ac'));
    const second = await set.poll();
    expect(second.signals.gpuOthers).toEqual(unavailable('hung: still waiting for its previous read'));
    expect(hung.reads).toBe(1);
    release({ gpuOthers: known(0.1) });
    await new Promise((r) => setTimeout(r, 0));
    await set.poll();
    expect(hung.reads).toBe(2); // asked again once the hung read had settled
  });
});

describe('polling', () => {
  test('polls at once and then every interval, until stopped', async () => {
    vi.useFakeTimers();
    let level = 0.9;
    const battery = probe('battery', ['battery'], async () => ({ battery: known({ level, charging: false }) }));
    const set = new ProbeSet([battery], { intervalMs: 2000, now: () => Date.now() });
    const seen: SignalSnapshot[] = [];
    const off = set.onSnapshot((s) => seen.push(s));
    set.onSnapshot(() => {
      throw new Error('a broken listener');
    });
    set.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toHaveLength(1);
    level = 0.5;
    await vi.advanceTimersByTimeAsync(1999);
    expect(seen).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.signals.battery).toEqual(known({ level: 0.5, charging: false }));
    expect(seen[1]!.time - seen[0]!.time).toBe(2000);
    expect(set.latest()).toBe(seen[1]);
    set.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(2);
    off();
    set.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toHaveLength(2); // unsubscribed
    expect(battery.reads).toBe(3);
    set.stop();
  });
});
