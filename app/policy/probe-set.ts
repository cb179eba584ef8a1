// Polls every probe on an interval, merges what they say into one snapshot of Signals, and hands
// it to listeners. A probe that throws, returns nonsense or hangs costs only its own signals,
// which become "unavailable" with the reason; the set itself never throws and never stalls.
import type { Probe } from './probes/probe.js';
import { SIGNAL_NAMES, markUnavailable, unavailable, type Reading, type SignalName, type SignalSnapshot, type Signals } from './signals.js';

export interface ProbeSetOptions {
  intervalMs?: number; // default 2000
  timeoutMs?: number; // per probe read unless the probe sets its own; default 1500, below the interval
  now?: () => number;
}

export type SnapshotListener = (snapshot: SignalSnapshot) => void;

/** Anything that emits snapshots: a ProbeSet over real probes, or one over the simulated source. */
export interface SnapshotSource {
  start(): void;
  stop(): void;
  onSnapshot(listener: SnapshotListener): () => void;
  latest(): SignalSnapshot | undefined;
}

export class ProbeSet implements SnapshotSource {
  readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly listeners = new Set<SnapshotListener>();
  // A read that outlived its timeout stays here until it settles; the probe is not asked again
  // meanwhile, so a hung probe (a stuck nvidia-smi) cannot pile up processes.
  private readonly inFlight = new Set<Probe>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private last: SignalSnapshot | undefined;

  constructor(
    private readonly probes: readonly Probe[],
    options: ProbeSetOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.timeoutMs = options.timeoutMs ?? 1500;
    this.now = options.now ?? Date.now;
  }

  /** Polls at once, then every intervalMs (measured from the start of each round). */
  start(): void {
    if (this.running) return;
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  onSnapshot(listener: SnapshotListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  latest(): SignalSnapshot | undefined {
    return this.last;
  }

  /** One round: read every probe, merge, remember, emit. Also usable without start(). */
  async poll(): Promise<SignalSnapshot> {
    const results = await Promise.all(this.probes.map((probe) => this.readProbe(probe)));
    const snapshot = { time: this.now(), ...mergeReadings(this.probes, results) };
    this.last = snapshot;
    for (const listener of this.listeners) {
      try {
        listener(snapshot);
      } catch {
        // A listener's bug must not stop the policy from seeing the next snapshot.
      }
    }
    return snapshot;
  }

  private async loop(): Promise<void> {
    if (!this.running) return;
    const started = this.now();
    await this.poll();
    if (!this.running) return;
    const wait = Math.max(0, this.intervalMs - (this.now() - started));
    this.timer = setTimeout(() => void this.loop(), wait);
    // The policy watches the machine; it is no reason to keep a finished process alive.
    this.timer.unref?.();
  }

  private async readProbe(probe: Probe): Promise<Partial<Signals>> {
    if (this.inFlight.has(probe)) return markUnavailable(probe.provides, `${probe.name}: still waiting for its previous read`);
    this.inFlight.add(probe);
    const read = (async () => probe.read())().finally(() => this.inFlight.delete(probe));
    const limitMs = probe.timeoutMs ?? this.timeoutMs;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), limitMs);
    });
    try {
      const result = await Promise.race([read, timeout]);
      if (result === 'timeout') return markUnavailable(probe.provides, `${probe.name}: no answer within ${limitMs} ms`);
      return result;
    } catch (error) {
      return markUnavailable(probe.provides, `${probe.name}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      clearTimeout(timer);
      read.catch(() => {}); // a read that fails after its timeout is already accounted for
    }
  }
}

/**
 * Probes are listed in order of trust: for each signal the first probe with an available value
 * wins (Electron's powerMonitor before /sys, NVML before nvidia-smi). When nobody can read it,
 * the first probe's reason is kept, so the UI can say why.
 */
export function mergeReadings(probes: readonly Probe[], results: readonly Partial<Signals>[]): Pick<SignalSnapshot, 'signals' | 'sources'> {
  const signals = {} as Record<SignalName, Reading<unknown>>;
  const sources: Partial<Record<SignalName, string>> = {};
  for (const name of SIGNAL_NAMES) {
    let chosen: Reading<unknown> | undefined;
    for (let i = 0; i < results.length; i++) {
      const reading = (results[i] as Record<string, unknown> | undefined)?.[name];
      if (!isReading(reading)) continue;
      if (reading.available) {
        chosen = reading;
        sources[name] = probes[i]!.name;
        break;
      }
      chosen ??= reading;
    }
    signals[name] = chosen ?? unavailable('no probe reads this on this system');
  }
  return { signals: signals as unknown as Signals, sources };
}

// A probe's result crosses a trust boundary (user plug-ins, simulated files): check the shape.
function isReading(x: unknown): x is Reading<unknown> {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as { available?: unknown; reason?: unknown };
  return r.available === true ? 'value' in r : r.available === false && typeof r.reason === 'string';
}
