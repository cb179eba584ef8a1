// Session.generate: sampling determinism, chain counts per token, stop conditions, abort, and
// reuse of the cache across turns.
import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import type { GenerateOptions, GeneratedToken } from '../../app/engine/session.js';
import { loadGoldens } from '../helpers/golden.js';

const air = loadGoldens().find((g) => g.name === 'air4_f32')!;
let model: Model;
beforeAll(async () => {
  model = await loadModel(air.model);
});
afterAll(() => model.dispose());

async function collect(prompt: number[], options: GenerateOptions): Promise<GeneratedToken[]> {
  const session = model.createSession({ contextSize: 256 });
  const out: GeneratedToken[] = [];
  for await (const t of session.generate(prompt, options)) out.push(t);
  session.dispose();
  return out;
}

const prompt = air.tokens.slice(0, 6);
const ids = (ts: GeneratedToken[]) => ts.filter((t) => t.token >= 0).map((t) => t.token);

test('the same seed gives the same tokens; another seed gives others', async () => {
  const a = await collect(prompt, { maxTokens: 30, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 42, stopTokens: [] });
  const b = await collect(prompt, { maxTokens: 30, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 42, stopTokens: [] });
  const c = await collect(prompt, { maxTokens: 30, temperature: 1, topK: 0, topP: 1, minP: 0, seed: 43, stopTokens: [] });
  expect(ids(a)).toHaveLength(30);
  expect(ids(a)).toEqual(ids(b));
  expect(ids(a)).not.toEqual(ids(c));
});

test('greedy generation follows the argmax of the reference logits', async () => {
  const out = await collect(air.tokens.slice(0, 3), { maxTokens: 1, temperature: 0, chains: 4, stopTokens: [] });
  const row = air.logits['4']![2]!;
  expect(out[0]!.token).toBe(row.indexOf(Math.max(...row)));
});

test('each token records the chain count that produced it, read before every token', async () => {
  const wanted = [4, 1, 3, 2, 4, 1, 1, 2];
  const out = await collect(prompt, { maxTokens: wanted.length, temperature: 0, stopTokens: [], chains: (pos) => wanted[pos - (prompt.length - 1)]! });
  expect(out.filter((t) => t.token >= 0).map((t) => t.chains)).toEqual(wanted);
});

test('switching chains between tokens gives the tokens a fixed-schedule evaluation gives', async () => {
  // Generate greedily with a schedule, then replay the tokens through evaluate() at the same
  // chain counts: the argmax at every step must be the generated token.
  const schedule = [2, 4, 1, 3, 4, 2];
  const out = ids(await collect(prompt, { maxTokens: schedule.length, temperature: 0, stopTokens: [], chains: (pos) => schedule[pos - (prompt.length - 1)]! }));
  const s = model.createSession({ contextSize: 64 });
  let logits = await s.prefill(prompt, { chains: schedule[0] });
  for (let i = 0; i < schedule.length; i++) {
    expect(Array.from(logits).indexOf(Math.max(...logits))).toBe(out[i]);
    if (i + 1 < schedule.length) logits = (await s.evaluate([out[i]!], { chains: schedule[i + 1] }))!;
  }
  s.dispose();
});

test('maxTokens, stop tokens and stop strings end generation', async () => {
  const first = ids(await collect(prompt, { maxTokens: 5, temperature: 0, stopTokens: [] }));
  expect(first).toHaveLength(5);
  const stopped = await collect(prompt, { maxTokens: 5, temperature: 0, stopTokens: [first[2]!] });
  expect(ids(stopped)).toEqual(first.slice(0, 2)); // the stop token itself is not output
  const session = model.createSession({ contextSize: 64 });
  const all = [];
  for await (const t of session.generate(prompt, { maxTokens: 5, temperature: 0, stopTokens: [] })) all.push(t);
  expect(session.finishReason).toBe('length');
  session.dispose();
});

test('an AbortSignal stops generation between tokens', async () => {
  const controller = new AbortController();
  const session = model.createSession({ contextSize: 256 });
  let n = 0;
  for await (const t of session.generate(prompt, { maxTokens: 200, temperature: 0, stopTokens: [], signal: controller.signal })) {
    if (t.token >= 0 && ++n === 3) controller.abort();
  }
  expect(n).toBe(3);
  expect(session.finishReason).toBe('abort');
  // The session is still usable afterwards.
  const again = ids(await collect(prompt, { maxTokens: 2, temperature: 0, stopTokens: [] }));
  expect(again).toHaveLength(2);
  session.dispose();
});

test('a second turn reuses the cache of the shared prefix and matches a fresh session', async () => {
  const session = model.createSession({ contextSize: 256 });
  const turn1 = [];
  for await (const t of session.generate(prompt, { maxTokens: 4, temperature: 0, stopTokens: [] })) turn1.push(t.token);
  const held = session.position;
  expect(held).toBe(prompt.length + 3); // the last sampled token is not evaluated yet
  const next = [...prompt, ...turn1, 5, 6];
  const cont = [];
  for await (const t of session.generate(next, { maxTokens: 4, temperature: 0, stopTokens: [] })) cont.push(t.token);
  const fresh = ids(await collect(next, { maxTokens: 4, temperature: 0, stopTokens: [] }));
  expect(cont).toEqual(fresh);
  session.dispose();
});

test('a prompt longer than the context is refused with a clear error', async () => {
  const session = model.createSession({ contextSize: 4 });
  await expect(async () => {
    for await (const _ of session.generate(prompt, { maxTokens: 2 })) {
      // never reached
    }
  }).rejects.toThrow(/context holds 4/);
  session.dispose();
});
