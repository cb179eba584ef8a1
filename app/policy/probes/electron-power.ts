// Values Electron knows better than any file or command: powerMonitor in the main process
// (on battery or not; thermal state and CPU speed limit where the OS reports them) and
// navigator.getBattery() in a renderer, forwarded to main over IPC. app/electron pushes them in
// with update(); this file imports nothing from electron, so the policy stays testable in Node.
//
// Wiring, in app/electron (not here):
//   powerMonitor.on('on-ac' / 'on-battery')        update({ onBatteryPower: powerMonitor.isOnBatteryPower() })
//   powerMonitor.on('thermal-state-change', e)     update({ thermalState: e.state })      (macOS)
//   powerMonitor.on('speed-limit-change', e)       update({ speedLimit: e.limit })        (macOS, Windows)
//   renderer: navigator.getBattery() and its events -> IPC -> update({ battery: { level, charging } })
import { known, unavailable, type Signals, type ThermalState } from '../signals.js';
import type { Probe } from './probe.js';

export interface ElectronPowerValues {
  onBatteryPower?: boolean;
  /** powerMonitor's 'thermal-state-change' state; 'unknown' is what it says when it cannot tell. */
  thermalState?: ThermalState | 'unknown';
  speedLimit?: number; // percent
  /**
   * navigator.getBattery(); null when the renderer has no BatteryManager. Chromium reports a
   * machine without a battery as full and charging, which is harmless here: on AC, nothing to save.
   */
  battery?: { level: number; charging: boolean } | null;
}

const THERMAL_STATES = new Set(['nominal', 'fair', 'serious', 'critical']);

export class ElectronPowerProbe implements Probe {
  readonly name = 'electron-power';
  readonly provides = ['power', 'battery', 'thermal', 'cpuSpeedLimit'] as const;
  private values: ElectronPowerValues = {};

  /** Merges what was forwarded; a field left out keeps its earlier value. */
  update(values: ElectronPowerValues): void {
    this.values = { ...this.values, ...values };
  }

  // Only what Electron actually said is reported; a field never forwarded is left out, so a
  // file- or command-based probe later in the ProbeSet can speak for it.
  async read(): Promise<Partial<Signals>> {
    const v = this.values;
    const out: Partial<Signals> = {};
    if (v.onBatteryPower !== undefined) out.power = known(v.onBatteryPower ? 'battery' : 'ac');
    if (v.thermalState !== undefined) {
      out.thermal = THERMAL_STATES.has(v.thermalState)
        ? known(v.thermalState as ThermalState)
        : unavailable(`powerMonitor reports thermal state '${v.thermalState}'`);
    }
    if (v.speedLimit !== undefined) {
      out.cpuSpeedLimit =
        Number.isFinite(v.speedLimit) && v.speedLimit >= 0 && v.speedLimit <= 100
          ? known(v.speedLimit)
          : unavailable(`powerMonitor reports a speed limit of ${v.speedLimit}`);
    }
    if (v.battery === null) out.battery = unavailable('no BatteryManager in the renderer');
    else if (v.battery !== undefined) {
      const { level, charging } = v.battery;
      out.battery =
        Number.isFinite(level) && level >= 0 && level <= 1 && typeof charging === 'boolean'
          ? known({ level, charging })
          : unavailable(`getBattery() reports level ${level}, charging ${charging}`);
    }
    return out;
  }
}
