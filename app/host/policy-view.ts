// The chain policy as the UI sees it: what it chose and why, whether the user left it on auto, the
// rules, and a compact history for the chart. Plain data shared with the renderer through
// type-only imports (app/policy/rules.ts is imported for its types only).
import type { Rules } from '../policy/rules.js';

export type { Rules } from '../policy/rules.js';

/** One moment of the chart: the count and the signals that matter for it; null where unreadable. */
export interface PolicyPoint {
  t: number; // ms since the epoch
  chains: number;
  power: 'ac' | 'battery' | null;
  battery: number | null; // 0..1
  gpuOthers: number | null; // 0..1
  thermal: 'nominal' | 'fair' | 'serious' | 'critical' | null;
}

export interface PolicyView {
  chains: number; // what 'auto' generations run with now
  chainCount: number; // n of the loaded model (1 while none is loaded)
  reason: string; // one line: "2/4 chains: on battery, 28%"
  auto: boolean; // false: the user pinned `chains` by hand
  rules: Rules;
  history: PolicyPoint[]; // oldest first, the last few minutes
  /** Set when `colm serve --simulate-power FILE` replays a script instead of reading the machine. */
  simulated: { file: string } | null;
  /**
   * Which GPU the GPU rules read and what they see (app/policy/gpu-summary.ts): "cuda:0 (NVIDIA
   * RTX 4070): others 12%, 6.1 of 8.0 GiB free", or "GPU 0 (...): others 12% · the model runs on
   * the CPU"; null where there is no GPU signal at all.
   */
  gpu: string | null;
}

/** What saving edited rules answers: the rules as applied, or every problem with them. */
export type RulesOutcome = { ok: true; rules: Rules } | { ok: false; errors: string[] };
