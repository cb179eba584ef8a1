// Power source and battery on Windows outside Electron (`colm serve`), from WMI's Win32_Battery
// through PowerShell, so no native module or npm dependency is needed:
//   Get-CimInstance Win32_Battery | Select-Object BatteryStatus,EstimatedChargeRemaining | ConvertTo-Json -Compress
//   -> {"BatteryStatus":1,"EstimatedChargeRemaining":28}   (an array when there are two batteries,
//      nothing at all on a desktop)
// Starting PowerShell costs a few hundred milliseconds of CPU, so the probe asks at most every
// `minIntervalMs` (default 15 s) and repeats its last answer in between; power changes that fast
// are rare, and inside Electron the electron-power probe gives them at once anyway.
import { known, unavailable, type BatteryState, type PowerSource, type Reading, type Signals } from '../signals.js';
import { describeCommandError, runCommand } from './command-runner.js';
import type { CommandRunner, Probe } from './probe.js';

export interface WindowsPowerProbeOptions {
  run?: CommandRunner;
  timeoutMs?: number; // default 5000: a cold PowerShell start is slow
  minIntervalMs?: number; // default 15 000
  now?: () => number;
}

const POWERSHELL_ARGS = [
  '-NoProfile',
  '-NonInteractive',
  '-Command',
  'Get-CimInstance -ClassName Win32_Battery | Select-Object BatteryStatus,EstimatedChargeRemaining | ConvertTo-Json -Compress',
];

// Win32_Battery.BatteryStatus, as documented by Microsoft. 2 means "on AC, not necessarily
// charging"; 10 (undefined) and 11 (partially charged) do not say where power comes from.
const ON_BATTERY = new Set([1, 4, 5]); // other/discharging, low, critical
const ON_AC = new Set([2, 3, 6, 7, 8, 9]); // AC, fully charged, charging (high, low, critical)
const CHARGING = new Set([6, 7, 8, 9]);

export class WindowsPowerProbe implements Probe {
  readonly name = 'windows-power';
  readonly provides = ['power', 'battery'] as const;
  private readonly run: CommandRunner;
  readonly timeoutMs: number; // the ProbeSet's wait: the command's limit and a little
  private readonly commandTimeoutMs: number;
  private readonly minIntervalMs: number;
  private readonly now: () => number;
  private last: { at: number; result: Partial<Signals> } | undefined;

  constructor(options: WindowsPowerProbeOptions = {}) {
    this.run = options.run ?? runCommand;
    this.commandTimeoutMs = options.timeoutMs ?? 5000;
    this.timeoutMs = this.commandTimeoutMs + 500;
    this.minIntervalMs = options.minIntervalMs ?? 15_000;
    this.now = options.now ?? Date.now;
  }

  async read(): Promise<Partial<Signals>> {
    const now = this.now();
    if (this.last && now - this.last.at < this.minIntervalMs) return this.last.result;
    let result: Partial<Signals>;
    try {
      result = parseWin32Battery(await this.run('powershell.exe', POWERSHELL_ARGS, this.commandTimeoutMs));
    } catch (error) {
      const reason = unavailable(describeCommandError('powershell', error));
      result = { power: reason, battery: reason };
    }
    this.last = { at: now, result };
    return result;
  }
}

export function parseWin32Battery(stdout: string): { power: Reading<PowerSource>; battery: Reading<BatteryState> } {
  const text = stdout.trim();
  if (text === '') {
    const none = unavailable('no battery reported by Win32_Battery');
    return { power: none, battery: none };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    const bad = unavailable(`cannot parse Win32_Battery output: ${text.slice(0, 60)}`);
    return { power: bad, battery: bad };
  }
  const entries = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
  const statuses = entries.map((e) => e?.BatteryStatus).filter((s): s is number => typeof s === 'number');
  const levels = entries.map((e) => e?.EstimatedChargeRemaining).filter((l): l is number => typeof l === 'number' && l >= 0 && l <= 100);

  let power: Reading<PowerSource>;
  if (statuses.some((s) => ON_AC.has(s))) power = known('ac');
  else if (statuses.some((s) => ON_BATTERY.has(s))) power = known('battery');
  else power = unavailable(`Win32_Battery status ${statuses.join(', ') || 'missing'} does not say where power comes from`);

  const battery: Reading<BatteryState> =
    levels.length === entries.length && levels.length > 0
      ? known({ level: levels.reduce((a, b) => a + b, 0) / levels.length / 100, charging: statuses.some((s) => CHARGING.has(s)) })
      : unavailable('Win32_Battery gives no charge level');
  return { power, battery };
}
