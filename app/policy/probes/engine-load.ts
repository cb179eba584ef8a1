// The engine's own share of the CPU and GPU, as the engine host reports it. Other probes
// subtract it, so our own decode is never mistaken for "someone else is using the machine"
// (which would make the policy shrink the model because the model is running).
//
// The host calls report() every poll interval or so, with zeros while idle. Until the first
// report the engine is taken as idle: the app starts the engine, so before that it used nothing.
// A report older than staleAfterMs means the host stopped talking (hung or crashed mid-decode);
// then our share is unknown, and probes that need it say so instead of subtracting a stale number.
import { known, unavailable, type EngineLoad, type Reading, type Signals } from '../signals.js';
import type { Probe } from './probe.js';

export interface EngineLoadMeterOptions {
  staleAfterMs?: number; // default 10 000
  now?: () => number;
}

export class EngineLoadMeter implements Probe {
  readonly name = 'engine-load';
  readonly provides = ['engineLoad'] as const;
  private last: { load: EngineLoad | undefined; at: number } | undefined; // load undefined: a report that was not numbers
  private readonly staleAfterMs: number;
  private readonly now: () => number;

  constructor(options: EngineLoadMeterOptions = {}) {
    this.staleAfterMs = options.staleAfterMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Shares outside 0..1 are clamped: a report a little over 1 is rounding, not a second machine. */
  report(load: EngineLoad): void {
    const numbers = Number.isFinite(load.cpuShare) && Number.isFinite(load.gpuShare);
    this.last = { load: numbers ? { cpuShare: clampShare(load.cpuShare), gpuShare: clampShare(load.gpuShare) } : undefined, at: this.now() };
  }

  current(): Reading<EngineLoad> {
    if (!this.last) return known({ cpuShare: 0, gpuShare: 0 });
    const age = this.now() - this.last.at;
    if (age > this.staleAfterMs) return unavailable(`engine host has not reported its load for ${Math.round(age / 1000)} s`);
    if (!this.last.load) return unavailable('engine host reported a load that is not a number');
    return known(this.last.load);
  }

  async read(): Promise<Partial<Signals>> {
    return { engineLoad: this.current() };
  }
}

function clampShare(x: number): number {
  return Math.min(1, Math.max(0, x));
}
