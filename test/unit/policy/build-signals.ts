// A compact way to write Signals in tests: name the facts, everything else is unavailable.
import { allUnavailable, known, unavailable, type Signals, type ThermalState } from '../../../app/policy/signals.js';

export interface SignalFacts {
  power?: 'ac' | 'battery';
  battery?: number; // level 0..1
  charging?: boolean;
  gpuOthers?: number;
  gpuUtilisation?: number;
  thermal?: ThermalState;
  cpuLoad?: number;
  /** Which GPU the gpu* facts describe: 'cpu' is GPU 0 with the model on the CPU, N is cuda:N. */
  gpuOn?: 'cpu' | number;
  /** The watched GPU's memory, MiB. */
  gpuFreeMiB?: number;
  gpuTotalMiB?: number;
}

export function signals(facts: SignalFacts = {}): Signals {
  const s = allUnavailable('not in this test');
  if (facts.power !== undefined) s.power = known(facts.power);
  if (facts.battery !== undefined) s.battery = known({ level: facts.battery, charging: facts.charging ?? facts.power === 'ac' });
  if (facts.gpuOthers !== undefined) s.gpuOthers = known(facts.gpuOthers);
  if (facts.gpuUtilisation !== undefined) s.gpuUtilisation = known(facts.gpuUtilisation);
  if (facts.thermal !== undefined) s.thermal = known(facts.thermal);
  if (facts.cpuLoad !== undefined) s.cpuLoad = known(facts.cpuLoad);
  if (facts.gpuOn !== undefined) {
    s.gpuDevice = known(facts.gpuOn === 'cpu' ? { index: 0, name: 'NVIDIA RTX 4070', modelOnGpu: false } : { index: facts.gpuOn, name: 'NVIDIA RTX 4070', modelOnGpu: true });
  }
  if (facts.gpuFreeMiB !== undefined) {
    const total = facts.gpuTotalMiB ?? 8192;
    s.gpuMemory = known({ usedMiB: total - facts.gpuFreeMiB, totalMiB: total, freeMiB: facts.gpuFreeMiB, oursMiB: null, othersMiB: null });
  }
  return s;
}

export const gone = (reason = 'probe failed') => unavailable(reason);
