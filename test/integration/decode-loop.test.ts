// The native decode loop (native/include/colm/decode.h, Session.generate's default path) against
// the per-token path it replaced: the same tokens, chain counts and finish for the same seed, on
// CoLM-Air, plain CoLM (chains grown mid-reply) and a qk-norm model; stop tokens, maxTokens, a
// full context; an abort, a stop string and an early break end it within one token and leave the
// engine's position equal to the session's history, so the next turn continues as a fresh
// session would.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import type { NativeSession } from '../../app/engine/native.js';
import type { GenerateOptions, GeneratedToken, Session } from '../../app/engine/session.js';

const fixture = (name: string) => resolve('test/fixtures/models', name);
const PROMPT = [296, 72, 101, 108, 108, 111, 44, 32];
const ids = (ts: GeneratedToken[]) => ts.filter((t) => t.token >= 0).map((t) => t.token);
const nativeOf = (s: Session) => (s as unknown as { native: NativeSession }).native;

interface Run {
  tokens: GeneratedToken[];
  finish: string | null;
  position: number;
  enginePosition: number;
}

async function run(model: Model, prompt: number[], options: GenerateOptions, contextSize = 256): Promise<Run> {
  const session = model.createSession({ contextSize, threads: 1 });
  try {
    const tokens: GeneratedToken[] = [];
    for await (const t of session.generate(prompt, options)) tokens.push(t);
    return { tokens, finish: session.finishReason, position: session.position, enginePosition: nativeOf(session).position };
  } finally {
    session.dispose();
  }
}

async function both(model: Model, prompt: number[], options: GenerateOptions, contextSize?: number): Promise<[Run, Run]> {
  const native = await run(model, prompt, { ...options, decodeLoop: 'native' }, contextSize);
  const perToken = await run(model, prompt, { ...options, decodeLoop: 'per-token' }, contextSize);
  return [native, perToken];
}

function expectSame(native: Run, perToken: Run): void {
  expect(ids(native.tokens)).toEqual(ids(perToken.tokens));
  expect(native.tokens.map((t) => t.chains)).toEqual(perToken.tokens.map((t) => t.chains));
  expect(native.tokens.map((t) => t.text).join('')).toBe(perToken.tokens.map((t) => t.text).join(''));
  expect(native.finish).toBe(perToken.finish);
  expect(native.position).toBe(perToken.position);
  expect(native.enginePosition).toBe(native.position);
}

const SAMPLED: GenerateOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, seed: 7, stopTokens: [] };
const GREEDY: GenerateOptions = { temperature: 0, stopTokens: [] };

describe.each([['air4_f32.safetensors'], ['plain_unequal_bf16'], ['qwen3_air.safetensors']])('%s', (name) => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(fixture(name));
  });
  afterAll(() => model.dispose());

  test('the native loop gives the per-token path\'s tokens (greedy and sampled, every chain count)', async () => {
    for (let k = 1; k <= model.chainCount; k++) {
      const [a, b] = await both(model, PROMPT, { ...GREEDY, maxTokens: 12, chains: k });
      expectSame(a, b);
      expect(ids(a.tokens)).toHaveLength(12);
      expect(a.finish).toBe('length');
      expect(a.position).toBe(PROMPT.length + 11); // the last token is not evaluated
    }
    const [a, b] = await both(model, PROMPT, { ...SAMPLED, maxTokens: 24, repeatPenalty: 1.3 });
    expectSame(a, b);
  });

  test('a per-position chain function is honoured token by token', async () => {
    const n = model.chainCount;
    // Plain CoLM: every rise of the count recomputes the new chains' K/V over the past in the loop.
    const schedule = [n, 1, Math.min(2, n), 1, n, n, 1, Math.min(2, n), n, 1];
    const chains = (pos: number) => schedule[pos - (PROMPT.length - 1)]!;
    const [a, b] = await both(model, PROMPT, { ...SAMPLED, maxTokens: schedule.length, chains });
    expectSame(a, b);
    expect(a.tokens.filter((t) => t.token >= 0).map((t) => t.chains)).toEqual(schedule);
  });
});

describe('stops, limits and aborts', () => {
  let model: Model;
  beforeAll(async () => {
    model = await loadModel(fixture('air4_f32.safetensors'));
  });
  afterAll(() => model.dispose());

  test('a stop token ends the reply, unoutput and unevaluated', async () => {
    const free = ids((await run(model, PROMPT, { ...GREEDY, maxTokens: 8 })).tokens);
    const [a, b] = await both(model, PROMPT, { ...GREEDY, maxTokens: 8, stopTokens: [free[4]!] });
    expectSame(a, b);
    expect(ids(a.tokens)).toEqual(free.slice(0, free.indexOf(free[4]!)));
    expect(a.finish).toBe('stop');
  });

  test('a full context ends the reply with "context"', async () => {
    const [a, b] = await both(model, PROMPT, { ...GREEDY, maxTokens: 50 }, 14);
    expectSame(a, b);
    expect(a.finish).toBe('context');
    expect(a.position).toBe(14);
    expect(ids(a.tokens)).toHaveLength(14 - PROMPT.length + 1);
  });

  test('maxTokens 1 reads the prompt only', async () => {
    const [a, b] = await both(model, PROMPT, { ...GREEDY, maxTokens: 1 });
    expectSame(a, b);
    expect(a.position).toBe(PROMPT.length);
  });

  async function fresh(prompt: number[], maxTokens: number): Promise<number[]> {
    return ids((await run(model, prompt, { ...GREEDY, maxTokens })).tokens);
  }

  test('an abort stops within one token and the next turn continues as a fresh session would', async () => {
    const session = model.createSession({ contextSize: 256, threads: 1 });
    const controller = new AbortController();
    const got: number[] = [];
    for await (const t of session.generate(PROMPT, { ...GREEDY, maxTokens: 200, signal: controller.signal })) {
      if (t.token >= 0) got.push(t.token);
      if (got.length === 3) controller.abort();
    }
    expect(got).toHaveLength(3);
    expect(session.finishReason).toBe('abort');
    expect(session.position).toBe(PROMPT.length + 2);
    expect(nativeOf(session).position).toBe(session.position);
    expect(session.tokens).toEqual([...PROMPT, ...got.slice(0, 2)]);
    const next = [...PROMPT, ...got, 65, 66];
    const cont: number[] = [];
    for await (const t of session.generate(next, { ...GREEDY, maxTokens: 6 })) if (t.token >= 0) cont.push(t.token);
    expect(cont).toEqual(await fresh(next, 6));
    session.dispose();
  });

  test('a stop string and an early break end it within one token, the engine truncated to the history', async () => {
    const free = await run(model, PROMPT, { ...GREEDY, maxTokens: 10 });
    const stopAt = free.tokens.findIndex((t, i) => i >= 3 && t.text.trim().length > 0);
    expect(stopAt).toBeGreaterThan(0);
    const stop = free.tokens[stopAt]!.text.trim();
    const session = model.createSession({ contextSize: 256, threads: 1 });
    const got: GeneratedToken[] = [];
    for await (const t of session.generate(PROMPT, { ...GREEDY, maxTokens: 200, stopStrings: [stop] })) got.push(t);
    expect(session.finishReason).toBe('stop');
    const n = ids(got).length;
    expect(n).toBeLessThanOrEqual(stopAt + 1);
    expect(nativeOf(session).position).toBe(session.position);
    expect(session.position).toBe(PROMPT.length + n - 1);

    // A consumer that breaks out after 2 tokens.
    let taken = 0;
    for await (const t of session.generate(PROMPT, { ...GREEDY, maxTokens: 200 })) {
      if (t.token >= 0 && ++taken === 2) break;
    }
    expect(nativeOf(session).position).toBe(session.position);
    expect(session.position).toBe(PROMPT.length + 1);
    expect(nativeOf(session).busy).toBe(false);
    const next = [...session.tokens, 70];
    const cont: number[] = [];
    for await (const t of session.generate(next, { ...GREEDY, maxTokens: 5 })) if (t.token >= 0) cont.push(t.token);
    expect(cont).toEqual(await fresh(next, 5));
    session.dispose();
  });

  test('a chain count set while the loop runs applies from a later token (CoLM-Air, no round trip)', async () => {
    const session = model.createSession({ contextSize: 256, threads: 1 });
    const native = nativeOf(session);
    const { loadAddon } = await import('../../app/engine/native.js');
    const sampler = new (loadAddon().Sampler)({ temperature: 0 });
    // Free-running: the count changes whenever the callback runs (the tiny model may be done by
    // then), once, from 4 to 1.
    const chains: number[] = [];
    const result = await native.generate(Int32Array.from(PROMPT), { chains: 4, sampler, maxTokens: 240 }, (_token, k) => {
      if (chains.push(k) === 1) native.setChains(1);
    });
    expect(result).toEqual({ finish: 'length', produced: 240, position: PROMPT.length + 239 });
    expect(chains[0]).toBe(4);
    expect(chains.filter((k, i) => i > 0 && k !== chains[i - 1]).every((k) => k === 1)).toBe(true);
    expect(chains.filter((k, i) => i > 0 && k !== chains[i - 1]).length).toBeLessThanOrEqual(1);
    session.truncate(0);
    // Lockstep: each token waits for its release, and runs at the count released.
    const wanted = [4, 4, 1, 2, 3, 1];
    const got: number[] = [];
    const stepped = await native.generate(Int32Array.from(PROMPT), { chains: 4, sampler, maxTokens: wanted.length, lockstep: true }, (_token, k) => {
      got.push(k);
      if (got.length < wanted.length) native.release(wanted[got.length]!);
    });
    expect(stepped.finish).toBe('length');
    expect(got).toEqual(wanted);
    session.dispose();
  });

  test('a bad chain count from the function is an error, and the session stays usable', async () => {
    const session = model.createSession({ contextSize: 256, threads: 1 });
    await expect(async () => {
      for await (const _ of session.generate(PROMPT, { ...GREEDY, maxTokens: 5, chains: (p) => (p > PROMPT.length ? 9 : 4) })) {
        // consume
      }
    }).rejects.toThrow(/chains must be an integer/);
    expect(nativeOf(session).busy).toBe(false);
    expect(nativeOf(session).position).toBe(session.position);
    const again = [];
    for await (const t of session.generate(PROMPT, { ...GREEDY, maxTokens: 3 })) again.push(t.token);
    expect(again).toHaveLength(3);
    session.dispose();
  });
});
