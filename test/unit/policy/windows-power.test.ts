// The Windows probe reading recorded PowerShell/Win32_Battery JSON, and its rate limit.
import { describe, expect, test } from 'vitest';

import { WindowsPowerProbe, parseWin32Battery } from '../../../app/policy/probes/windows-power.js';
import { known } from '../../../app/policy/signals.js';
import { fakeRunner, missingBinary } from './fake-runner.js';

describe('parseWin32Battery', () => {
  test('discharging at 28%', () => {
    expect(parseWin32Battery('{"BatteryStatus":1,"EstimatedChargeRemaining":28}\r\n')).toEqual({
      power: known('battery'),
      battery: known({ level: 0.28, charging: false }),
    });
  });

  test('on AC, and charging', () => {
    expect(parseWin32Battery('{"BatteryStatus":2,"EstimatedChargeRemaining":100}')).toEqual({ power: known('ac'), battery: known({ level: 1, charging: false }) });
    expect(parseWin32Battery('{"BatteryStatus":6,"EstimatedChargeRemaining":40}').battery).toEqual(known({ level: 0.4, charging: true }));
  });

  test('two batteries: an array, levels averaged', () => {
    const r = parseWin32Battery('[{"BatteryStatus":1,"EstimatedChargeRemaining":20},{"BatteryStatus":1,"EstimatedChargeRemaining":60}]');
    expect(r.power).toEqual(known('battery'));
    expect(r.battery).toEqual(known({ level: 0.4, charging: false }));
  });

  test('a desktop prints nothing: unavailable, not "AC"', () => {
    expect(parseWin32Battery('\r\n')).toEqual({
      power: { available: false, reason: 'no battery reported by Win32_Battery' },
      battery: { available: false, reason: 'no battery reported by Win32_Battery' },
    });
  });

  test('statuses that do not say where power comes from, and garbage', () => {
    const partial = parseWin32Battery('{"BatteryStatus":11,"EstimatedChargeRemaining":55}');
    expect(partial.power).toMatchObject({ available: false });
    expect(partial.battery).toEqual(known({ level: 0.55, charging: false }));
    expect(parseWin32Battery('Get-CimInstance : Access denied').power).toMatchObject({ available: false, reason: expect.stringContaining('cannot parse') });
    expect(parseWin32Battery('{"BatteryStatus":1,"EstimatedChargeRemaining":null}').battery).toMatchObject({ available: false });
  });
});

describe('WindowsPowerProbe', () => {
  test('asks PowerShell at most every minIntervalMs', async () => {
    let now = 0;
    const run = fakeRunner(() => '{"BatteryStatus":1,"EstimatedChargeRemaining":28}');
    const probe = new WindowsPowerProbe({ run, now: () => now, minIntervalMs: 15_000 });
    await probe.read();
    now = 10_000;
    expect((await probe.read()).power).toEqual(known('battery'));
    expect(run.calls).toHaveLength(1);
    now = 15_000;
    await probe.read();
    expect(run.calls).toHaveLength(2);
    expect(run.calls[0]).toMatch(/^powershell\.exe -NoProfile -NonInteractive -Command Get-CimInstance -ClassName Win32_Battery/);
  });

  test('no PowerShell: unavailable with the reason', async () => {
    const r = await new WindowsPowerProbe({ run: fakeRunner(missingBinary) }).read();
    expect(r.power).toEqual({ available: false, reason: 'powershell not found' });
  });
});
