// The Linux thermal-zone fallback: the hottest zone mapped to a state by fixed thresholds and by
// the zone's own trip points.
import { afterAll, describe, expect, test } from 'vitest';

import { LinuxThermalProbe, stateFromThresholds, DEFAULT_THERMAL_THRESHOLDS } from '../../../app/policy/probes/linux-thermal.js';
import { known } from '../../../app/policy/signals.js';
import { removeTrees, sysfsTree, type Tree } from './sysfs-tree.js';

afterAll(removeTrees);

const read = async (tree: Tree, thresholds = DEFAULT_THERMAL_THRESHOLDS) => (await new LinuxThermalProbe({ root: sysfsTree(tree), thresholds }).read()).thermal;
const zone = (celsius: number, extra: Record<string, string> = {}) => ({ type: 'x86_pkg_temp', temp: String(Math.round(celsius * 1000)), ...extra });

describe('LinuxThermalProbe', () => {
  test('fixed thresholds: 70 fair, 85 serious, 95 critical', () => {
    const t = DEFAULT_THERMAL_THRESHOLDS;
    expect([60, 70, 84.9, 85, 94, 95].map((c) => stateFromThresholds(c, t))).toEqual(['nominal', 'fair', 'fair', 'serious', 'serious', 'critical']);
  });

  test('the hottest zone decides', async () => {
    expect(await read({ thermal_zone0: zone(45), thermal_zone1: zone(88), thermal_zone2: zone(72) })).toEqual(known('serious'));
    expect(await read({ thermal_zone0: zone(45) })).toEqual(known('nominal'));
    expect(await read({ thermal_zone0: zone(45), thermal_zone1: zone(72) })).toEqual(known('fair'));
  });

  test('a passive trip means the kernel throttles: serious below the fixed threshold', async () => {
    expect(await read({ thermal_zone0: zone(82, { trip_point_0_type: 'passive', trip_point_0_temp: '80000' }) })).toEqual(known('serious'));
    expect(await read({ thermal_zone0: zone(78, { trip_point_0_type: 'passive', trip_point_0_temp: '80000' }) })).toEqual(known('fair'));
  });

  test('within 5 C of a critical trip is critical, before the kernel shuts down', async () => {
    const trip = { trip_point_0_type: 'critical', trip_point_0_temp: '95000' };
    expect(await read({ thermal_zone0: zone(90, trip) })).toEqual(known('critical'));
    expect(await read({ thermal_zone0: zone(89, trip) })).toEqual(known('serious'));
  });

  test('nonsense trips under 50 C are ignored', async () => {
    expect(await read({ thermal_zone0: zone(45, { trip_point_0_type: 'passive', trip_point_0_temp: '30000' }) })).toEqual(known('nominal'));
  });

  test('custom thresholds', async () => {
    expect(await read({ thermal_zone0: zone(65) }, { fair: 50, serious: 60, critical: 70 })).toEqual(known('serious'));
  });

  test('no zones, or only unpopulated ones: unavailable', async () => {
    expect(await read({})).toMatchObject({ available: false, reason: expect.stringContaining('no readable thermal zone') });
    expect(await read({ thermal_zone0: { type: 'acpitz', temp: '0' }, thermal_zone1: { type: 'iwlwifi' }, cooling_device0: { type: 'Fan' } })).toMatchObject({
      available: false,
    });
    expect(await read({ thermal_zone0: { type: 'acpitz', temp: 'N/A' } })).toMatchObject({ available: false });
  });
});
