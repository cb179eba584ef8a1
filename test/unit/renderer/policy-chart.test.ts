// The chain policy chart's geometry and its description: the count as a step line, signals as
// lines with gaps where unreadable, battery stretches as bands, and the same story in words.
import { expect, test } from 'vitest';

import type { PolicyPoint } from '../../../renderer/bridge/types.js';
import { chartShapes, describeHistory } from '../../../renderer/components/policy-chart-geometry.js';
import { formFromRules, rulesFromForm } from '../../../renderer/components/rules-form.js';
import { fakePolicyView } from './fake-bridge.js';

const point = (t: number, chains: number, more: Partial<PolicyPoint> = {}): PolicyPoint => ({ t, chains, power: 'ac', battery: 0.9, gpuOthers: 0.1, thermal: null, ...more });
const frame = { width: 100, height: 50, chainCount: 4, now: 100_000, windowMs: 100_000 };

test('the chain count is a step line that holds until the next decision and runs to now', () => {
  const shapes = chartShapes([point(0, 4), point(50_000, 1), point(60_000, 1)], frame);
  // 4 chains at the top (y = pad 4), 1 at the bottom (y = 50 - 4).
  expect(shapes.chains).toBe('M0,4H50V46H60V46H100');
});

test('signals are lines on 0-100%, broken where a reading was unavailable', () => {
  const shapes = chartShapes([point(0, 4, { battery: 1 }), point(20_000, 4, { battery: null }), point(40_000, 4, { battery: 0.5 }), point(60_000, 4, { battery: 0.2 })], frame);
  expect(shapes.battery).toBe('M0,0M40,25L60,40');
  expect(shapes.gpuOthers).toBe('M0,45L20,45L40,45L60,45');
});

test('stretches on battery power are bands, open to now when still on battery', () => {
  const points = [point(0, 4), point(10_000, 3, { power: 'battery' }), point(30_000, 4), point(80_000, 1, { power: 'battery' })];
  expect(chartShapes(points, frame).onBattery).toEqual([
    { x: 10, width: 20 },
    { x: 80, width: 20 },
  ]);
});

test('points older than the window are clipped to its left edge, the one before it kept for the step', () => {
  const shapes = chartShapes([point(-50_000, 2), point(-20_000, 3), point(30_000, 4)], frame);
  expect(shapes.chains).toBe('M0,18H30V4H100'); // 3 chains from the left edge, then 4
});

test('the description says how the count and the signals moved', () => {
  const points = [point(0, 4, { battery: 0.9, gpuOthers: 0.05 }), point(120_000, 1, { power: 'battery', battery: 0.2, gpuOthers: 0.05 })];
  expect(describeHistory(points, 4)).toBe('Last 2 minutes: chains 4 → 1 of 4; battery 90% → 20%; GPU use by others 5%; now on battery.');
  expect(describeHistory([], 4)).toBe('No chain policy history yet.');
});

test('the rules editor speaks percent and seconds, the policy shares and milliseconds, both ways', () => {
  const rules = fakePolicyView().rules;
  const form = formFromRules(rules);
  expect(form).toMatchObject({ lowBatteryBelow: 30, lowBatteryAbove: 35, gpuAbove: 70, gpuBelow: 60, dwellSeconds: 10 });
  expect(rulesFromForm(form, rules)).toEqual(rules);
  expect(rulesFromForm({ ...form, lowBatteryBelow: 22.5, dwellSeconds: 2.5 }, rules)).toMatchObject({ lowBattery: { enterBelow: 0.225, criticalBelow: 0.1 }, dwellMs: 2500 });
});
