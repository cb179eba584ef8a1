// User rules: defaults fill the gaps, and every mistake comes back as an error naming the
// setting, all of them at once, so a rules editor can show them beside the fields.
import { describe, expect, test } from 'vitest';

import { DEFAULT_RULES, parseRules } from '../../../app/policy/rules.js';

function errorsOf(input: unknown): string[] {
  const result = parseRules(input);
  if (result.ok) throw new Error(`expected errors, got rules ${JSON.stringify(result.rules)}`);
  return result.errors;
}

describe('parseRules', () => {
  test('nothing given: the defaults, as a copy that can be changed safely', () => {
    const result = parseRules(undefined);
    expect(result).toEqual({ ok: true, rules: DEFAULT_RULES });
    if (result.ok) {
      result.rules.gpuBusy.fewer = 3;
      expect(DEFAULT_RULES.gpuBusy.fewer).toBe(1);
    }
  });

  test('a partial rule set is filled from the defaults', () => {
    const result = parseRules({ gpuBusy: { fewer: 2 }, dwellMs: 5000 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.rules.gpuBusy).toEqual({ ...DEFAULT_RULES.gpuBusy, fewer: 2 });
    expect(result.rules.dwellMs).toBe(5000);
    expect(result.rules.lowBattery).toEqual(DEFAULT_RULES.lowBattery);
  });

  test('a percentage where a share belongs gets a hint', () => {
    expect(errorsOf({ gpuBusy: { enterAbove: 70 } })).toEqual(['gpuBusy.enterAbove: must be a share from 0 to 1 (70% is 0.7); got 70']);
  });

  test('misspelt settings are named, with the known ones', () => {
    expect(errorsOf({ gpubusy: {} })[0]).toMatch(/^gpubusy: unknown setting \(known: onBattery, lowBattery, gpuBusy, thermal, dwellMs\)$/);
    expect(errorsOf({ lowBattery: { enterbelow: 0.2 } })[0]).toMatch(/^lowBattery\.enterbelow: unknown setting/);
  });

  test('a hysteresis band that opens the wrong way is refused', () => {
    expect(errorsOf({ lowBattery: { enterBelow: 0.4, leaveAbove: 0.35 } })).toEqual(['lowBattery: leaveAbove (0.35) must be at least enterBelow (0.4)']);
    expect(errorsOf({ gpuBusy: { enterAbove: 0.5, leaveBelow: 0.6 } })).toEqual(['gpuBusy: leaveBelow (0.6) must not be above enterAbove (0.5)']);
    expect(errorsOf({ lowBattery: { criticalBelow: 0.5 } })).toEqual(['lowBattery: criticalBelow (0.5) must not be above enterBelow (0.3)']);
    expect(errorsOf({ gpuBusy: { freeBelow: 0.2, freeLeaveAbove: 0.1 } })).toEqual(['gpuBusy: freeLeaveAbove (0.1) must be at least freeBelow (0.2)']);
    expect(errorsOf({ gpuBusy: { freeBelow: 5 } })).toEqual(['gpuBusy.freeBelow: must be a share from 0 to 1 (5% is 0.05); got 5']);
  });

  test('every error is reported, not only the first', () => {
    const errors = errorsOf({ onBattery: { enabled: 'yes', fewer: -1 }, thermal: { at: 'hot' }, dwellMs: 1.5 });
    expect(errors).toEqual([
      'onBattery.enabled: must be true or false; got "yes"',
      'onBattery.fewer: must be a whole number from 0 to 64; got -1',
      'thermal.at: must be one of "serious", "critical"; got "hot"',
      'dwellMs: must be a whole number of milliseconds from 0 to 600000; got 1.5',
    ]);
  });

  test('wrong shapes', () => {
    expect(errorsOf([])).toEqual(['rules must be an object; got an array']);
    expect(errorsOf({ thermal: 1 })).toEqual(['thermal: must be an object; got 1']);
    expect(errorsOf({ lowBattery: { chains: 0 } })).toEqual(['lowBattery.chains: must be a whole number from 1 to 64; got 0']);
  });
});
