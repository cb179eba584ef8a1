// The user's rules for the chain policy, their defaults, and the check that turns a settings file
// or a rules editor's JSON into Rules or into errors a person can act on.
//
// Shares (battery level, GPU use) are fractions 0..1, as everywhere in the policy; an error says
// so when someone writes 70 for 70%.

export interface OnBatteryRule {
  enabled: boolean;
  fewer: number; // chains fewer than all while on battery
}

export interface LowBatteryRule {
  enabled: boolean;
  enterBelow: number; // on battery and the level falls under this: the rule holds
  leaveAbove: number; // ...until the level rises over this (or power comes back)
  chains: number; // at most this many chains while it holds
  criticalBelow: number; // under this the drop skips the dwell time (see decide.ts)
}

export interface GpuBusyRule {
  enabled: boolean;
  enterAbove: number; // others' GPU use over this: the rule holds
  leaveBelow: number; // ...until it falls under this
  fewer: number;
  // Only while the model runs on that GPU (its VRAM is ours to give back): free memory under this
  // share of the GPU's total holds the rule too (0: never), until it rises over freeLeaveAbove.
  freeBelow: number;
  freeLeaveAbove: number;
}

export type ThermalLevel = 'serious' | 'critical';

export interface ThermalRule {
  enabled: boolean;
  at: ThermalLevel; // the state (or worse) at which the rule holds
  chains: number;
}

export interface Rules {
  onBattery: OnBatteryRule;
  lowBattery: LowBatteryRule;
  gpuBusy: GpuBusyRule;
  thermal: ThermalRule;
  dwellMs: number; // minimum time between two automatic changes
}

export const DEFAULT_RULES: Rules = {
  onBattery: { enabled: true, fewer: 1 },
  lowBattery: { enabled: true, enterBelow: 0.3, leaveAbove: 0.35, chains: 1, criticalBelow: 0.1 },
  gpuBusy: { enabled: true, enterAbove: 0.7, leaveBelow: 0.6, fewer: 1, freeBelow: 0.05, freeLeaveAbove: 0.1 },
  thermal: { enabled: true, at: 'serious', chains: 1 },
  dwellMs: 10_000,
};

export type RulesResult = { ok: true; rules: Rules } | { ok: false; errors: string[] };

const MAX_DWELL_MS = 10 * 60_000;

/**
 * Checks user rules and fills what they leave out from DEFAULT_RULES (or `base`). Every problem
 * is listed, each naming the setting: "gpuBusy.enterAbove: must be a share from 0 to 1 (70% is
 * 0.7); got 70".
 */
export function parseRules(input: unknown, base: Rules = DEFAULT_RULES): RulesResult {
  const errors: string[] = [];
  if (input === undefined || input === null) return { ok: true, rules: structuredClone(base) };
  if (!isObject(input)) return { ok: false, errors: [`rules must be an object; got ${describe(input)}`] };

  const check = new Checker(errors);
  unknownKeys(input, ['onBattery', 'lowBattery', 'gpuBusy', 'thermal', 'dwellMs'], 'rules', errors);

  const onBattery = check.section(input, 'onBattery', base.onBattery, {
    enabled: check.boolean,
    fewer: check.count(0),
  });
  const lowBattery = check.section(input, 'lowBattery', base.lowBattery, {
    enabled: check.boolean,
    enterBelow: check.share,
    leaveAbove: check.share,
    chains: check.count(1),
    criticalBelow: check.share,
  });
  const gpuBusy = check.section(input, 'gpuBusy', base.gpuBusy, {
    enabled: check.boolean,
    enterAbove: check.share,
    leaveBelow: check.share,
    fewer: check.count(0),
    freeBelow: check.share,
    freeLeaveAbove: check.share,
  });
  const thermal = check.section(input, 'thermal', base.thermal, {
    enabled: check.boolean,
    at: check.oneOf(['serious', 'critical']),
    chains: check.count(1),
  });
  let dwellMs = base.dwellMs;
  if ('dwellMs' in input) {
    const v = input.dwellMs;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_DWELL_MS) dwellMs = v;
    else errors.push(`dwellMs: must be a whole number of milliseconds from 0 to ${MAX_DWELL_MS}; got ${describe(v)}`);
  }

  // Hysteresis bands must open the right way, or a rule would switch on and off at one value.
  if (lowBattery.leaveAbove < lowBattery.enterBelow)
    errors.push(`lowBattery: leaveAbove (${lowBattery.leaveAbove}) must be at least enterBelow (${lowBattery.enterBelow})`);
  if (lowBattery.criticalBelow > lowBattery.enterBelow)
    errors.push(`lowBattery: criticalBelow (${lowBattery.criticalBelow}) must not be above enterBelow (${lowBattery.enterBelow})`);
  if (gpuBusy.leaveBelow > gpuBusy.enterAbove)
    errors.push(`gpuBusy: leaveBelow (${gpuBusy.leaveBelow}) must not be above enterAbove (${gpuBusy.enterAbove})`);
  if (gpuBusy.freeLeaveAbove < gpuBusy.freeBelow)
    errors.push(`gpuBusy: freeLeaveAbove (${gpuBusy.freeLeaveAbove}) must be at least freeBelow (${gpuBusy.freeBelow})`);

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, rules: { onBattery, lowBattery, gpuBusy, thermal, dwellMs } };
}

type FieldCheck = (value: unknown, path: string) => string | undefined; // an error, or undefined

class Checker {
  constructor(private readonly errors: string[]) {}

  boolean: FieldCheck = (v, path) => (typeof v === 'boolean' ? undefined : `${path}: must be true or false; got ${describe(v)}`);

  share: FieldCheck = (v, path) => {
    if (typeof v === 'number' && v >= 0 && v <= 1) return undefined;
    const hint = typeof v === 'number' && v > 1 && v <= 100 ? ` (${v}% is ${v / 100})` : '';
    return `${path}: must be a share from 0 to 1${hint}; got ${describe(v)}`;
  };

  count =
    (min: number): FieldCheck =>
    (v, path) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= 64 ? undefined : `${path}: must be a whole number from ${min} to 64; got ${describe(v)}`;

  oneOf =
    (allowed: readonly string[]): FieldCheck =>
    (v, path) =>
      typeof v === 'string' && allowed.includes(v) ? undefined : `${path}: must be one of ${allowed.map((a) => `"${a}"`).join(', ')}; got ${describe(v)}`;

  /** The section from `input`, each field checked, missing ones taken from `fallback`. */
  section<T extends object>(input: Record<string, unknown>, name: string, fallback: T, fields: Record<keyof T, FieldCheck>): T {
    const out = { ...fallback };
    if (!(name in input)) return out;
    const given = input[name];
    if (!isObject(given)) {
      this.errors.push(`${name}: must be an object; got ${describe(given)}`);
      return out;
    }
    unknownKeys(given, Object.keys(fields), name, this.errors);
    for (const key of Object.keys(fields) as (keyof T & string)[]) {
      if (!(key in given)) continue;
      const error = fields[key](given[key], `${name}.${key}`);
      if (error) this.errors.push(error);
      else (out as Record<string, unknown>)[key] = given[key];
    }
    return out;
  }
}

function unknownKeys(object: Record<string, unknown>, known: string[], path: string, errors: string[]): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) errors.push(`${path === 'rules' ? key : `${path}.${key}`}: unknown setting (known: ${known.join(', ')})`);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function describe(x: unknown): string {
  if (typeof x === 'string') return JSON.stringify(x);
  if (Array.isArray(x)) return 'an array';
  if (x === null) return 'null';
  if (x === undefined) return 'nothing';
  if (typeof x === 'object') return 'an object';
  return String(x);
}
