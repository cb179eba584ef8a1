// A probe that replays a scripted timeline (simulated-timeline.ts) against a clock, so tests
// and demos can drain a battery or fill a GPU on cue. Put it in a ProbeSet like any probe; it
// reports only the signals its script names, so it can stand alone or sit over real probes.
import { ProbeSet, type ProbeSetOptions } from './probe-set.js';
import type { Probe } from './probes/probe.js';
import { known, unavailable, type Reading, type SignalName, type Signals } from './signals.js';
import { TIMELINE_FIELDS, loadTimeline, valuesAt, type Timeline } from './simulated-timeline.js';

export { TimelineError, loadTimeline, parseTimeline, type Timeline, type TimelineEntry } from './simulated-timeline.js';

export interface SimulatedProbeOptions {
  now?: () => number; // ms; the script's second 0 is the first reading of this clock
}

export class SimulatedProbe implements Probe {
  readonly name = 'simulated';
  readonly provides: readonly SignalName[];
  private readonly now: () => number;
  private startedAt: number;

  constructor(
    readonly timeline: Timeline,
    options: SimulatedProbeOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.provides = signalsNamedBy(timeline);
  }

  /** Plays the script again from second 0. */
  restart(): void {
    this.startedAt = this.now();
  }

  /** Seconds into the script (before looping). */
  elapsedSeconds(): number {
    return (this.now() - this.startedAt) / 1000;
  }

  async read(): Promise<Partial<Signals>> {
    return this.signalsAt(this.elapsedSeconds());
  }

  signalsAt(seconds: number): Partial<Signals> {
    const v = valuesAt(this.timeline, seconds);
    const notYet = unavailable(`${this.timeline.source}: not set by the script yet`);
    const off = unavailable(`${this.timeline.source}: unavailable in the script`);
    // undefined: not set yet; null: set to unavailable; otherwise the value.
    const reading = <T>(x: T | null | undefined): Reading<T> => (x === undefined ? notYet : x === null ? off : known(x));
    const out: Partial<Signals> = {};
    const names = new Set(this.provides);
    if (names.has('power')) out.power = reading(v.power);
    if (names.has('battery')) {
      out.battery =
        v.battery === undefined ? notYet : v.battery === null ? off : known({ level: v.battery, charging: v.charging ?? v.power === 'ac' });
    }
    if (names.has('gpuOthers')) out.gpuOthers = reading(v.gpuOthers);
    if (names.has('gpuUtilisation')) out.gpuUtilisation = reading(v.gpuUtilisation);
    if (names.has('gpuTemperature')) out.gpuTemperature = reading(v.gpuTemperature);
    if (names.has('thermal')) out.thermal = reading(v.thermal);
    if (names.has('cpuLoad')) out.cpuLoad = reading(v.cpuLoad);
    if (names.has('cpuSpeedLimit')) out.cpuSpeedLimit = reading(v.cpuSpeedLimit);
    return out;
  }
}

/** A ProbeSet that plays the script file; what `--simulate-power FILE.json` starts. */
export async function createSimulatedSource(path: string, options: ProbeSetOptions & SimulatedProbeOptions = {}): Promise<{ probe: SimulatedProbe; source: ProbeSet }> {
  const probe = new SimulatedProbe(await loadTimeline(path), options);
  return { probe, source: new ProbeSet([probe], options) };
}

function signalsNamedBy(timeline: Timeline): SignalName[] {
  const named = new Set<SignalName>();
  for (const entry of timeline.entries) {
    for (const key of TIMELINE_FIELDS) {
      if (!(key in entry)) continue;
      // "charging" is part of the battery signal
      named.add(key === 'charging' ? 'battery' : key);
    }
  }
  return [...named];
}
