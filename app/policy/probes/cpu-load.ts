// How busy the CPU is with work that is not ours: os.cpus() time counters, differenced between
// two reads, minus the share the engine host says it used over that time. Without the
// subtraction a CPU decode would read as "the machine is busy" and the policy would shrink the
// very model that makes it busy.
import { cpus as osCpus, type CpuInfo } from 'node:os';

import { known, unavailable, type EngineLoad, type Reading, type Signals } from '../signals.js';
import type { Probe } from './probe.js';

export interface CpuLoadProbeOptions {
  cpus?: () => CpuInfo[];
  /** The engine host's own share of all cores. */
  engineLoad?: () => Reading<EngineLoad>;
}

interface CpuTotals {
  idle: number; // ms, all cores together
  total: number;
}

export class CpuLoadProbe implements Probe {
  readonly name = 'cpu-load';
  readonly provides = ['cpuLoad'] as const;
  private readonly cpus: () => CpuInfo[];
  private readonly engineLoad: () => Reading<EngineLoad>;
  private previous: CpuTotals | undefined;

  constructor(options: CpuLoadProbeOptions = {}) {
    this.cpus = options.cpus ?? osCpus;
    this.engineLoad = options.engineLoad ?? (() => unavailable('the engine host does not report its load to this probe'));
  }

  async read(): Promise<Partial<Signals>> {
    const now = totals(this.cpus());
    const before = this.previous;
    this.previous = now;
    if (now.total === 0) return { cpuLoad: unavailable('os.cpus() gives no time counters') };
    if (!before) return { cpuLoad: unavailable('needs a second sample to measure load') };
    const elapsed = now.total - before.total;
    // Counters that went backwards (a core went offline, a VM migrated) measure nothing.
    if (elapsed <= 0 || now.idle < before.idle) return { cpuLoad: unavailable('CPU time counters did not advance') };
    const busy = Math.min(1, Math.max(0, 1 - (now.idle - before.idle) / elapsed));
    const engine = this.engineLoad();
    if (!engine.available) return { cpuLoad: unavailable(`cannot separate our own load: ${engine.reason}`) };
    return { cpuLoad: known(Math.max(0, busy - engine.value.cpuShare)) };
  }
}

function totals(list: CpuInfo[]): CpuTotals {
  let idle = 0;
  let total = 0;
  for (const cpu of list) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}
