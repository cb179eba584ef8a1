// The policy's history (a point per snapshot, each with every signal) cut down to what the chart
// draws: the last few minutes, a handful of numbers per point. It travels with every state push,
// so it is kept small: 5 minutes at one point per 2 s is 150 points of six fields.
import type { PolicyHistoryPoint } from '../policy/controller.js';
import type { Reading } from '../policy/signals.js';
import type { PolicyPoint } from './policy-view.js';

export const CHART_WINDOW_MS = 5 * 60_000;

export function compactHistory(points: readonly PolicyHistoryPoint[], now: number, windowMs = CHART_WINDOW_MS): PolicyPoint[] {
  const oldest = now - windowMs;
  const out: PolicyPoint[] = [];
  for (const p of points) {
    if (p.time < oldest) continue;
    const battery = valueOrNull(p.signals.battery);
    out.push({
      t: p.time,
      chains: p.chains,
      power: valueOrNull(p.signals.power),
      battery: battery === null ? null : round(battery.level),
      gpuOthers: nullable(valueOrNull(p.signals.gpuOthers), round),
      thermal: valueOrNull(p.signals.thermal),
    });
  }
  return out;
}

function valueOrNull<T>(reading: Reading<T>): T | null {
  return reading.available ? reading.value : null;
}

function nullable<T, R>(value: T | null, f: (v: T) => R): R | null {
  return value === null ? null : f(value);
}

// Three decimals: a tenth of a percent is finer than any battery or GPU counter reports.
function round(share: number): number {
  return Math.round(share * 1000) / 1000;
}
