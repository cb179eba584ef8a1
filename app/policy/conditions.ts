// The four conditions the rules talk about, each with its hysteresis: a condition that holds
// keeps holding until its signal crosses the "leave" side of the band, so a battery hovering at
// 30% or a GPU hovering at 70% does not switch the model back and forth.
//
// A signal that is unavailable never makes a condition hold, and one that was holding lets go:
// the policy acts on what it can read, never on a guess or on a stale memory.
import type { Rules, ThermalLevel } from './rules.js';
import type { Signals, ThermalState } from './signals.js';

// gpuMemoryLow: the GPU our model runs on is nearly full (rules.gpuBusy.freeBelow); it caps like gpuBusy.
export type ConditionName = 'onBattery' | 'lowBattery' | 'gpuBusy' | 'gpuMemoryLow' | 'thermal';

export type ActiveConditions = Record<ConditionName, boolean>;

export const NO_CONDITIONS: ActiveConditions = { onBattery: false, lowBattery: false, gpuBusy: false, gpuMemoryLow: false, thermal: false };

const THERMAL_RANK: Record<ThermalState, number> = { nominal: 0, fair: 1, serious: 2, critical: 3 };

export function updateConditions(signals: Signals, rules: Rules, was: ActiveConditions): ActiveConditions {
  const power = signals.power.available ? signals.power.value : undefined;
  const level = signals.battery.available ? signals.battery.value.level : undefined;
  const others = signals.gpuOthers.available ? signals.gpuOthers.value : undefined;
  const thermal = signals.thermal.available ? signals.thermal.value : undefined;

  const onBattery = rules.onBattery.enabled && power === 'battery';

  // Only on battery: a laptop charging at 25% has no reason to save energy.
  let lowBattery = false;
  if (rules.lowBattery.enabled && power === 'battery' && level !== undefined) {
    lowBattery = was.lowBattery ? level <= rules.lowBattery.leaveAbove : level < rules.lowBattery.enterBelow;
  }

  let gpuBusy = false;
  if (rules.gpuBusy.enabled && others !== undefined) {
    gpuBusy = was.gpuBusy ? others >= rules.gpuBusy.leaveBelow : others > rules.gpuBusy.enterAbove;
  }

  // Free VRAM counts only on the GPU our model runs on: there a smaller k is what we can give back.
  let gpuMemoryLow = false;
  const free = freeShareOnOurGpu(signals);
  if (rules.gpuBusy.enabled && rules.gpuBusy.freeBelow > 0 && free !== undefined) {
    gpuMemoryLow = was.gpuMemoryLow ? free <= rules.gpuBusy.freeLeaveAbove : free < rules.gpuBusy.freeBelow;
  }

  const hot = rules.thermal.enabled && thermal !== undefined && atLeast(thermal, rules.thermal.at);

  return { onBattery, lowBattery, gpuBusy, gpuMemoryLow, thermal: hot };
}

/** Free memory as a share of the GPU the model runs on; undefined on the CPU or when unreadable. */
export function freeShareOnOurGpu(signals: Signals): number | undefined {
  if (!signals.gpuDevice?.available || !signals.gpuDevice.value.modelOnGpu || !signals.gpuMemory.available) return undefined;
  const m = signals.gpuMemory.value;
  return m.totalMiB > 0 ? m.freeMiB / m.totalMiB : undefined;
}

export function atLeast(state: ThermalState, level: ThermalLevel): boolean {
  return THERMAL_RANK[state] >= THERMAL_RANK[level];
}

/**
 * Emergencies, where waiting out the dwell time would cost more than a quick switch: the OS says
 * the machine is critically hot, or the battery is nearly empty. Only a move to FEWER chains may
 * skip the dwell for these (decide.ts); growing back always waits.
 */
export function isEmergency(signals: Signals, rules: Rules, active: ActiveConditions): boolean {
  const thermalCritical = active.thermal && signals.thermal.available && signals.thermal.value === 'critical';
  const batteryCritical = active.lowBattery && signals.battery.available && signals.battery.value.level < rules.lowBattery.criticalBelow;
  return thermalCritical || batteryCritical;
}
