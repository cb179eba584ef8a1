// powerMonitor's news, as plain values for whoever decides the chain count (desktop-app.ts feeds
// them to the chain policy's ElectronPowerProbe, whose update() takes exactly these fields). No
// policy here: a typed emitter only.
import { powerMonitor } from 'electron';

export type ThermalState = 'unknown' | 'nominal' | 'fair' | 'serious' | 'critical';

/** What changed; a field left out did not. */
export interface PowerValues {
  onBatteryPower?: boolean;
  thermalState?: ThermalState; // macOS
  speedLimit?: number; // percent of full CPU speed (macOS, Windows)
}

export interface PowerEvents {
  /** Everything reported so far, merged. */
  readonly current: PowerValues;
  /** Called with each change; returns the function that stops it. */
  on(listener: (change: PowerValues) => void): () => void;
  dispose(): void;
}

/** Starts listening; powerMonitor may only be used once the app is ready. */
export function watchPower(): PowerEvents {
  const listeners = new Set<(change: PowerValues) => void>();
  let current: PowerValues = { onBatteryPower: powerMonitor.isOnBatteryPower() };
  // Only macOS knows a thermal state; elsewhere it would always say 'unknown'.
  if (process.platform === 'darwin') current.thermalState = powerMonitor.getCurrentThermalState();
  const emit = (change: PowerValues) => {
    current = { ...current, ...change };
    for (const listener of listeners) listener(change);
  };
  const onAc = () => emit({ onBatteryPower: false });
  const onBattery = () => emit({ onBatteryPower: true });
  const onThermal = (details: { state: ThermalState }) => emit({ thermalState: details.state });
  const onSpeedLimit = (details: { limit: number }) => emit({ speedLimit: details.limit });
  powerMonitor.on('on-ac', onAc);
  powerMonitor.on('on-battery', onBattery);
  powerMonitor.on('thermal-state-change', onThermal);
  powerMonitor.on('speed-limit-change', onSpeedLimit);
  return {
    get current() {
      return current;
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose() {
      listeners.clear();
      powerMonitor.off('on-ac', onAc);
      powerMonitor.off('on-battery', onBattery);
      powerMonitor.off('thermal-state-change', onThermal);
      powerMonitor.off('speed-limit-change', onSpeedLimit);
    },
  };
}
