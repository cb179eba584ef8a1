// The Linux power-supply probe against sample /sys/class/power_supply trees shaped like those
// of real laptops and desktops.
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { LinuxPowerProbe } from '../../../app/policy/probes/linux-power.js';
import { known } from '../../../app/policy/signals.js';
import { removeTrees, sysfsTree, type Tree } from './sysfs-tree.js';

afterAll(removeTrees);

const read = (tree: Tree) => new LinuxPowerProbe({ root: sysfsTree(tree) }).read();

describe('LinuxPowerProbe', () => {
  test('a laptop unplugged at 28%', async () => {
    const r = await read({ AC: { type: 'Mains', online: '0' }, BAT0: { type: 'Battery', status: 'Discharging', capacity: '28', scope: 'System' } });
    expect(r.power).toEqual(known('battery'));
    expect(r.battery).toEqual(known({ level: 0.28, charging: false }));
  });

  test('a laptop charging on mains', async () => {
    const r = await read({ ADP1: { type: 'Mains', online: '1' }, BAT1: { type: 'Battery', status: 'Charging', capacity: '64' } });
    expect(r.power).toEqual(known('ac'));
    expect(r.battery).toEqual(known({ level: 0.64, charging: true }));
  });

  test('a USB-C charger counts as external power even when the Mains entry is offline', async () => {
    const r = await read({
      ADP1: { type: 'Mains', online: '0' },
      'ucsi-source-psy-USBC000:001': { type: 'USB', online: '1' },
      BAT0: { type: 'Battery', status: 'Not charging', capacity: '80' },
    });
    expect(r.power).toEqual(known('ac'));
    expect(r.battery).toEqual(known({ level: 0.8, charging: false }));
  });

  test('without a Mains entry the battery status decides', async () => {
    const status = async (s: string) => (await read({ BAT0: { type: 'Battery', status: s, capacity: '50' } })).power;
    expect(await status('Discharging')).toEqual(known('battery'));
    expect(await status('Full')).toEqual(known('ac'));
    expect(await status('Charging')).toEqual(known('ac'));
    expect(await status('Unknown')).toMatchObject({ available: false, reason: expect.stringContaining('"Unknown"') });
  });

  test('two batteries of different sizes are weighed by energy, not averaged', async () => {
    const r = await read({
      AC: { type: 'Mains', online: '0' },
      BAT0: { type: 'Battery', status: 'Discharging', capacity: '50', energy_now: '10000000', energy_full: '20000000' },
      BAT1: { type: 'Battery', status: 'Discharging', capacity: '13', energy_now: '10000000', energy_full: '80000000' },
    });
    expect(r.battery).toEqual(known({ level: 0.2, charging: false }));
  });

  test('charge_now/charge_full serve when energy_* are missing', async () => {
    const r = await read({ BAT0: { type: 'Battery', status: 'Discharging', capacity: '99', charge_now: '1500000', charge_full: '3000000' } });
    expect(r.battery).toEqual(known({ level: 0.5, charging: false }));
  });

  test("a wireless mouse's battery does not power the machine", async () => {
    const r = await read({ AC: { type: 'Mains', online: '1' }, hidpp_battery_0: { type: 'Battery', scope: 'Device', status: 'Discharging', capacity: '5' } });
    expect(r.power).toEqual(known('ac'));
    expect(r.battery).toEqual({ available: false, reason: 'no battery' });
  });

  test('a desktop or container with no supplies says so instead of guessing AC', async () => {
    const root = sysfsTree({});
    const r = await new LinuxPowerProbe({ root }).read();
    expect(r.power).toEqual({ available: false, reason: `no power supply in ${root}` });
    expect(r.battery).toMatchObject({ available: false });
    const missing = await new LinuxPowerProbe({ root: join(root, 'does-not-exist') }).read();
    expect(missing.power).toMatchObject({ available: false });
  });

  test('malformed files make a reading unavailable, not wrong', async () => {
    const r = await read({ AC: { type: 'Mains', online: '0' }, BAT0: { type: 'Battery', status: 'Discharging', capacity: 'lots' } });
    expect(r.power).toEqual(known('battery'));
    expect(r.battery).toMatchObject({ available: false, reason: expect.stringContaining('capacity') });
    const over = await read({ BAT0: { type: 'Battery', status: 'Discharging', capacity: '250' } });
    expect(over.battery).toMatchObject({ available: false });
    const weird = await read({ AC: { type: 'Mains', online: 'maybe' } });
    expect(weird.power).toMatchObject({ available: false });
  });

  test('an offline mains entry and no battery is not "on battery"', async () => {
    const r = await read({ AC: { type: 'Mains', online: '0' } });
    expect(r.power).toMatchObject({ available: false, reason: expect.stringContaining('offline') });
  });
});
