// Golden logits made by the PyTorch reference (reference/make_fixtures.py, float64 ground truth).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Golden {
  name: string;
  model: string; // path relative to the repo root
  tokens: number[];
  chains: number;
  kvSharing: boolean;
  /** logits[k][p]: sub-model k's full forward at position p (V floats). */
  logits: Record<string, number[][]>;
}

export function loadGoldens(): Golden[] {
  const dir = resolve('test/fixtures/golden');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const g = JSON.parse(readFileSync(resolve(dir, f), 'utf8'));
      return { name: f.replace(/\.json$/, ''), model: resolve(g.model), tokens: g.tokens, chains: g.chains, kvSharing: g.kv_sharing, logits: g.logits };
    });
}

/**
 * The tolerance of the engine (float32 math) against the float64 reference:
 * |engine - reference| <= ATOL + RTOL * |reference| for every logit.
 */
export const ATOL = 1e-4;
export const RTOL = 1e-4;

/** Largest |a - b| over a row; throws with the position when a value is outside the tolerance. */
export function compareRow(actual: ArrayLike<number>, expected: readonly number[], what: string): number {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} logits, expected ${expected.length}`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const d = Math.abs(actual[i]! - e);
    if (!(d <= ATOL + RTOL * Math.abs(e))) throw new Error(`${what}: logit ${i} is ${actual[i]}, reference ${e}`);
    worst = Math.max(worst, d);
  }
  return worst;
}
