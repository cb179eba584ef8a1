// The engine under Electron (utilityProcess behind HostClient's HostProcess interface) and the
// powerMonitor events forwarded for the chain policy, with electron mocked.
import { afterEach, describe, expect, test, vi } from 'vitest';

import { utilityProcessHost } from '../../../app/electron/engine-process.js';
import { watchPower, type PowerValues } from '../../../app/electron/power-events.js';
import { fakeElectron, type FakeUtilityProcess } from './fake-electron.js';

vi.mock('electron', async () => (await import('./fake-electron.js')).fakeElectron);

describe('utilityProcessHost', () => {
  function start() {
    const host = utilityProcessHost('/app/dist/app/host/engine-host.js', { COLM_ADDON_PATH: '/app.asar.unpacked/colm.node' });
    const child = fakeElectron.utilityProcess.fork.mock.results.at(-1)!.value as FakeUtilityProcess;
    return { host, child };
  }

  test('forks the host entry with the given environment', () => {
    start();
    expect(fakeElectron.utilityProcess.fork).toHaveBeenLastCalledWith('/app/dist/app/host/engine-host.js', [], {
      env: { COLM_ADDON_PATH: '/app.asar.unpacked/colm.node' },
      stdio: 'inherit',
      serviceName: 'CoLM engine',
    });
  });

  test('relays messages both ways, reports a failed send, and its exit', () => {
    const { host, child } = start();
    const got: unknown[] = [];
    const off = host.onMessage((m) => got.push(m));
    child.emit('message', { type: 'ready', pid: 1 });
    off();
    child.emit('message', { type: 'ignored' });
    expect(got).toEqual([{ type: 'ready', pid: 1 }]);

    host.send({ type: 'modelInfo', id: 1 }, () => undefined);
    expect(child.posted).toEqual([{ type: 'modelInfo', id: 1 }]);
    child.failPost = true;
    const onError = vi.fn();
    host.send({ type: 'modelInfo', id: 2 }, onError);
    expect(onError.mock.calls[0]![0]).toBeInstanceOf(Error);

    const exits: unknown[] = [];
    host.onExit((exit) => exits.push(exit));
    expect(host.connected).toBe(true);
    child.emit('exit', 139);
    expect(exits).toEqual([{ code: 139, signal: null }]);
    expect(host.exited).toBe(true);
    expect(host.connected).toBe(false);
    expect(host.pid).toBe(4242);
  });

  test('kill asks the process to end', () => {
    const { host, child } = start();
    host.kill();
    expect(child.kill).toHaveBeenCalledOnce();
    expect(host.exited).toBe(true);
  });
});

describe('watchPower', () => {
  let power: ReturnType<typeof watchPower> | null = null;
  afterEach(() => power?.dispose());

  test('forwards on-ac, on-battery, thermal-state-change and speed-limit-change as values', () => {
    fakeElectron.powerMonitor.isOnBatteryPower.mockReturnValue(true);
    power = watchPower();
    expect(power.current.onBatteryPower).toBe(true);
    const changes: PowerValues[] = [];
    power.on((change) => changes.push(change));
    fakeElectron.powerMonitor.emit('on-ac');
    fakeElectron.powerMonitor.emit('thermal-state-change', { state: 'serious' });
    fakeElectron.powerMonitor.emit('speed-limit-change', { limit: 60 });
    fakeElectron.powerMonitor.emit('on-battery');
    expect(changes).toEqual([{ onBatteryPower: false }, { thermalState: 'serious' }, { speedLimit: 60 }, { onBatteryPower: true }]);
    expect(power.current).toMatchObject({ onBatteryPower: true, thermalState: 'serious', speedLimit: 60 });
  });

  test('dispose stops listening to powerMonitor', () => {
    power = watchPower();
    const listener = vi.fn();
    power.on(listener);
    power.dispose();
    fakeElectron.powerMonitor.emit('on-battery');
    expect(listener).not.toHaveBeenCalled();
    expect(fakeElectron.powerMonitor.listenerCount('on-battery')).toBe(0);
    power = null;
  });
});
