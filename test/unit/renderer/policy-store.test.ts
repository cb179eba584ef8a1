// The chain policy in a window's stores: the pushed view lands in the policy store, commands go
// over the bridge (and repeats are not sent), rule problems come back as a list, the window's
// chain choice for the model is told to the policy at start and when the model changes, and the
// page's battery reading is forwarded where the bridge takes it.
import { describe, expect, test, vi } from 'vitest';

import { BridgeError } from '../../../renderer/bridge/types.js';
import { forwardBattery } from '../../../renderer/power/battery-forwarder.js';
import { createAppStores } from '../../../renderer/state/app-stores.js';
import { createPolicyStore } from '../../../renderer/state/policy-store.js';
import { FakeBridge, fakeModel, fakePolicyView, memoryStorage, tick } from './fake-bridge.js';

describe('policy store', () => {
  test('commands go over the bridge; what they answer shows at once; repeats are not sent', async () => {
    const bridge = new FakeBridge();
    bridge.state.policy = fakePolicyView();
    const store = createPolicyStore(bridge);
    store.getState().receive(fakePolicyView());
    await store.getState().setAuto(true); // already on
    expect(bridge.policyCalls).toEqual([]);
    await store.getState().setManual(2);
    expect(store.getState().view).toMatchObject({ auto: false, chains: 2, reason: '2/4 chains: manual' });
    await store.getState().setManual(2);
    await store.getState().setAuto(true);
    expect(bridge.policyCalls).toEqual([
      ['manual', 2],
      ['auto', true],
    ]);
  });

  test('a failed command leaves one line to show', async () => {
    const bridge = new FakeBridge();
    bridge.setManualChains = () => Promise.reject(new BridgeError({ name: 'InvalidInput', message: 'chains must be between 1 and 4, got 9' }));
    const store = createPolicyStore(bridge);
    await store.getState().setManual(9);
    expect(store.getState().error).toBe('chains must be between 1 and 4, got 9');
  });

  test('rules: problems come back as a list; saved rules replace the view\'s and say so until edited', async () => {
    const bridge = new FakeBridge();
    const store = createPolicyStore(bridge);
    store.getState().receive(fakePolicyView());
    bridge.nextRulesOutcome = { ok: false, errors: ['lowBattery: leaveAbove (0.25) must be at least enterBelow (0.3)'] };
    expect(await store.getState().saveRules({ lowBattery: { leaveAbove: 0.25 } })).toBe(false);
    expect(store.getState()).toMatchObject({ ruleErrors: ['lowBattery: leaveAbove (0.25) must be at least enterBelow (0.3)'], rulesSaved: false });
    const rules = { ...fakePolicyView().rules, dwellMs: 0 };
    bridge.nextRulesOutcome = { ok: true, rules };
    expect(await store.getState().saveRules(rules)).toBe(true);
    expect(store.getState()).toMatchObject({ ruleErrors: [], rulesSaved: true, view: { rules: { dwellMs: 0 } } });
    store.getState().editingRules();
    expect(store.getState().rulesSaved).toBe(false);
  });
});

describe('the window and the policy', () => {
  test('the pushed state feeds the policy store; the kept choice is told at start and on a new model', async () => {
    const bridge = new FakeBridge();
    bridge.state.model = fakeModel(4, 'a.safetensors');
    bridge.state.policy = fakePolicyView({ auto: false, chains: 4 });
    const storage = memoryStorage();
    storage.setItem('colm.settings.b.safetensors', JSON.stringify({ generation: { chains: 2 } }));
    const stores = createAppStores(bridge, storage);
    await stores.start();
    expect(stores.policy.getState().view?.reason).toBe('4/4 chains: on AC, GPU free');
    expect(bridge.policyCalls).toEqual([['auto', true]]); // a new model's default is Auto

    bridge.push({ type: 'state', state: { ...bridge.state, model: fakeModel(4, 'b.safetensors'), policy: fakePolicyView({ reason: '3/4 chains: on battery, 60%', chains: 3 }) } });
    expect(stores.policy.getState().view?.reason).toBe('3/4 chains: on battery, 60%');
    await tick();
    expect(bridge.policyCalls.at(-1)).toEqual(['manual', 2]); // b was kept at 2 chains
    expect(stores.policy.getState().view).toMatchObject({ auto: false, chains: 2 }); // as the command answered
  });
});

describe('battery forwarding', () => {
  class FakeBattery extends EventTarget {
    level = 0.8;
    charging = true;
  }

  test('the level and charging go to the bridge at start and on each change, until stopped', async () => {
    const bridge = new FakeBridge();
    const readings: unknown[] = [];
    bridge.reportBattery = async (b) => void readings.push(b);
    const battery = new FakeBattery();
    const stop = forwardBattery(bridge, { getBattery: async () => battery });
    await tick();
    battery.level = 0.79;
    battery.charging = false;
    battery.dispatchEvent(new Event('chargingchange'));
    stop();
    battery.dispatchEvent(new Event('levelchange'));
    expect(readings).toEqual([
      { level: 0.8, charging: true },
      { level: 0.79, charging: false },
    ]);
  });

  test('no BatteryManager: the policy hears "none"; a bridge that takes no readings gets nothing', async () => {
    const bridge = new FakeBridge();
    const readings: unknown[] = [];
    bridge.reportBattery = async (b) => void readings.push(b);
    forwardBattery(bridge, {});
    expect(readings).toEqual([null]);
    const getBattery = vi.fn();
    forwardBattery(new FakeBridge(), { getBattery });
    expect(getBattery).not.toHaveBeenCalled();
  });
});
