// A small chart of the last minutes: the chain count the policy chose (a step line), battery level
// and others' GPU use (0-100%), and shaded stretches on battery power. Plain SVG; the numbers are
// in policy-chart-geometry.ts, and a sentence describes the same history for screen readers.
import type { PolicyPoint } from '../bridge/types.js';
import { chartShapes, describeHistory } from './policy-chart-geometry.js';

const WIDTH = 240;
const HEIGHT = 72;
const MIN_WINDOW_MS = 60_000;
const MAX_WINDOW_MS = 5 * 60_000; // what the server keeps

export function PolicyChart({ points, chainCount }: { points: PolicyPoint[]; chainCount: number }) {
  const now = points.length > 0 ? points[points.length - 1]!.t : Date.now();
  // A young history fills the chart instead of sitting in a corner of five empty minutes.
  const span = points.length > 0 ? now - points[0]!.t : 0;
  const windowMs = Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, Math.ceil(span / MIN_WINDOW_MS) * MIN_WINDOW_MS));
  const shapes = chartShapes(points, { width: WIDTH, height: HEIGHT, chainCount, now, windowMs });
  return (
    <figure className="policy-chart" aria-label="Chain policy history">
      <svg role="img" aria-label={describeHistory(points, chainCount)} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width="100%" preserveAspectRatio="none">
        {shapes.onBattery.map((band, i) => (
          <rect key={i} className="chart-battery-band" x={band.x} y={0} width={band.width} height={HEIGHT} />
        ))}
        <path className="chart-battery" d={shapes.battery} fill="none" />
        <path className="chart-gpu" d={shapes.gpuOthers} fill="none" />
        <path className="chart-chains" d={shapes.chains} fill="none" />
      </svg>
      <figcaption className="chart-legend">
        <span className="legend-chains">chains (1–{chainCount})</span>
        <span className="legend-battery">battery %</span>
        <span className="legend-gpu">GPU, others %</span>
        <span className="legend-band">on battery</span>
        <span className="legend-span">last {windowMs / MIN_WINDOW_MS} min</span>
      </figcaption>
    </figure>
  );
}
