// Misuse of a session gets a clear error and leaves the session usable.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import { loadGoldens } from '../helpers/golden.js';

const g = loadGoldens().find((x) => x.name === 'air4_f32')!;
let model: Model;
beforeAll(async () => {
  model = await loadModel(g.model);
});
afterAll(() => model.dispose());

test('past the context size: a clear error, and the session keeps its state', async () => {
  const s = model.createSession({ contextSize: 8 });
  await s.evaluate(g.tokens.slice(0, 6), { chains: 2 });
  await expect(s.evaluate(g.tokens.slice(0, 3), { chains: 2 })).rejects.toThrow(/context is full: 6 \+ 3 tokens do not fit in a context of 8/);
  expect(s.position).toBe(6);
  const logits = await s.evaluate([g.tokens[6]!], { chains: 2 });
  expect(logits!.length).toBe(model.config.vocabSize);
  s.dispose();
});

test('a token outside the vocabulary and a chain count out of range are refused', async () => {
  const s = model.createSession({ contextSize: 8 });
  await expect(s.evaluate([model.config.vocabSize], { chains: 1 })).rejects.toThrow(/token id 300 is outside the vocabulary/);
  await expect(s.evaluate([1], { chains: 5 })).rejects.toThrow(/chains must be an integer from 1 to 4/);
  expect(s.position).toBe(0);
  s.dispose();
});

test('a second evaluation while one runs is refused, not raced', async () => {
  const s = model.createSession({ contextSize: 8 });
  const first = s.evaluate([1, 2, 3], { chains: 4 });
  await expect(s.evaluate([4], { chains: 4 })).rejects.toThrow(/busy/);
  await first;
  s.dispose();
});

test('a disposed session and a disposed model say so', async () => {
  const s = model.createSession({ contextSize: 8 });
  s.dispose();
  await expect(s.evaluate([1], { chains: 1 })).rejects.toThrow(/disposed/);
  const other = await loadModel(g.model);
  other.dispose();
  expect(() => other.createSession()).toThrow(/disposed/);
});
