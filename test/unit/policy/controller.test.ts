// ChainPolicy: decisions as snapshots arrive, the manual choice, change events and history;
// and, end to end, the example battery-drop script driving the chain count through time.
import { resolve } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';

import { ChainPolicy, type PolicyChange } from '../../../app/policy/controller.js';
import type { SnapshotListener, SnapshotSource } from '../../../app/policy/probe-set.js';
import { DEFAULT_RULES } from '../../../app/policy/rules.js';
import type { SignalSnapshot } from '../../../app/policy/signals.js';
import { createSimulatedSource } from '../../../app/policy/simulated.js';
import { signals, type SignalFacts } from './build-signals.js';

class FakeSource implements SnapshotSource {
  readonly listeners = new Set<SnapshotListener>();
  started = 0;
  stopped = 0;
  start() {
    this.started++;
  }
  stop() {
    this.stopped++;
  }
  onSnapshot(l: SnapshotListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  latest() {
    return undefined;
  }
  emit(facts: SignalFacts, time = 0) {
    const snapshot: SignalSnapshot = { time, signals: signals(facts), sources: {} };
    for (const l of this.listeners) l(snapshot);
  }
}

function setup(options: { chainCount?: number; historyMs?: number } = {}) {
  const clock = { ms: 0 };
  const source = new FakeSource();
  const policy = new ChainPolicy({ source, chainCount: options.chainCount ?? 4, historyMs: options.historyMs, now: () => clock.ms });
  const changes: PolicyChange[] = [];
  policy.onChange((c) => changes.push(c));
  policy.start();
  return { clock, source, policy, changes };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('ChainPolicy', () => {
  test('before any snapshot: all chains, because nothing known limits them', () => {
    const { policy } = setup();
    expect(policy.current()).toEqual({ chains: 4, reason: '4/4 chains: no limits' });
    expect(policy.history()).toEqual([]);
  });

  test('follows snapshots and tells listeners what changed', () => {
    const { clock, source, policy, changes } = setup();
    source.emit({ power: 'ac', gpuOthers: 0.1 });
    expect(policy.current()).toEqual({ chains: 4, reason: '4/4 chains: on AC, GPU free' });
    clock.ms = 2000;
    source.emit({ power: 'battery', battery: 0.28 });
    expect(policy.current()).toEqual({ chains: 1, reason: '1/4 chains: on battery, 28%' });
    clock.ms = 4000;
    source.emit({ power: 'battery', battery: 0.28 }); // same decision: no event
    expect(changes.map((c) => [c.previous.chains, c.chains, c.time])).toEqual([
      [4, 4, 0], // the reason changed (no limits -> on AC, GPU free)
      [4, 1, 2000],
    ]);
  });

  test('current() returns the same object between decisions: a field read per token', () => {
    const { source, policy } = setup();
    source.emit({ power: 'ac' });
    expect(policy.current()).toBe(policy.current());
  });

  test('the manual choice applies at once, and auto returns at once', () => {
    const { clock, source, policy, changes } = setup();
    source.emit({ power: 'battery', battery: 0.6 });
    expect(policy.current().chains).toBe(3);
    clock.ms = 1000;
    policy.setManual(4);
    expect(policy.current()).toEqual({ chains: 4, reason: '4/4 chains: manual' });
    expect(policy.manual()).toBe(4);
    clock.ms = 2000;
    policy.setManual(null);
    expect(policy.current()).toEqual({ chains: 3, reason: '3/4 chains: on battery, 60%' });
    expect(changes.map((c) => c.chains)).toEqual([3, 4, 3]);
  });

  test('new rules and a new model are applied at once', () => {
    const { source, policy } = setup();
    source.emit({ power: 'battery', battery: 0.6 });
    policy.setRules({ ...DEFAULT_RULES, onBattery: { enabled: true, fewer: 2 } });
    expect(policy.current().chains).toBe(2);
    policy.setChainCount(2);
    expect(policy.current()).toEqual({ chains: 1, reason: '1/2 chains: on battery, 60%' });
  });

  test('history keeps the last historyMs of {time, chains, signals}, oldest first', () => {
    const { clock, source, policy } = setup({ historyMs: 60_000 });
    for (let s = 0; s <= 100; s += 2) {
      clock.ms = s * 1000;
      source.emit(s < 50 ? { power: 'ac' } : { power: 'battery', battery: 0.9 });
    }
    const history = policy.history();
    expect(history[0]!.time).toBe(40_000);
    expect(history.at(-1)!.time).toBe(100_000);
    expect(history).toHaveLength(31);
    expect(history.find((p) => p.time === 48_000)).toMatchObject({ chains: 4, signals: { power: { available: true, value: 'ac' } } });
    expect(history.find((p) => p.time === 52_000)).toMatchObject({ chains: 3, reason: '3/4 chains: on battery, 90%' });
    clock.ms = 150_000; // no snapshots for a while: old points still age out
    expect(policy.history().map((p) => p.time)).toEqual([90_000, 92_000, 94_000, 96_000, 98_000, 100_000]);
    (policy.history() as unknown[]).length = 0; // a copy: the caller cannot erase the policy's memory
    expect(policy.history()).toHaveLength(6);
  });

  test('a throwing listener does not stop the policy; stop() unsubscribes and stops the source', () => {
    const { source, policy } = setup();
    policy.onChange(() => {
      throw new Error('UI bug');
    });
    source.emit({ power: 'battery', battery: 0.2 });
    expect(policy.current().chains).toBe(1);
    policy.stop();
    expect(source.stopped).toBe(1);
    expect(source.started).toBe(1);
    source.emit({ power: 'ac' });
    expect(policy.current().chains).toBe(1);
  });
});

test('end to end: the battery-drop example script drives the chain count through a minute', async () => {
  vi.useFakeTimers({ now: 0 });
  const { source } = await createSimulatedSource(resolve('app/policy/examples/battery-drop.json'), { intervalMs: 1000, now: Date.now });
  const policy = new ChainPolicy({ source, chainCount: 4, now: Date.now });
  policy.start();
  const counts: Record<number, number> = {};
  for (let s = 0; s <= 70; s++) {
    await vi.advanceTimersByTimeAsync(s === 0 ? 0 : 1000);
    counts[s] = policy.current().chains;
  }
  policy.stop();
  // ac -> 4; battery at 5 s -> 3; 28% at 20 s -> 1; AC at 35 s -> 4; others take the GPU at
  // 45 s -> 3; released at 55 s -> 4; the loop starts again at 60 s: battery at 65 s -> 3.
  expect([0, 4, 5, 19, 20, 34, 35, 44, 45, 54, 55, 64, 65, 70].map((s) => counts[s])).toEqual([4, 4, 3, 3, 1, 1, 4, 4, 3, 3, 4, 4, 3, 3]);
  const reasons = policy.history().map((p) => p.reason);
  expect(reasons).toContain('1/4 chains: on battery, 28%');
  expect(reasons).toContain('3/4 chains: GPU busy, others 85%');
});
