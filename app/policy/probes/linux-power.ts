// Power source and battery on Linux, from the kernel's power-supply class:
// /sys/class/power_supply/<name>/{type,online,scope,status,capacity,energy_now,energy_full,...}.
// No daemon (UPower) needed, and it works inside `colm serve` outside Electron.
import { join } from 'node:path';

import { known, unavailable, type BatteryState, type PowerSource, type Reading, type Signals } from '../signals.js';
import { listDirectory, readTextFile } from './command-runner.js';
import type { DirectoryLister, Probe, TextFileReader } from './probe.js';

export interface LinuxPowerProbeOptions {
  root?: string; // default /sys/class/power_supply; tests point it at a temp dir
  readText?: TextFileReader;
  listDir?: DirectoryLister;
}

interface Supply {
  name: string;
  type: string;
  online: boolean | undefined; // external supplies
  status: string | undefined; // batteries: Charging, Discharging, Not charging, Full, Unknown
  level: number | undefined; // batteries: 0..1 from capacity
  energyNow: number | undefined; // batteries: energy_now or charge_now, in the supply's own unit
  energyFull: number | undefined;
}

// USB-C chargers show up as type USB (ucsi-source-psy-*), docks and pads as Wireless: each is
// a way to be on external power, not only Mains.
const EXTERNAL_TYPES = new Set(['Mains', 'USB', 'Wireless']);

export class LinuxPowerProbe implements Probe {
  readonly name = 'linux-power';
  readonly provides = ['power', 'battery'] as const;
  private readonly root: string;
  private readonly readText: TextFileReader;
  private readonly listDir: DirectoryLister;

  constructor(options: LinuxPowerProbeOptions = {}) {
    this.root = options.root ?? '/sys/class/power_supply';
    this.readText = options.readText ?? readTextFile;
    this.listDir = options.listDir ?? listDirectory;
  }

  async read(): Promise<Partial<Signals>> {
    const names = (await this.listDir(this.root)).sort();
    const supplies = (await Promise.all(names.map((name) => this.readSupply(name)))).filter((s): s is Supply => s !== undefined);
    const externals = supplies.filter((s) => EXTERNAL_TYPES.has(s.type) && s.online !== undefined);
    const batteries = supplies.filter((s) => s.type === 'Battery');
    return { power: powerSource(externals, batteries, this.root), battery: batteryState(batteries) };
  }

  private async readSupply(name: string): Promise<Supply | undefined> {
    const dir = join(this.root, name);
    const field = async (file: string) => (await this.readText(join(dir, file)))?.trim();
    const [type, scope, online, status, capacity, energyNow, energyFull, chargeNow, chargeFull] = await Promise.all(
      ['type', 'scope', 'online', 'status', 'capacity', 'energy_now', 'energy_full', 'charge_now', 'charge_full'].map(field),
    );
    if (type === undefined) return undefined;
    // A wireless mouse or a phone on USB has a battery too; scope "Device" says it does not power us.
    if (scope === 'Device') return undefined;
    const useEnergy = energyNow !== undefined && energyFull !== undefined;
    return {
      name,
      type,
      online: online === '1' ? true : online === '0' ? false : undefined,
      status,
      level: parsePercent(capacity),
      energyNow: parseCount(useEnergy ? energyNow : chargeNow),
      energyFull: parseCount(useEnergy ? energyFull : chargeFull),
    };
  }
}

function powerSource(externals: Supply[], batteries: Supply[], root: string): Reading<PowerSource> {
  if (externals.some((s) => s.online)) return known('ac');
  if (externals.length > 0 && batteries.length > 0) return known('battery');
  if (externals.length > 0) return unavailable(`external supplies are offline and there is no battery in ${root}`);
  // No readable Mains entry (some laptops have none): the battery's own status still tells.
  const statuses = batteries.map((b) => b.status);
  if (statuses.includes('Discharging')) return known('battery');
  if (statuses.some((s) => s === 'Charging' || s === 'Full' || s === 'Not charging')) return known('ac');
  if (batteries.length > 0) return unavailable(`battery status is "${statuses.join(', ')}" and there is no mains entry`);
  return unavailable(`no power supply in ${root}`);
}

function batteryState(batteries: Supply[]): Reading<BatteryState> {
  if (batteries.length === 0) return unavailable('no battery');
  const charging = batteries.some((b) => b.status === 'Charging');
  // Two batteries of different sizes: weigh by energy, as the desktop's own indicator does.
  if (batteries.every((b) => b.energyNow !== undefined && b.energyFull !== undefined && b.energyFull > 0)) {
    const now = batteries.reduce((sum, b) => sum + b.energyNow!, 0);
    const full = batteries.reduce((sum, b) => sum + b.energyFull!, 0);
    return known({ level: Math.min(1, now / full), charging });
  }
  const levels = batteries.map((b) => b.level);
  if (levels.some((l) => l === undefined)) return unavailable('battery capacity is missing or not a percentage');
  const mean = levels.reduce((sum: number, l) => sum + l!, 0) / levels.length;
  return known({ level: mean, charging });
}

function parsePercent(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= 100 ? value / 100 : undefined;
}

function parseCount(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}
