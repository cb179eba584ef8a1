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
}

export function signals(facts: SignalFacts = {}): Signals {
  const s = allUnavailable('not in this test');
  if (facts.power !== undefined) s.power = known(facts.power);
  if (facts.battery !== undefined) s.battery = known({ level: facts.battery, charging: facts.charging ?? facts.power === 'ac' });
  if (facts.gpuOthers !== undefined) s.gpuOthers = known(facts.gpuOthers);
  if (facts.gpuUtilisation !== undefined) s.gpuUtilisation = known(facts.gpuUtilisation);
  if (facts.thermal !== undefined) s.thermal = known(facts.thermal);
  if (facts.cpuLoad !== undefined) s.cpuLoad = known(facts.cpuLoad);
  return s;
}

export const gone = (reason = 'probe failed') => unavailable(reason);
