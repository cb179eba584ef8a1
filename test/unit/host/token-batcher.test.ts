// Tokens are gathered into batches no more often than the interval; the last partial batch is
// sent on flush, and trailing text joins the batch without adding a token.
import { expect, test } from 'vitest';

import type { TokenBatch } from '../../../app/host/protocol.js';
import { TokenBatcher } from '../../../app/host/token-batcher.js';

const stats = { tokensPerSecond: 10, prefillMs: 1, contextUsed: 5, contextSize: 64 };

test('batches are cut by time, not by count', () => {
  let now = 0;
  const sent: TokenBatch[] = [];
  const batcher = new TokenBatcher(20, (b) => sent.push(b), () => now);
  for (let i = 0; i < 10; i++) {
    now += 5; // a token every 5 ms: four per 20 ms batch
    batcher.push({ chains: 1 + (i % 2), text: String(i) }, String(i), stats);
  }
  batcher.push(null, '!', stats);
  batcher.flush(stats);
  expect(sent.map((b) => b.tokens.length)).toEqual([4, 4, 2]);
  expect(sent.map((b) => b.text).join('')).toBe('0123456789!');
  expect(sent[0]!.tokens.map((t) => t.chains)).toEqual([1, 2, 1, 2]);
  batcher.flush(stats); // nothing left: nothing sent
  expect(sent).toHaveLength(3);
});

test('a slow model sends each token as soon as the interval has passed', () => {
  let now = 0;
  const sent: TokenBatch[] = [];
  const batcher = new TokenBatcher(20, (b) => sent.push(b), () => now);
  for (let i = 0; i < 3; i++) {
    now += 100;
    batcher.push({ chains: 4, text: 'x' }, 'x', stats);
  }
  expect(sent.map((b) => b.tokens.length)).toEqual([1, 1, 1]);
});
