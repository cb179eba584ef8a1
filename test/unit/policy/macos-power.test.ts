// The macOS probe reading recorded `pmset -g batt` and `pmset -g therm` output.
import { describe, expect, test } from 'vitest';

import { MacosPowerProbe, parsePmsetBatt, parsePmsetTherm } from '../../../app/policy/probes/macos-power.js';
import { known } from '../../../app/policy/signals.js';
import { fakeRunner, missingBinary } from './fake-runner.js';

const batt = (source: string, line?: string) => `Now drawing from '${source}'\n${line ? ` -InternalBattery-0 (id=4522083)\t${line}\n` : ''}`;

describe('parsePmsetBatt', () => {
  test('on battery at 28%', () => {
    expect(parsePmsetBatt(batt('Battery Power', '28%; discharging; 2:12 remaining present: true'))).toEqual({
      power: known('battery'),
      battery: known({ level: 0.28, charging: false }),
    });
  });

  test('charging, finishing, charged and held on AC', () => {
    expect(parsePmsetBatt(batt('AC Power', '64%; charging; 1:02 remaining present: true')).battery).toEqual(known({ level: 0.64, charging: true }));
    expect(parsePmsetBatt(batt('AC Power', '98%; finishing charge; 0:05 remaining present: true')).battery).toEqual(known({ level: 0.98, charging: true }));
    expect(parsePmsetBatt(batt('AC Power', '100%; charged; 0:00 remaining present: true')).battery).toEqual(known({ level: 1, charging: false }));
    const held = parsePmsetBatt(batt('AC Power', '80%; AC attached; not charging present: true'));
    expect(held).toEqual({ power: known('ac'), battery: known({ level: 0.8, charging: false }) });
  });

  test('no estimate yet still reads the level', () => {
    expect(parsePmsetBatt(batt('Battery Power', '85%; discharging; (no estimate) present: true')).battery).toEqual(known({ level: 0.85, charging: false }));
  });

  test('a desktop Mac has power but no battery', () => {
    expect(parsePmsetBatt("Now drawing from 'AC Power'\n")).toEqual({ power: known('ac'), battery: { available: false, reason: 'no battery' } });
  });

  test('a UPS running the Mac is a battery', () => {
    expect(parsePmsetBatt(batt('UPS Power')).power).toEqual(known('battery'));
  });

  test('malformed output is unavailable, never a guess', () => {
    expect(parsePmsetBatt('pmset: unknown command')).toEqual({
      power: { available: false, reason: 'pmset output has no "Now drawing from" line' },
      battery: { available: false, reason: 'no battery' },
    });
    expect(parsePmsetBatt("Now drawing from 'Solar Power'").power).toMatchObject({ available: false, reason: expect.stringContaining('Solar Power') });
    expect(parsePmsetBatt(batt('Battery Power', 'lots; discharging; present: true')).battery).toMatchObject({ available: false });
    expect(parsePmsetBatt(batt('Battery Power', '128%; discharging; present: true')).battery).toMatchObject({ available: false });
    expect(parsePmsetBatt(batt('AC Power', '0%; charging; present: false')).battery).toEqual({ available: false, reason: 'battery not present' });
  });
});

describe('parsePmsetTherm', () => {
  test('a recorded CPU speed limit', () => {
    expect(parsePmsetTherm('CPU_Scheduler_Limit \t= 100\nCPU_Available_CPUs \t= 8\nCPU_Speed_Limit \t= 67\n')).toEqual(known(67));
  });
  test('nothing recorded: unavailable', () => {
    expect(parsePmsetTherm('Note: No thermal warning level has been recorded\nNote: No CPU power status has been recorded\n')).toMatchObject({ available: false });
  });
});

describe('MacosPowerProbe', () => {
  test('runs pmset for battery and thermal and merges both', async () => {
    const run = fakeRunner((_c, args) => (args[1] === 'batt' ? batt('Battery Power', '28%; discharging; 2:12 remaining present: true') : 'CPU_Speed_Limit \t= 50\n'));
    const r = await new MacosPowerProbe({ run }).read();
    expect(run.calls).toEqual(['pmset -g batt', 'pmset -g therm']);
    expect(r).toEqual({ power: known('battery'), battery: known({ level: 0.28, charging: false }), cpuSpeedLimit: known(50) });
  });

  test('without pmset every signal says why', async () => {
    const r = await new MacosPowerProbe({ run: fakeRunner(missingBinary) }).read();
    expect(r.power).toEqual({ available: false, reason: 'pmset not found' });
    expect(r.battery).toEqual({ available: false, reason: 'pmset not found' });
    expect(r.cpuSpeedLimit).toEqual({ available: false, reason: 'pmset not found' });
  });
});
