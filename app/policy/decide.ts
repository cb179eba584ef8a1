// decide(): from what the machine is doing and the user's rules to a chain count and a one-line
// reason. PURE: no I/O, no clock (the caller passes `now`), no mutation; the state it needs
// between calls (hysteresis, the time of the last change, the manual choice) goes in and comes
// back out. That makes every policy behaviour a table test.
//
// Order of precedence:
//   1. a manual choice (state.manual = k) always wins, clamped to 1..n;
//   2. otherwise every condition that holds caps the count (the tightest cap wins):
//        on battery            n - onBattery.fewer
//        low battery           lowBattery.chains          (on battery, under enterBelow)
//        others' GPU use high  n - gpuBusy.fewer        (the GPU the model runs on, else GPU 0)
//        our GPU nearly full   n - gpuBusy.fewer        (only with the model on that GPU)
//        thermal at/over `at`  thermal.chains
//      no condition: all n chains. The result is clamped to 1..n.
//   3. dwell: after a change, the count stays for rules.dwellMs before changing again, so a
//      flickering signal cannot resize the model every poll. Exceptions, all deliberate:
//        - the first decision, and the first change after it, are not held (nothing to settle);
//        - going back from manual to auto applies the auto count at once (the user asked);
//        - a move to FEWER chains in an emergency (thermal critical, battery under
//          lowBattery.criticalBelow) skips the dwell: overheating or dying cost more than a
//          resize. Growing back always waits.
//
// Plain CoLM (no kv_sharing) can drop chains between tokens but needs the K/V of added chains
// for the whole past to grow. decide() returns only the target; the generation loop shrinks at
// once and grows at the next turn boundary. CoLM-Air switches either way at the next token.
import { NO_CONDITIONS, isEmergency, updateConditions, type ActiveConditions, type ConditionName } from './conditions.js';
import type { Rules } from './rules.js';
import type { Signals } from './signals.js';

export interface PolicyState {
  chainCount: number; // n, the loaded model's chains
  manual: number | null; // the user's pick, or null for auto
  chains: number | null; // the latest decision's count; null before the first
  lastChangeAt: number | null; // ms (the caller's clock) of the latest change of `chains`
  lastWasManual: boolean;
  active: ActiveConditions; // for hysteresis
}

export interface Decision {
  chains: number;
  reason: string; // "1/4 chains: on battery, 28%"
  state: PolicyState;
}

export function initialPolicyState(chainCount: number, manual: number | null = null): PolicyState {
  return { chainCount, manual, chains: null, lastChangeAt: null, lastWasManual: false, active: NO_CONDITIONS };
}

export function decide(signals: Signals, rules: Rules, state: PolicyState, now: number): Decision {
  const n = Math.max(1, Math.floor(state.chainCount));
  const active = updateConditions(signals, rules, state.active);
  const previous = state.chains;

  if (state.manual !== null) {
    const chains = clamp(state.manual, n);
    return {
      chains,
      reason: `${chains}/${n} chains: manual`,
      state: { ...state, active, chains, lastWasManual: true, lastChangeAt: chains !== previous ? now : state.lastChangeAt },
    };
  }

  const caps = capsOf(signals, rules, active, n);
  const target = clamp(Math.min(n, ...caps.map((c) => c.chains)), n);
  const why = caps.length > 0 ? describeCaps(caps) : describeFreedom(signals, rules);
  const settled = (chains: number, reason: string): Decision => ({
    chains,
    reason: `${chains}/${n} chains: ${reason}`,
    state: { ...state, active, chains, lastWasManual: false, lastChangeAt: chains !== previous && previous !== null ? now : state.lastChangeAt },
  });

  if (previous === null || previous > n || state.lastWasManual || target === previous) return settled(target, why);
  const waited = state.lastChangeAt === null ? Infinity : now - state.lastChangeAt;
  if (waited >= rules.dwellMs) return settled(target, why);
  if (target < previous && isEmergency(signals, rules, active)) return settled(target, why);

  const seconds = Math.ceil((rules.dwellMs - waited) / 1000);
  return settled(previous, `${why} (${target} in ${seconds} s)`);
}

/** Keeps the user's pick and the conditions, forgets the count: a new model starts afresh. */
export function withChainCount(state: PolicyState, chainCount: number): PolicyState {
  return { ...state, chainCount, chains: null, lastChangeAt: null, lastWasManual: false };
}

interface Cap {
  condition: ConditionName;
  chains: number;
  text: string;
}

function capsOf(signals: Signals, rules: Rules, active: ActiveConditions, n: number): Cap[] {
  const caps: Cap[] = [];
  const battery = signals.battery.available ? `on battery, ${Math.floor(signals.battery.value.level * 100)}%` : 'on battery';
  if (active.thermal && signals.thermal.available) caps.push({ condition: 'thermal', chains: rules.thermal.chains, text: `thermal ${signals.thermal.value}` });
  if (active.lowBattery) caps.push({ condition: 'lowBattery', chains: rules.lowBattery.chains, text: battery });
  if (active.onBattery) caps.push({ condition: 'onBattery', chains: n - rules.onBattery.fewer, text: battery });
  if (active.gpuBusy && signals.gpuOthers.available)
    caps.push({ condition: 'gpuBusy', chains: n - rules.gpuBusy.fewer, text: gpuText(signals, 'busy', `others ${percent(signals.gpuOthers.value)}`, !active.gpuMemoryLow) });
  if (active.gpuMemoryLow && signals.gpuMemory.available && signals.gpuDevice?.available)
    caps.push({ condition: 'gpuMemoryLow', chains: n - rules.gpuBusy.fewer, text: `cuda:${signals.gpuDevice.value.index} memory low, ${vramFree(signals.gpuMemory.value)}` });
  return caps;
}

/**
 * The GPU words of a reason, naming which GPU: "GPU busy, others 82% on cuda:0 (1.2 of 8.0 GiB
 * VRAM free)" when the model runs there; "GPU 0 busy, others 82% (model on CPU)" when it does
 * not; without a gpuDevice reading (a simulated script), the plain "GPU busy, others 82%".
 */
function gpuText(signals: Signals, state: 'busy' | 'free' | 'others', detail: string, withMemory = true): string {
  const device = signals.gpuDevice?.available ? signals.gpuDevice.value : null;
  const words = state === 'others' ? detail : state === 'busy' ? `busy, ${detail}` : 'free';
  if (!device) return `GPU ${words}`;
  if (device.modelOnGpu) {
    const memory = withMemory && signals.gpuMemory.available ? ` (${vramFree(signals.gpuMemory.value, 'VRAM free')})` : '';
    return `GPU ${words} on cuda:${device.index}${memory}`;
  }
  return `GPU ${device.index} ${words} (model on CPU)`;
}

function vramFree(m: { freeMiB: number; totalMiB: number }, words = 'free'): string {
  return `${(m.freeMiB / 1024).toFixed(1)} of ${(m.totalMiB / 1024).toFixed(1)} GiB ${words}`;
}

// Tightest cap first; the same words once ("on battery, 28%" from both battery rules).
function describeCaps(caps: Cap[]): string {
  const ordered = [...caps].sort((a, b) => a.chains - b.chains);
  return [...new Set(ordered.map((c) => c.text))].join('; ');
}

function describeFreedom(signals: Signals, rules: Rules): string {
  const parts: string[] = [];
  if (signals.power.available && signals.power.value === 'ac') parts.push('on AC');
  if (signals.power.available && signals.power.value === 'battery') parts.push('on battery'); // its rules are off
  if (signals.gpuOthers.available) {
    parts.push(signals.gpuOthers.value < rules.gpuBusy.leaveBelow ? gpuText(signals, 'free', '') : gpuText(signals, 'others', `others ${percent(signals.gpuOthers.value)}`));
  }
  return parts.length > 0 ? parts.join(', ') : 'no limits';
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function clamp(k: number, n: number): number {
  if (!Number.isFinite(k)) return n;
  return Math.min(n, Math.max(1, Math.round(k)));
}
