// Values forwarded from Electron's powerMonitor and navigator.getBattery().
import { expect, test } from 'vitest';

import { ElectronPowerProbe } from '../../../app/policy/probes/electron-power.js';
import { known } from '../../../app/policy/signals.js';

test('says nothing until Electron has said something, so other probes can speak', async () => {
  expect(await new ElectronPowerProbe().read()).toEqual({});
});

test('updates accumulate: a later update keeps earlier fields', async () => {
  const probe = new ElectronPowerProbe();
  probe.update({ onBatteryPower: true });
  probe.update({ battery: { level: 0.28, charging: false } });
  probe.update({ thermalState: 'serious', speedLimit: 70 });
  expect(await probe.read()).toEqual({
    power: known('battery'),
    battery: known({ level: 0.28, charging: false }),
    thermal: known('serious'),
    cpuSpeedLimit: known(70),
  });
  probe.update({ onBatteryPower: false });
  expect((await probe.read()).power).toEqual(known('ac'));
});

test("'unknown' and impossible values become unavailable", async () => {
  const probe = new ElectronPowerProbe();
  probe.update({ thermalState: 'unknown', speedLimit: 140, battery: { level: 1.5, charging: true } });
  const r = await probe.read();
  expect(r.thermal).toMatchObject({ available: false, reason: expect.stringContaining("'unknown'") });
  expect(r.cpuSpeedLimit).toMatchObject({ available: false });
  expect(r.battery).toMatchObject({ available: false });
  probe.update({ battery: null });
  expect((await probe.read()).battery).toEqual({ available: false, reason: 'no BatteryManager in the renderer' });
});
