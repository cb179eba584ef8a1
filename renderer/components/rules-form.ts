// The rules editor's fields and the policy's Rules, both ways. People think of battery and GPU
// thresholds in percent and of dwell in seconds; the policy (and its parseRules, which checks
// what is saved) speaks in shares of 1 and milliseconds.
import type { Rules } from '../bridge/types.js';

export interface RulesForm {
  onBatteryEnabled: boolean;
  onBatteryFewer: number;
  lowBatteryEnabled: boolean;
  lowBatteryBelow: number; // %
  lowBatteryAbove: number; // %: the rule lets go over this (hysteresis)
  lowBatteryChains: number;
  gpuEnabled: boolean;
  gpuAbove: number; // %
  gpuBelow: number; // %
  gpuFreeBelow: number; // % of the model's GPU memory free: under this the GPU rule holds too (0: off)
  gpuFreeAbove: number; // %: ...until free memory rises over this
  thermalEnabled: boolean;
  thermalAt: 'serious' | 'critical';
  dwellSeconds: number;
}

const percent = (share: number) => Math.round(share * 1000) / 10;
const share = (pct: number) => Math.round(pct * 10) / 1000;

export function formFromRules(r: Rules): RulesForm {
  return {
    onBatteryEnabled: r.onBattery.enabled,
    onBatteryFewer: r.onBattery.fewer,
    lowBatteryEnabled: r.lowBattery.enabled,
    lowBatteryBelow: percent(r.lowBattery.enterBelow),
    lowBatteryAbove: percent(r.lowBattery.leaveAbove),
    lowBatteryChains: r.lowBattery.chains,
    gpuEnabled: r.gpuBusy.enabled,
    gpuAbove: percent(r.gpuBusy.enterAbove),
    gpuBelow: percent(r.gpuBusy.leaveBelow),
    gpuFreeBelow: percent(r.gpuBusy.freeBelow),
    gpuFreeAbove: percent(r.gpuBusy.freeLeaveAbove),
    thermalEnabled: r.thermal.enabled,
    thermalAt: r.thermal.at,
    dwellSeconds: r.dwellMs / 1000,
  };
}

/** The edited rules on top of `base` (settings the editor does not show are kept as they are). */
export function rulesFromForm(f: RulesForm, base: Rules): Rules {
  return {
    onBattery: { ...base.onBattery, enabled: f.onBatteryEnabled, fewer: f.onBatteryFewer },
    lowBattery: { ...base.lowBattery, enabled: f.lowBatteryEnabled, enterBelow: share(f.lowBatteryBelow), leaveAbove: share(f.lowBatteryAbove), chains: f.lowBatteryChains },
    gpuBusy: { ...base.gpuBusy, enabled: f.gpuEnabled, enterAbove: share(f.gpuAbove), leaveBelow: share(f.gpuBelow), freeBelow: share(f.gpuFreeBelow), freeLeaveAbove: share(f.gpuFreeAbove) },
    thermal: { ...base.thermal, enabled: f.thermalEnabled, at: f.thermalAt },
    dwellMs: Math.round(f.dwellSeconds * 1000),
  };
}
