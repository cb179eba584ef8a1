// decide() over tables of signal timelines: each row is a moment (seconds), the facts at that
// moment, and the chain count and reason expected. State is threaded from row to row, as the
// controller does, so hysteresis and dwell are exercised the way they run.
import { describe, expect, test } from 'vitest';

import { decide, initialPolicyState, withChainCount, type PolicyState } from '../../../app/policy/decide.js';
import { DEFAULT_RULES, type Rules } from '../../../app/policy/rules.js';
import { signals, type SignalFacts } from './build-signals.js';

interface Row {
  t: number; // seconds
  facts: SignalFacts;
  manual?: number | null; // set before this row's decision
  chains: number;
  reason?: string;
}

const noDwell: Rules = { ...DEFAULT_RULES, dwellMs: 0 };

function play(rows: Row[], rules: Rules = DEFAULT_RULES, n = 4): void {
  let state: PolicyState = initialPolicyState(n);
  for (const row of rows) {
    if (row.manual !== undefined) state = { ...state, manual: row.manual };
    const d = decide(signals(row.facts), rules, state, row.t * 1000);
    const label = `at ${row.t} s with ${JSON.stringify(row.facts)}`;
    expect(d.chains, label).toBe(row.chains);
    if (row.reason !== undefined) expect(d.reason, label).toBe(row.reason);
    state = d.state;
  }
}

describe('default rules, one moment at a time', () => {
  const cases: [string, SignalFacts, number, string][] = [
    ['on AC with a free GPU: all chains', { power: 'ac', gpuOthers: 0.1 }, 4, '4/4 chains: on AC, GPU free'],
    ['on battery: one fewer', { power: 'battery', battery: 0.64 }, 3, '3/4 chains: on battery, 64%'],
    ['battery under 30%: one', { power: 'battery', battery: 0.28 }, 1, '1/4 chains: on battery, 28%'],
    ['a battery at 29.9% is not shown as 30%', { power: 'battery', battery: 0.299 }, 1, '1/4 chains: on battery, 29%'],
    ['charging at 20% on AC saves nothing', { power: 'ac', battery: 0.2, charging: true }, 4, '4/4 chains: on AC'],
    ['others hold the GPU over 70%: one fewer', { power: 'ac', gpuOthers: 0.8 }, 3, '3/4 chains: GPU busy, others 80%'],
    ['exactly 70% is not over 70%', { power: 'ac', gpuOthers: 0.7 }, 4, '4/4 chains: on AC, GPU others 70%'],
    ['thermal serious: one', { power: 'ac', thermal: 'serious' }, 1, '1/4 chains: thermal serious'],
    ['thermal critical: one', { thermal: 'critical' }, 1, '1/4 chains: thermal critical'],
    ['thermal fair: no limit', { power: 'ac', thermal: 'fair' }, 4, '4/4 chains: on AC'],
    ['the tightest rule is named first', { power: 'battery', battery: 0.5, thermal: 'serious' }, 1, '1/4 chains: thermal serious; on battery, 50%'],
    ['battery and GPU together', { power: 'battery', battery: 0.5, gpuOthers: 0.9 }, 3, '3/4 chains: on battery, 50%; GPU busy, others 90%'],
    ['nothing known: all chains, nothing invented', {}, 4, '4/4 chains: no limits'],
  ];
  test.each(cases)('%s', (_name, facts, chains, reason) => {
    play([{ t: 0, facts, chains, reason }]);
  });

  test('the result is clamped to 1..n', () => {
    play([{ t: 0, facts: { power: 'battery', battery: 0.9 }, chains: 1, reason: '1/1 chains: on battery, 90%' }], DEFAULT_RULES, 1);
    const harsh: Rules = { ...DEFAULT_RULES, onBattery: { enabled: true, fewer: 5 }, gpuBusy: { ...DEFAULT_RULES.gpuBusy, fewer: 3 } };
    play([{ t: 0, facts: { power: 'battery', battery: 0.9, gpuOthers: 0.9 }, chains: 1 }], harsh, 2);
    const generous: Rules = { ...DEFAULT_RULES, thermal: { ...DEFAULT_RULES.thermal, chains: 9 } };
    play([{ t: 0, facts: { thermal: 'critical' }, chains: 4 }], generous, 4);
  });

  test('a configurable GPU count: two fewer', () => {
    const rules: Rules = { ...DEFAULT_RULES, gpuBusy: { ...DEFAULT_RULES.gpuBusy, fewer: 2 } };
    play([{ t: 0, facts: { power: 'ac', gpuOthers: 0.95 }, chains: 2 }], rules, 4);
  });

  test('a rule that is switched off does nothing', () => {
    const rules: Rules = { ...DEFAULT_RULES, onBattery: { enabled: false, fewer: 1 }, thermal: { ...DEFAULT_RULES.thermal, enabled: false } };
    play([{ t: 0, facts: { power: 'battery', battery: 0.64, thermal: 'critical' }, chains: 4, reason: '4/4 chains: on battery' }], rules);
  });

  test('thermal rule at "critical" ignores "serious"', () => {
    const rules: Rules = { ...DEFAULT_RULES, thermal: { enabled: true, at: 'critical', chains: 2 } };
    play([{ t: 0, facts: { thermal: 'serious' }, chains: 4 }], rules);
    play([{ t: 0, facts: { thermal: 'critical' }, chains: 2 }], rules);
  });
});

describe('unavailable signals trigger nothing', () => {
  test('a low battery level without a known power source does not shrink the model', () => {
    play([{ t: 0, facts: { battery: 0.1 }, chains: 4 }]);
  });

  test('a busy GPU whose owner we cannot tell does not count as others', () => {
    play([{ t: 0, facts: { power: 'ac', gpuUtilisation: 0.99 }, chains: 4, reason: '4/4 chains: on AC' }]);
  });

  test('a condition whose signal goes away lets go', () => {
    play(
      [
        { t: 0, facts: { power: 'ac', gpuOthers: 0.9 }, chains: 3 },
        { t: 2, facts: { power: 'ac' }, chains: 4 },
        { t: 4, facts: { power: 'battery', battery: 0.2 }, chains: 1 },
        { t: 6, facts: { battery: 0.2 }, chains: 4, reason: '4/4 chains: no limits' },
      ],
      noDwell,
    );
  });
});

describe('hysteresis', () => {
  test('battery: enters under 30%, leaves only over 35%', () => {
    play(
      [
        { t: 0, facts: { power: 'battery', battery: 0.31 }, chains: 3 },
        { t: 1, facts: { power: 'battery', battery: 0.29 }, chains: 1 },
        { t: 2, facts: { power: 'battery', battery: 0.33 }, chains: 1 },
        { t: 3, facts: { power: 'battery', battery: 0.35 }, chains: 1 },
        { t: 4, facts: { power: 'battery', battery: 0.36 }, chains: 3 },
        { t: 5, facts: { power: 'battery', battery: 0.32 }, chains: 3 }, // inside the band from above: not entered
      ],
      noDwell,
    );
  });

  test('battery: plugging in clears the low-battery rule at once, whatever the level', () => {
    play(
      [
        { t: 0, facts: { power: 'battery', battery: 0.2 }, chains: 1 },
        { t: 1, facts: { power: 'ac', battery: 0.2 }, chains: 4 },
        { t: 2, facts: { power: 'battery', battery: 0.32 }, chains: 3 }, // unplugged again at 32%: not low
      ],
      noDwell,
    );
  });

  test('GPU: enters over 70%, leaves only under 60%', () => {
    play(
      [
        { t: 0, facts: { power: 'ac', gpuOthers: 0.65 }, chains: 4 },
        { t: 1, facts: { power: 'ac', gpuOthers: 0.71 }, chains: 3 },
        { t: 2, facts: { power: 'ac', gpuOthers: 0.65 }, chains: 3 },
        { t: 3, facts: { power: 'ac', gpuOthers: 0.6 }, chains: 3 },
        { t: 4, facts: { power: 'ac', gpuOthers: 0.59 }, chains: 4, reason: '4/4 chains: on AC, GPU free' },
      ],
      noDwell,
    );
  });
});

describe('dwell time', () => {
  test('after a change the count holds for 10 s, and the reason says what comes next', () => {
    play([
      { t: 0, facts: { power: 'ac', gpuOthers: 0 }, chains: 4 },
      { t: 1, facts: { power: 'battery', battery: 0.64 }, chains: 3 }, // the first change is not held
      { t: 3, facts: { power: 'ac', gpuOthers: 0 }, chains: 3, reason: '3/4 chains: on AC, GPU free (4 in 8 s)' },
      { t: 10.9, facts: { power: 'ac', gpuOthers: 0 }, chains: 3, reason: '3/4 chains: on AC, GPU free (4 in 1 s)' },
      { t: 11, facts: { power: 'ac', gpuOthers: 0 }, chains: 4, reason: '4/4 chains: on AC, GPU free' },
      { t: 12, facts: { power: 'battery', battery: 0.64 }, chains: 4, reason: '4/4 chains: on battery, 64% (3 in 9 s)' },
      { t: 21, facts: { power: 'battery', battery: 0.64 }, chains: 3 },
    ]);
  });

  test('a flicker shorter than the dwell time never reaches the model', () => {
    play([
      { t: 0, facts: { power: 'ac' }, chains: 4 },
      { t: 2, facts: { power: 'battery', battery: 0.9 }, chains: 3 },
      { t: 4, facts: { power: 'ac' }, chains: 3 },
      { t: 6, facts: { power: 'battery', battery: 0.9 }, chains: 3 },
      { t: 8, facts: { power: 'ac' }, chains: 3 },
      { t: 10, facts: { power: 'battery', battery: 0.9 }, chains: 3 },
      { t: 12, facts: { power: 'battery', battery: 0.9 }, chains: 3 },
    ]);
  });

  test('thermal critical skips the dwell on the way down, but not on the way back up', () => {
    play([
      { t: 0, facts: { power: 'ac' }, chains: 4 },
      { t: 1, facts: { power: 'battery', battery: 0.9 }, chains: 3 },
      { t: 2, facts: { power: 'battery', battery: 0.9, thermal: 'serious' }, chains: 3 }, // serious waits
      { t: 3, facts: { power: 'battery', battery: 0.9, thermal: 'critical' }, chains: 1 }, // critical does not
      { t: 4, facts: { power: 'ac', thermal: 'nominal' }, chains: 1, reason: '1/4 chains: on AC (4 in 9 s)' },
      { t: 13, facts: { power: 'ac', thermal: 'nominal' }, chains: 4 },
    ]);
  });

  test('an emergency never hurries growth', () => {
    // Critical heat caps at 3 here, above the 1 chain the battery had forced: growing to 3 waits.
    const rules: Rules = { ...DEFAULT_RULES, thermal: { enabled: true, at: 'critical', chains: 3 } };
    play(
      [
        { t: 0, facts: { power: 'ac' }, chains: 4 },
        { t: 1, facts: { power: 'battery', battery: 0.2 }, chains: 1 },
        { t: 2, facts: { power: 'ac', thermal: 'critical' }, chains: 1, reason: '1/4 chains: thermal critical (3 in 9 s)' },
        { t: 11, facts: { power: 'ac', thermal: 'critical' }, chains: 3 },
      ],
      rules,
    );
  });

  test('a nearly empty battery skips the dwell; a merely low one waits', () => {
    const rows = (level: number): Row[] => [
      { t: 0, facts: { power: 'ac' }, chains: 4 },
      { t: 1, facts: { power: 'battery', battery: 0.4 }, chains: 3 },
      { t: 2, facts: { power: 'battery', battery: level }, chains: level < 0.1 ? 1 : 3 },
    ];
    play(rows(0.09));
    play(rows(0.2));
  });
});

describe('manual choice', () => {
  test('always wins, is clamped to 1..n, and skips the dwell', () => {
    play([
      { t: 0, facts: { power: 'ac' }, chains: 4 },
      { t: 1, facts: { power: 'ac' }, manual: 2, chains: 2, reason: '2/4 chains: manual' },
      { t: 2, facts: { thermal: 'critical' }, chains: 2, reason: '2/4 chains: manual' },
      { t: 3, facts: { power: 'ac' }, manual: 9, chains: 4, reason: '4/4 chains: manual' },
      { t: 4, facts: { power: 'ac' }, manual: 0, chains: 1, reason: '1/4 chains: manual' },
    ]);
  });

  test('back to auto applies the automatic count at once', () => {
    play([
      { t: 0, facts: { power: 'ac' }, chains: 4 },
      { t: 1, facts: { power: 'battery', battery: 0.5 }, manual: 4, chains: 4 },
      { t: 2, facts: { power: 'battery', battery: 0.5 }, manual: null, chains: 3, reason: '3/4 chains: on battery, 50%' },
    ]);
  });

  test('hysteresis keeps tracking under a manual choice', () => {
    play(
      [
        { t: 0, facts: { power: 'battery', battery: 0.29 }, manual: 4, chains: 4 }, // enters low battery unseen
        { t: 1, facts: { power: 'battery', battery: 0.33 }, chains: 4 },
        { t: 2, facts: { power: 'battery', battery: 0.33 }, manual: null, chains: 1 }, // still in the band: still low
      ],
      noDwell,
    );
  });
});

describe('purity', () => {
  test('the same inputs give the same decision, and nothing passed in is changed', () => {
    const s = signals({ power: 'battery', battery: 0.28, gpuOthers: 0.9 });
    const state = initialPolicyState(4);
    const frozen = structuredClone(state);
    const frozenSignals = structuredClone(s);
    const a = decide(s, DEFAULT_RULES, state, 1000);
    const b = decide(s, DEFAULT_RULES, state, 1000);
    expect(a).toEqual(b);
    expect(state).toEqual(frozen);
    expect(s).toEqual(frozenSignals);
    expect(a.state).not.toBe(state);
  });

  test('a new model with fewer chains is obeyed at once, not after the dwell', () => {
    let state = initialPolicyState(4);
    state = decide(signals({ power: 'ac' }), DEFAULT_RULES, state, 0).state;
    state = decide(signals({ power: 'battery', battery: 0.9 }), DEFAULT_RULES, state, 1000).state;
    state = withChainCount(state, 2);
    const d = decide(signals({ power: 'ac' }), DEFAULT_RULES, state, 2000);
    expect(d.chains).toBe(2);
    expect(d.reason).toBe('2/2 chains: on AC');
  });
});

// The GPU rules name the GPU they read: the one our session runs on (cuda:N: others' use of it and
// its free VRAM), or, with the model on the CPU, GPU 0's load as before, saying the model is not there.
describe('GPU rules and the GPU they are about', () => {
  test.each<[string, SignalFacts, number, string]>([
    ['on cuda:1, others busy', { power: 'ac', gpuOthers: 0.82, gpuOn: 1, gpuFreeMiB: 3072 }, 3, '3/4 chains: GPU busy, others 82% on cuda:1 (3.0 of 8.0 GiB VRAM free)'],
    ['on cuda:0, free', { power: 'ac', gpuOthers: 0.1, gpuOn: 0, gpuFreeMiB: 6246 }, 4, '4/4 chains: on AC, GPU free on cuda:0 (6.1 of 8.0 GiB VRAM free)'],
    ['on cuda:0, in the band', { power: 'ac', gpuOthers: 0.65, gpuOn: 0 }, 4, '4/4 chains: on AC, GPU others 65% on cuda:0'],
    ['model on the CPU, GPU 0 busy', { power: 'ac', gpuOthers: 0.82, gpuOn: 'cpu', gpuFreeMiB: 100 }, 3, '3/4 chains: GPU 0 busy, others 82% (model on CPU)'],
    ['model on the CPU, GPU 0 free', { power: 'ac', gpuOthers: 0.05, gpuOn: 'cpu' }, 4, '4/4 chains: on AC, GPU 0 free (model on CPU)'],
    ['no GPU reading: as before', { power: 'ac', gpuOthers: 0.8 }, 3, '3/4 chains: GPU busy, others 80%'],
  ])('%s', (_what, facts, chains, reason) => {
    play([{ t: 0, facts, chains, reason }]);
  });

  test('our GPU nearly full: one fewer, with its free memory; on the CPU a full GPU is not ours to free', () => {
    play([{ t: 0, facts: { power: 'ac', gpuOthers: 0.1, gpuOn: 0, gpuFreeMiB: 300 }, chains: 3, reason: '3/4 chains: cuda:0 memory low, 0.3 of 8.0 GiB free' }]);
    play([{ t: 0, facts: { power: 'ac', gpuOthers: 0.1, gpuOn: 'cpu', gpuFreeMiB: 300 }, chains: 4, reason: '4/4 chains: on AC, GPU 0 free (model on CPU)' }]);
    // Free memory without knowing which GPU it is: no rule on a guess.
    play([{ t: 0, facts: { power: 'ac', gpuFreeMiB: 300 }, chains: 4, reason: '4/4 chains: on AC' }]);
  });

  test('free VRAM: enters under 5%, leaves only over 10%', () => {
    const on = (free: number): SignalFacts => ({ power: 'ac', gpuOn: 0, gpuFreeMiB: free, gpuTotalMiB: 10000 });
    play(
      [
        { t: 0, facts: on(600), chains: 4 },
        { t: 1, facts: on(499), chains: 3 },
        { t: 2, facts: on(800), chains: 3 },
        { t: 3, facts: on(1000), chains: 3 },
        { t: 4, facts: on(1001), chains: 4 },
      ],
      noDwell,
    );
  });

  test('busy and nearly full together cap once (the same "fewer"), naming both', () => {
    play([{ t: 0, facts: { power: 'ac', gpuOthers: 0.9, gpuOn: 2, gpuFreeMiB: 200 }, chains: 3, reason: '3/4 chains: GPU busy, others 90% on cuda:2; cuda:2 memory low, 0.2 of 8.0 GiB free' }]);
  });

  test('freeBelow 0 turns the memory rule off; the GPU rule off turns both off', () => {
    const noMemory: Rules = { ...DEFAULT_RULES, gpuBusy: { ...DEFAULT_RULES.gpuBusy, freeBelow: 0 } };
    play([{ t: 0, facts: { power: 'ac', gpuOn: 0, gpuFreeMiB: 10 }, chains: 4 }], noMemory);
    const off: Rules = { ...DEFAULT_RULES, gpuBusy: { ...DEFAULT_RULES.gpuBusy, enabled: false } };
    play([{ t: 0, facts: { power: 'ac', gpuOthers: 0.99, gpuOn: 0, gpuFreeMiB: 10 }, chains: 4 }], off);
  });
});
