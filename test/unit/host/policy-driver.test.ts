// The chain policy in the parent, against a fake engine host and a snapshot source the test
// drives: every change of the count is pushed to the host, the host's load reports reach the load
// meter, a new model resets the count to its n, Auto on/off and a pinned count work as the UI
// expects, rules are checked (every problem answered), and the view carries a compact history.
import { describe, expect, test } from 'vitest';

import type { HostClientEvent } from '../../../app/host/host-client.js';
import { compactHistory } from '../../../app/host/policy-history.js';
import { PolicyDriver } from '../../../app/host/policy-driver.js';
import type { ModelInfo } from '../../../app/host/protocol.js';
import type { SnapshotListener, SnapshotSource } from '../../../app/policy/probe-set.js';
import { EngineLoadMeter } from '../../../app/policy/probes/engine-load.js';
import { fakeModel } from '../renderer/fake-bridge.js';
import { signals, type SignalFacts } from '../policy/build-signals.js';

class FakeSource implements SnapshotSource {
  readonly listeners = new Set<SnapshotListener>();
  start() {}
  stop() {}
  onSnapshot(l: SnapshotListener) {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  latest() {
    return undefined;
  }
  emit(facts: SignalFacts, time = 0) {
    for (const l of [...this.listeners]) l({ time, signals: signals(facts), sources: {} });
  }
}

class FakeHost {
  currentModel: ModelInfo | null = fakeModel(4);
  pushed: number[] = [];
  private listeners = new Set<(e: HostClientEvent) => void>();
  on(listener: (e: HostClientEvent) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  setAutoChains(chains: number) {
    if (this.pushed.at(-1) !== chains) this.pushed.push(chains);
  }
  emit(event: HostClientEvent) {
    for (const l of this.listeners) l(event);
  }
}

function setup() {
  const clock = { ms: 1_000_000 };
  const host = new FakeHost();
  const source = new FakeSource();
  const engineLoad = new EngineLoadMeter({ now: () => clock.ms });
  const restarts: number[] = [];
  const driver = new PolicyDriver(host, { source, engineLoad, now: () => clock.ms, simulation: { file: 'drop.json', restart: () => restarts.push(clock.ms) } });
  let updates = 0;
  driver.onUpdate(() => updates++);
  driver.start();
  return { clock, host, source, engineLoad, driver, restarts, updates: () => updates };
}

describe('PolicyDriver', () => {
  test('pushes the count to the host at start and at every change; one update per snapshot', () => {
    const { host, source, driver, clock, updates } = setup();
    expect(host.pushed).toEqual([4]);
    source.emit({ power: 'ac', battery: 0.9, gpuOthers: 0.1 });
    expect(driver.view()).toMatchObject({ chains: 4, chainCount: 4, reason: '4/4 chains: on AC, GPU free', auto: true, simulated: { file: 'drop.json' } });
    clock.ms += 2000;
    source.emit({ power: 'battery', battery: 0.2 });
    expect(driver.view().reason).toBe('1/4 chains: on battery, 20%');
    expect(host.pushed).toEqual([4, 1]);
    expect(updates()).toBe(2);
  });

  test('the host\'s load reports reach the meter the probes subtract', () => {
    const { host, engineLoad } = setup();
    host.emit({ type: 'load', load: { cpuShare: 0.25, gpuShare: 0.5 } });
    expect(engineLoad.current()).toEqual({ available: true, value: { cpuShare: 0.25, gpuShare: 0.5 } });
  });

  test('a model with another chain count: the policy decides afresh for its n', () => {
    const { host, source, driver } = setup();
    source.emit({ power: 'battery', battery: 0.8 });
    expect(driver.view().chains).toBe(3);
    host.emit({ type: 'modelChanged', model: fakeModel(6) });
    expect(driver.view()).toMatchObject({ chains: 5, chainCount: 6 });
    expect(host.pushed.at(-1)).toBe(5);
  });

  test('Auto off pins the count in use; a pinned count wins over the machine; Auto on hands back', () => {
    const { host, source, driver, clock } = setup();
    source.emit({ power: 'battery', battery: 0.8 });
    driver.setAuto(false);
    expect(driver.view()).toMatchObject({ auto: false, chains: 3, reason: '3/4 chains: manual' });
    driver.setManual(2);
    clock.ms += 60_000;
    source.emit({ power: 'ac' });
    expect(driver.view()).toMatchObject({ auto: false, chains: 2 });
    driver.setAuto(true);
    expect(driver.view()).toMatchObject({ auto: true, chains: 4, reason: '4/4 chains: on AC' });
    expect(host.pushed).toEqual([4, 3, 2, 4]);
  });

  test('rules are checked: every problem comes back and nothing changes; good rules apply at once', () => {
    const { source, driver } = setup();
    source.emit({ power: 'battery', battery: 0.4 });
    expect(driver.view().chains).toBe(3);
    const bad = driver.setRules({ lowBattery: { enterBelow: 50 }, gpuBusy: { enterAbove: 'high' } });
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.errors).toEqual([
      expect.stringMatching(/^lowBattery\.enterBelow: must be a share from 0 to 1 \(50% is 0\.5\)/),
      expect.stringMatching(/^gpuBusy\.enterAbove: must be a share/),
    ]);
    expect(driver.view().rules.lowBattery.enterBelow).toBe(0.3);
    const good = driver.setRules({ lowBattery: { enterBelow: 0.5, leaveAbove: 0.55 }, dwellMs: 0 });
    expect(good).toMatchObject({ ok: true, rules: { lowBattery: { enterBelow: 0.5, leaveAbove: 0.55 }, dwellMs: 0 } });
    expect(driver.view()).toMatchObject({ chains: 1, rules: { dwellMs: 0 } });
  });

  test('the simulated script can be replayed; the view names its file', () => {
    const { driver, restarts } = setup();
    expect(driver.restartSimulation()).toBe(true);
    expect(restarts).toHaveLength(1);
  });

  test('the view\'s history is compact: the chart\'s signals, unreadable ones as null, old points dropped', () => {
    const { source, driver, clock } = setup();
    source.emit({ power: 'ac', battery: 0.9123, gpuOthers: 0.05 });
    clock.ms += 2000;
    source.emit({ power: 'battery', battery: 0.2, thermal: 'fair' });
    const history = driver.view().history;
    expect(history).toEqual([
      { t: 1_000_000, chains: 4, power: 'ac', battery: 0.912, gpuOthers: 0.05, thermal: null },
      { t: 1_002_000, chains: 1, power: 'battery', battery: 0.2, gpuOthers: null, thermal: 'fair' },
    ]);
    expect(compactHistory([], 0)).toEqual([]);
    clock.ms += 5 * 60_000 + 1;
    source.emit({ power: 'battery', battery: 0.19 });
    expect(driver.view().history.map((p) => p.battery)).toEqual([0.19]);
  });

  test('stop lets go of the host and the source', () => {
    const { host, source, driver } = setup();
    driver.stop();
    expect(source.listeners.size).toBe(0);
    host.emit({ type: 'modelChanged', model: fakeModel(2) });
    expect(driver.view().chainCount).toBe(4);
  });
});

test('the view names the GPU the rules read: the one the model runs on, or not ours', () => {
  const { source, driver } = setup();
  expect(driver.view().gpu).toBeNull(); // nothing read yet
  source.emit({ power: 'ac', gpuOthers: 0.82, gpuOn: 0, gpuFreeMiB: 2048 });
  expect(driver.view()).toMatchObject({ chains: 3, reason: '3/4 chains: GPU busy, others 82% on cuda:0 (2.0 of 8.0 GiB VRAM free)', gpu: 'cuda:0 (NVIDIA RTX 4070): others 82%, 2.0 of 8.0 GiB free' });
  source.emit({ power: 'ac', gpuOthers: 0.1, gpuOn: 'cpu' }, 20_000);
  expect(driver.view().gpu).toBe('GPU 0 (NVIDIA RTX 4070): others 10% · the model runs on the CPU');
});
