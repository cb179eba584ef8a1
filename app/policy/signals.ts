// The typed snapshot of what the machine is doing, as the chain policy sees it. Every field is a
// Reading: either a value a probe actually read, or "unavailable" with the reason. A probe that
// cannot read a fact says so; it never fills in a plausible default, because decide() must be
// able to tell "the GPU is free" from "we could not look at the GPU".
//
// This file imports nothing at run time, so the renderer can share these types (type-only).

export interface Available<T> {
  available: true;
  value: T;
}

export interface Unavailable {
  available: false;
  reason: string; // one line a person can read: "no battery in /sys/class/power_supply"
}

export type Reading<T> = Available<T> | Unavailable;

/**
 * Where the machine draws power from. "Unknown" is not a value: a probe that cannot tell says
 * `{available: false, reason}`, the same as every other signal.
 */
export type PowerSource = 'ac' | 'battery';

export interface BatteryState {
  level: number; // 0..1 of full charge
  charging: boolean; // energy flows into the battery right now
}

/**
 * The operating system's thermal pressure, in the four steps macOS names (Electron's
 * powerMonitor reports them as is); the Linux thermal-zone probe maps temperatures onto them.
 * "Unavailable" is the Unavailable reading, not a fifth value.
 */
export type ThermalState = 'nominal' | 'fair' | 'serious' | 'critical';

export interface GpuMemory {
  usedMiB: number; // the whole device, everyone included
  totalMiB: number;
  freeMiB: number; // what a new allocation could still get (nvidia-smi's memory.free; else total - used)
  oursMiB: number | null; // compute contexts of our own processes; null where the driver cannot say per process
  othersMiB: number | null; // usedMiB - oursMiB: other programs, graphics and the driver's own share
}

/**
 * Which GPU the gpu* signals describe, and whether the model runs on it: the session's cuda:N
 * when it runs on a GPU (then others' use and free memory are about the GPU we share), else the
 * GPU the probe watches while the model runs on the CPU (then they only describe the machine).
 */
export interface GpuDevice {
  index: number; // as nvidia-smi numbers it (cuda:N is index N under CUDA_DEVICE_ORDER=PCI_BUS_ID)
  name: string | null; // "NVIDIA GeForce RTX 4070"; null where not reported
  modelOnGpu: boolean; // true: our session runs on this GPU; false: on the CPU
}

/** What the engine host says it used over its latest report window. */
export interface EngineLoad {
  cpuShare: number; // 0..1 of all cores' time (one busy core of eight is 0.125)
  gpuShare: number; // 0..1 of wall time with our GPU work in flight (0 when we run on the CPU)
}

export interface Signals {
  power: Reading<PowerSource>;
  battery: Reading<BatteryState>;
  thermal: Reading<ThermalState>;
  cpuSpeedLimit: Reading<number>; // percent of nominal speed the OS allows (100: no limit)
  gpuUtilisation: Reading<number>; // 0..1, the whole device, ours included
  gpuOthers: Reading<number>; // 0..1, the part of gpuUtilisation that is not ours (a lower bound)
  gpuMemory: Reading<GpuMemory>;
  gpuDevice: Reading<GpuDevice>; // which GPU the gpu* signals are about, and whether the model runs there
  gpuTemperature: Reading<number>; // degrees Celsius
  cpuLoad: Reading<number>; // 0..1 of all cores, busy with work that is not our engine's
  engineLoad: Reading<EngineLoad>;
}

export type SignalName = keyof Signals;

export const SIGNAL_NAMES: readonly SignalName[] = [
  'power',
  'battery',
  'thermal',
  'cpuSpeedLimit',
  'gpuUtilisation',
  'gpuOthers',
  'gpuMemory',
  'gpuDevice',
  'gpuTemperature',
  'cpuLoad',
  'engineLoad',
];

/** Signals at one moment, as merged from every probe. */
export interface SignalSnapshot {
  time: number; // ms since the epoch (or the injected clock's zero)
  signals: Signals;
  sources: Partial<Record<SignalName, string>>; // which probe gave each available value
}

export function known<T>(value: T): Available<T> {
  return { available: true, value };
}

export function unavailable(reason: string): Unavailable {
  return { available: false, reason };
}

/** The value, or undefined when the reading is unavailable. */
export function valueOf<T>(reading: Reading<T> | undefined): T | undefined {
  return reading && reading.available ? reading.value : undefined;
}

/** A full set of signals, every one unavailable for the same reason (a starting point to merge onto). */
export function allUnavailable(reason: string): Signals {
  const out = {} as Record<SignalName, Unavailable>;
  for (const name of SIGNAL_NAMES) out[name] = unavailable(reason);
  return out as Signals;
}

/** The named signals, each unavailable for the same reason (what a failed probe would have said). */
export function markUnavailable(names: readonly SignalName[], reason: string): Partial<Signals> {
  const out: Partial<Record<SignalName, Unavailable>> = {};
  for (const name of names) out[name] = unavailable(reason);
  return out as Partial<Signals>;
}
