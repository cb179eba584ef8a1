// The chain policy chart's shapes, computed apart from React so they can be tested as numbers:
// the chain count as a step line (it holds until the next decision), battery level and others' GPU
// use as lines on a 0-100% scale, and the stretches on battery power as bands. A signal that was
// unreadable leaves a gap, never a guessed line.
import type { PolicyPoint } from '../bridge/types.js';

export interface ChartFrame {
  width: number;
  height: number;
  chainCount: number;
  now: number; // ms: the right edge
  windowMs: number; // the left edge is now - windowMs
}

export interface ChartShapes {
  chains: string; // SVG path data
  battery: string;
  gpuOthers: string;
  onBattery: { x: number; width: number }[];
}

export function chartShapes(points: readonly PolicyPoint[], frame: ChartFrame): ChartShapes {
  const { width, height, chainCount, now, windowMs } = frame;
  const start = now - windowMs;
  const x = (t: number) => round((Math.min(Math.max(t, start), now) - start) * (width / windowMs));
  // Chains: 1..n over the full height, with a little room so n and 1 are not on the border.
  const pad = 4;
  const yChains = (k: number) => round(height - pad - ((k - 1) / Math.max(1, chainCount - 1)) * (height - 2 * pad));
  const yShare = (share: number) => round(height - Math.min(1, Math.max(0, share)) * height);

  const visible = points.filter((p, i) => p.t >= start || (points[i + 1]?.t ?? now) > start);
  let chains = '';
  visible.forEach((p, i) => {
    const y = yChains(p.chains);
    chains += i === 0 ? `M${x(p.t)},${y}` : `H${x(p.t)}V${y}`;
  });
  if (visible.length > 0) chains += `H${x(now)}`;

  return {
    chains,
    battery: linePath(visible, (p) => p.battery, x, yShare),
    gpuOthers: linePath(visible, (p) => p.gpuOthers, x, yShare),
    onBattery: batteryBands(visible, x, now),
  };
}

function linePath(points: readonly PolicyPoint[], value: (p: PolicyPoint) => number | null, x: (t: number) => number, y: (v: number) => number): string {
  let path = '';
  let drawing = false;
  for (const p of points) {
    const v = value(p);
    if (v === null) {
      drawing = false;
      continue;
    }
    path += `${drawing ? 'L' : 'M'}${x(p.t)},${y(v)}`;
    drawing = true;
  }
  return path;
}

function batteryBands(points: readonly PolicyPoint[], x: (t: number) => number, now: number): { x: number; width: number }[] {
  const bands: { x: number; width: number }[] = [];
  let from: number | null = null;
  points.forEach((p, i) => {
    if (p.power === 'battery' && from === null) from = p.t;
    const next = points[i + 1];
    const ends = next === undefined || next.power !== 'battery';
    if (from !== null && ends) {
      const until = next?.t ?? now;
      bands.push({ x: x(from), width: Math.max(1, x(until) - x(from)) });
      from = null;
    }
  });
  return bands;
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/** One sentence for screen readers: how the count and the signals moved over the window. */
export function describeHistory(points: readonly PolicyPoint[], chainCount: number): string {
  if (points.length === 0) return 'No chain policy history yet.';
  const first = points[0]!;
  const last = points[points.length - 1]!;
  const minutes = Math.max(1, Math.round((last.t - first.t) / 60_000));
  const counts: number[] = [];
  for (const p of points) if (counts[counts.length - 1] !== p.chains) counts.push(p.chains);
  const parts = [`Last ${minutes} minute${minutes === 1 ? '' : 's'}: chains ${counts.join(' → ')} of ${chainCount}`];
  const span = (v: (p: PolicyPoint) => number | null, name: string) => {
    const values = points.map(v).filter((n): n is number => n !== null);
    if (values.length === 0) return;
    const a = Math.round(values[0]! * 100);
    const b = Math.round(values[values.length - 1]! * 100);
    parts.push(a === b ? `${name} ${b}%` : `${name} ${a}% → ${b}%`);
  };
  span((p) => p.battery, 'battery');
  span((p) => p.gpuOthers, 'GPU use by others');
  if (last.power) parts.push(last.power === 'ac' ? 'now on AC' : 'now on battery');
  return parts.join('; ') + '.';
}
