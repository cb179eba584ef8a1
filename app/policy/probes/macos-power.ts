// Power source, battery and CPU speed limit on macOS, from `pmset` (no Electron needed):
//   pmset -g batt    Now drawing from 'Battery Power'
//                     -InternalBattery-0 (id=4522083)	28%; discharging; 2:12 remaining present: true
//   pmset -g therm   CPU_Speed_Limit 	= 100      (absent until the system has recorded a limit)
import { known, unavailable, type BatteryState, type PowerSource, type Reading, type Signals } from '../signals.js';
import { describeCommandError, runCommand } from './command-runner.js';
import type { CommandRunner, Probe } from './probe.js';

export interface MacosPowerProbeOptions {
  run?: CommandRunner;
  timeoutMs?: number; // per pmset call; default 1000
}

export class MacosPowerProbe implements Probe {
  readonly name = 'macos-power';
  readonly provides = ['power', 'battery', 'cpuSpeedLimit'] as const;
  private readonly run: CommandRunner;
  private readonly commandTimeoutMs: number;

  constructor(options: MacosPowerProbeOptions = {}) {
    this.run = options.run ?? runCommand;
    this.commandTimeoutMs = options.timeoutMs ?? 1000;
  }

  async read(): Promise<Partial<Signals>> {
    const [batt, therm] = await Promise.allSettled([
      this.run('pmset', ['-g', 'batt'], this.commandTimeoutMs),
      this.run('pmset', ['-g', 'therm'], this.commandTimeoutMs),
    ]);
    const out: Partial<Signals> = {};
    if (batt.status === 'fulfilled') Object.assign(out, parsePmsetBatt(batt.value));
    else out.power = out.battery = unavailable(describeCommandError('pmset', batt.reason));
    out.cpuSpeedLimit = therm.status === 'fulfilled' ? parsePmsetTherm(therm.value) : unavailable(describeCommandError('pmset', therm.reason));
    return out;
  }
}

export function parsePmsetBatt(text: string): { power: Reading<PowerSource>; battery: Reading<BatteryState> } {
  return { power: parseDrawingFrom(text), battery: parseBatteryLine(text) };
}

function parseDrawingFrom(text: string): Reading<PowerSource> {
  const match = /Now drawing from '([^']+)'/.exec(text);
  if (!match) return unavailable('pmset output has no "Now drawing from" line');
  const source = match[1]!;
  if (source === 'AC Power') return known('ac');
  // A UPS running the Mac means mains has gone: treat it as a battery, because it is one.
  if (source === 'Battery Power' || source === 'UPS Power') return known('battery');
  return unavailable(`pmset names an unknown power source '${source}'`);
}

function parseBatteryLine(text: string): Reading<BatteryState> {
  // A desktop Mac prints only the "Now drawing from" line.
  const line = text.split('\n').find((l) => /^\s*-\S*Battery/.test(l));
  if (!line) return unavailable('no battery');
  if (/present:\s*false/.test(line)) return unavailable('battery not present');
  const match = /\t\s*(\d{1,3})%;\s*([^;]+);/.exec(line) ?? /\s(\d{1,3})%;\s*([^;]+);/.exec(line);
  if (!match) return unavailable(`cannot read pmset battery line: ${line.trim()}`);
  const percent = Number(match[1]);
  if (percent > 100) return unavailable(`pmset reports ${percent}% battery`);
  // "charging" and "finishing charge" put energy in; "charged", "discharging" and "AC attached"
  // (plugged in but held, e.g. by optimised charging) do not.
  const status = match[2]!.trim();
  return known({ level: percent / 100, charging: status === 'charging' || status === 'finishing charge' });
}

export function parsePmsetTherm(text: string): Reading<number> {
  const match = /CPU_Speed_Limit\s*=\s*(\d+)/.exec(text);
  if (!match) return unavailable('the system has recorded no CPU speed limit');
  const percent = Number(match[1]);
  return percent >= 0 && percent <= 100 ? known(percent) : unavailable(`pmset reports a CPU speed limit of ${percent}%`);
}
