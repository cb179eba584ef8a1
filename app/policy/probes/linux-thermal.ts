// Thermal state on Linux, from /sys/class/thermal/thermal_zone*/{type,temp,trip_point_N_*}.
// Linux has no single "thermal pressure" value like macOS, so the hottest zone is mapped onto
// the same four states. Electron's powerMonitor, where it reports a state, takes precedence
// (list it first in the ProbeSet); this is the fallback.
//
// Mapping (documented in README.md), for the hottest zone:
//   fixed thresholds   fair >= 70 C, serious >= 85 C, critical >= 95 C
//   the zone's trips   serious at or above a "passive" trip (the kernel starts throttling there),
//                      critical within 5 C of a "hot" or "critical" trip (the kernel shuts down
//                      at "critical"; waiting for it would be too late)
// The worse of the two wins. Trips under 50 C are ignored: some ACPI tables carry nonsense trips.
import { join } from 'node:path';

import { known, unavailable, type Signals, type ThermalState } from '../signals.js';
import { listDirectory, readTextFile } from './command-runner.js';
import type { DirectoryLister, Probe, TextFileReader } from './probe.js';

export interface ThermalThresholds {
  fair: number; // degrees Celsius
  serious: number;
  critical: number;
}

export const DEFAULT_THERMAL_THRESHOLDS: ThermalThresholds = { fair: 70, serious: 85, critical: 95 };

const CRITICAL_TRIP_MARGIN = 5; // degrees below a hot/critical trip that already count as critical
const LOWEST_BELIEVABLE_TRIP = 50;
// Zones that read 0 or absurd values are unpopulated sensors, not a cold or melting machine.
const BELIEVABLE_TEMPERATURE = { min: 1, max: 150 };

const ORDER: ThermalState[] = ['nominal', 'fair', 'serious', 'critical'];

export interface LinuxThermalProbeOptions {
  root?: string; // default /sys/class/thermal
  thresholds?: ThermalThresholds;
  readText?: TextFileReader;
  listDir?: DirectoryLister;
}

interface Zone {
  celsius: number;
  state: ThermalState;
}

export class LinuxThermalProbe implements Probe {
  readonly name = 'linux-thermal';
  readonly provides = ['thermal'] as const;
  private readonly root: string;
  private readonly thresholds: ThermalThresholds;
  private readonly readText: TextFileReader;
  private readonly listDir: DirectoryLister;

  constructor(options: LinuxThermalProbeOptions = {}) {
    this.root = options.root ?? '/sys/class/thermal';
    this.thresholds = options.thresholds ?? DEFAULT_THERMAL_THRESHOLDS;
    this.readText = options.readText ?? readTextFile;
    this.listDir = options.listDir ?? listDirectory;
  }

  async read(): Promise<Partial<Signals>> {
    const names = (await this.listDir(this.root)).filter((n) => /^thermal_zone\d+$/.test(n)).sort();
    const zones = (await Promise.all(names.map((n) => this.readZone(n)))).filter((z): z is Zone => z !== undefined);
    if (zones.length === 0) return { thermal: unavailable(`no readable thermal zone in ${this.root}`) };
    const worst = zones.reduce((a, b) => (ORDER.indexOf(b.state) > ORDER.indexOf(a.state) || (b.state === a.state && b.celsius > a.celsius) ? b : a));
    return { thermal: known(worst.state) };
  }

  private async readZone(name: string): Promise<Zone | undefined> {
    const dir = join(this.root, name);
    const text = async (file: string) => (await this.readText(join(dir, file)))?.trim();
    const celsius = milliCelsius(await text('temp'));
    if (celsius === undefined || celsius < BELIEVABLE_TEMPERATURE.min || celsius > BELIEVABLE_TEMPERATURE.max) return undefined;
    let state = stateFromThresholds(celsius, this.thresholds);
    for (const trip of await this.readTrips(dir)) {
      if (trip.celsius < LOWEST_BELIEVABLE_TRIP) continue;
      if ((trip.type === 'hot' || trip.type === 'critical') && celsius >= trip.celsius - CRITICAL_TRIP_MARGIN) state = worse(state, 'critical');
      if (trip.type === 'passive' && celsius >= trip.celsius) state = worse(state, 'serious');
    }
    return { celsius, state };
  }

  private async readTrips(dir: string): Promise<{ type: string; celsius: number }[]> {
    const files = (await this.listDir(dir)).filter((f) => /^trip_point_\d+_type$/.test(f));
    const trips = await Promise.all(
      files.map(async (file) => {
        const type = (await this.readText(join(dir, file)))?.trim();
        const celsius = milliCelsius((await this.readText(join(dir, file.replace(/_type$/, '_temp'))))?.trim());
        return type !== undefined && celsius !== undefined ? { type, celsius } : undefined;
      }),
    );
    return trips.filter((t): t is { type: string; celsius: number } => t !== undefined);
  }
}

export function stateFromThresholds(celsius: number, t: ThermalThresholds): ThermalState {
  if (celsius >= t.critical) return 'critical';
  if (celsius >= t.serious) return 'serious';
  if (celsius >= t.fair) return 'fair';
  return 'nominal';
}

function worse(a: ThermalState, b: ThermalState): ThermalState {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

function milliCelsius(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) / 1000 : undefined;
}
