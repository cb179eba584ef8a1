// What 'auto' generations run with, token by token: CoLM-Air follows the policy both ways at the
// next token; plain CoLM follows it down at once and up only at the next turn (a new generation).
import { expect, test } from 'vitest';

import { followAutoChains } from '../../../app/host/auto-chains-follower.js';

function run(kvSharing: boolean, policy: number[]): number[] {
  let i = 0;
  const chainsAt = followAutoChains(() => policy[i]!, 4, kvSharing);
  return policy.map((_, position) => {
    i = position;
    return chainsAt(position);
  });
}

test('CoLM-Air takes the policy\'s count at every token, shrinking and growing', () => {
  expect(run(true, [4, 4, 2, 2, 1, 3, 4])).toEqual([4, 4, 2, 2, 1, 3, 4]);
});

test('plain CoLM shrinks at the next token but never grows within a generation', () => {
  expect(run(false, [4, 4, 2, 3, 4, 1, 4])).toEqual([4, 4, 2, 2, 2, 1, 1]);
});

test('plain CoLM starts a new generation (the next turn) at whatever the policy says then', () => {
  expect(run(false, [1, 4, 4])).toEqual([1, 1, 1]);
  expect(run(false, [4, 4])).toEqual([4, 4]); // a fresh ceiling: the turn boundary grows it back
});

test('counts outside 1..n, fractions and nonsense are kept in range', () => {
  expect(run(true, [9, 0, 2.6, Number.NaN, -3])).toEqual([4, 1, 3, 4, 1]);
});
