// How much of the machine the engine host itself used, measured in the host and reported to the
// parent about every 2 s. The parent's probes subtract it (app/policy/probes/engine-load.ts), so
// our own decode is never read as "someone else is busy", which would shrink the very model that
// makes the machine busy.
//
// CPU: this process's CPU time (process.cpuUsage) over wall time and all cores, the same scale as
// os.cpus() that the CPU probe reads. GPU: the share of wall time a generation ran on a GPU
// backend (0 while the engine runs on the CPU). A window in which no generation ran reports zeros:
// the host's idle bookkeeping is nobody's load worth subtracting.
import { cpus } from 'node:os';

import type { EngineLoadReport } from './protocol.js';

export interface BusyMeterOptions {
  cores?: number;
  now?: () => number; // ms
  cpuUsage?: () => { user: number; system: number }; // µs, like process.cpuUsage()
}

export class BusyMeter {
  private readonly cores: number;
  private readonly now: () => number;
  private readonly cpuUsage: () => { user: number; system: number };
  private windowStart: number;
  private cpuAtStart: number; // µs
  private running: { since: number; onGpu: boolean } | null = null;
  private active = 0; // generations between begin() and end(): a newer one may begin before an older one has ended
  private ranInWindow = false;
  private gpuBusyMs = 0;

  constructor(options: BusyMeterOptions = {}) {
    this.cores = Math.max(1, options.cores ?? cpus().length);
    this.now = options.now ?? Date.now;
    this.cpuUsage = options.cpuUsage ?? (() => process.cpuUsage());
    this.windowStart = this.now();
    this.cpuAtStart = this.cpuMicros();
  }

  /** A generation began; `onGpu` when its model runs on a GPU backend. */
  begin(onGpu: boolean): void {
    this.ranInWindow = true;
    if (this.active++ === 0) this.running = { since: this.now(), onGpu };
  }

  end(): void {
    if (this.active === 0 || --this.active > 0 || !this.running) return;
    if (this.running.onGpu) this.gpuBusyMs += this.now() - this.running.since;
    this.running = null;
  }

  /** Shares since the previous report, and a new window from now. */
  report(): EngineLoadReport {
    const now = this.now();
    const cpu = this.cpuMicros();
    const wallMs = now - this.windowStart;
    if (this.running) {
      if (this.running.onGpu) this.gpuBusyMs += now - this.running.since;
      this.running.since = now;
    }
    const busy = this.ranInWindow || this.running !== null;
    const load =
      busy && wallMs > 0
        ? { cpuShare: share((cpu - this.cpuAtStart) / 1000 / (wallMs * this.cores)), gpuShare: share(this.gpuBusyMs / wallMs) }
        : { cpuShare: 0, gpuShare: 0 };
    this.windowStart = now;
    this.cpuAtStart = cpu;
    this.gpuBusyMs = 0;
    this.ranInWindow = this.running !== null;
    return load;
  }

  private cpuMicros(): number {
    const u = this.cpuUsage();
    return u.user + u.system;
  }
}

function share(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
