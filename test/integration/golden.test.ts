// The engine against the PyTorch reference's golden logits, for every fixture, every chain
// count, chain-count schedules, batched evaluation, and the prefill path generation uses.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import { compareRow, loadGoldens, type Golden } from '../helpers/golden.js';

const goldens = loadGoldens();
const worstByFixture = new Map<string, number>();

function seededSchedule(seed: number, length: number, n: number): number[] {
  let s = seed;
  return Array.from({ length }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return 1 + (s % n);
  });
}

describe.each(goldens.map((g) => [g.name, g] as [string, Golden]))('%s', (name, g) => {
  let model: Model;
  const V = () => model.config.vocabSize;
  const note = (err: number) => worstByFixture.set(name, Math.max(worstByFixture.get(name) ?? 0, err));

  beforeAll(async () => {
    model = await loadModel(g.model);
  });
  afterAll(() => model.dispose());

  test('every chain count, one position at a time, matches the reference', async () => {
    expect(model.chainCount).toBe(g.chains);
    for (let k = 1; k <= g.chains; k++) {
      const session = model.createSession({ kvType: 'f32', contextSize: 64 });
      for (let p = 0; p < g.tokens.length; p++) {
        const logits = await session.evaluate([g.tokens[p]!], { chains: k });
        note(compareRow(logits!, g.logits[k]![p]!, `k=${k} position ${p}`));
      }
      session.dispose();
    }
  });

  test('a batched evaluation of all positions matches the reference', async () => {
    for (let k = 1; k <= g.chains; k++) {
      const session = model.createSession({ kvType: 'f32', contextSize: 64 });
      const all = (await session.evaluate(g.tokens, { chains: k, logits: 'all' }))!;
      for (let p = 0; p < g.tokens.length; p++) note(compareRow(all.subarray(p * V(), (p + 1) * V()), g.logits[k]![p]!, `k=${k} row ${p}`));
      session.dispose();
    }
  });

  test('the logits of different chain counts differ (the test can tell them apart)', () => {
    if (g.chains === 1) return;
    const a = g.logits['1']![3]!;
    const b = g.logits[String(g.chains)]![3]!;
    expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!)))).toBeGreaterThan(1e-2);
  });

  test('chain-count schedules that change at every position match the reference', async () => {
    for (const seed of [1, 2, 3]) {
      const schedule = seededSchedule(seed, g.tokens.length, g.chains);
      const session = model.createSession({ kvType: 'f32', contextSize: 64 });
      for (let p = 0; p < g.tokens.length; p++) {
        const k = schedule[p]!;
        const logits = await session.evaluate([g.tokens[p]!], { chains: k });
        note(compareRow(logits!, g.logits[k]![p]!, `schedule ${schedule.join(',')} position ${p}`));
      }
      session.dispose();
    }
  });

  test('prefill (as generation reads a prompt) then decode matches the reference and decode alone', async () => {
    for (const P of [1, 5, g.tokens.length]) {
      for (let k = 1; k <= g.chains; k++) {
        const session = model.createSession({ kvType: 'f32', contextSize: 64 });
        const first = await session.prefill(g.tokens.slice(0, P), { chains: k });
        note(compareRow(first, g.logits[k]![P - 1]!, `prefill ${P} at k=${k}`));
        for (let p = P; p < g.tokens.length; p++) {
          const kk = 1 + ((k + p) % g.chains);
          const logits = await session.evaluate([g.tokens[p]!], { chains: kk });
          note(compareRow(logits!, g.logits[kk]![p]!, `after prefill ${P}: position ${p} at k=${kk}`));
        }
        session.dispose();
      }
    }
  });
});

afterAll(() => {
  // The largest error against the reference per fixture, for the issue notes.
  console.log('largest |engine - reference| per fixture:', Object.fromEntries([...worstByFixture].map(([k, v]) => [k, v.toExponential(2)])));
});
