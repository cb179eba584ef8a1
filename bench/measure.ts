// Timed runs of the engine for the benchmark: decode and prefill rates, chain switches.
import type { KvType } from '../app/engine/kv-type.js';
import type { Model } from '../app/engine/model.js';

export interface Rates {
  decodeTokensPerSecond: number;
  prefillTokensPerSecond: number;
}

function promptOf(length: number, vocab: number): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % Math.min(vocab, 290));
}

/** Decode rate after a short prompt (best of `rounds`), and the prefill rate of a long prompt. */
export async function measureRates(model: Model, opts: { threads: number; chains: number; decodeTokens: number; prefillTokens: number }): Promise<Rates> {
  const session = model.createSession({ contextSize: Math.max(opts.prefillTokens, 64 + opts.decodeTokens) + 8, threads: opts.threads });
  try {
    const vocab = model.config.vocabSize;
    await session.evaluate(promptOf(16, vocab), { chains: opts.chains, logits: 'none' });
    let best = Infinity;
    for (let round = 0; round < 2; round++) {
      const t0 = performance.now();
      for (let i = 0; i < opts.decodeTokens; i++) await session.evaluate([(i * 31) % 290], { chains: opts.chains, logits: 'last' });
      best = Math.min(best, (performance.now() - t0) / opts.decodeTokens);
    }
    session.truncate(0);
    const t0 = performance.now();
    await session.evaluate(promptOf(opts.prefillTokens, vocab), { chains: opts.chains, logits: 'last' });
    const prefillMs = performance.now() - t0;
    return { decodeTokensPerSecond: 1000 / best, prefillTokensPerSecond: (opts.prefillTokens * 1000) / prefillMs };
  } finally {
    session.dispose();
  }
}

/** Time to read a prompt: CoLM-Air's chain-1 prefill (generation's path) against the full model. */
export async function measurePrefillPaths(model: Model, tokens: number, threads: number): Promise<{ chain1Ms: number; fullMs: number }> {
  const n = model.chainCount;
  const prompt = promptOf(tokens, model.config.vocabSize);
  const session = model.createSession({ contextSize: tokens + 8, threads });
  try {
    let t0 = performance.now();
    await session.prefill(prompt, { chains: n });
    const chain1Ms = performance.now() - t0;
    session.truncate(0);
    t0 = performance.now();
    await session.evaluate(prompt, { chains: n, logits: 'last' });
    return { chain1Ms, fullMs: performance.now() - t0 };
  } finally {
    session.dispose();
  }
}

/** Next-token latency right after a chain switch, against the steady state at the new count. */
export async function measureSwitchCost(model: Model, threads: number, from: number, to: number): Promise<{ steadyMs: number; afterSwitchMs: number }> {
  const session = model.createSession({ contextSize: 512, threads });
  try {
    await session.evaluate(promptOf(64, model.config.vocabSize), { chains: from, logits: 'none' });
    const steady: number[] = [];
    const after: number[] = [];
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 4; i++) await session.evaluate([i + 1], { chains: from, logits: 'last' });
      let t0 = performance.now();
      await session.evaluate([5], { chains: to, logits: 'last' });
      after.push(performance.now() - t0);
      for (let i = 0; i < 3; i++) {
        t0 = performance.now();
        await session.evaluate([6 + i], { chains: to, logits: 'last' });
        steady.push(performance.now() - t0);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    return { steadyMs: median(steady), afterSwitchMs: median(after) };
  } finally {
    session.dispose();
  }
}

/**
 * Decode rate with the KV cache filled to `filled` positions, per KV cache type: attention then
 * streams `filled` rows of K and V per layer and token, which a narrow type halves (or more). One
 * session per type, each filled once; the rounds take the types in turn (best of `rounds` each), so
 * a busy machine slows every type alike.
 */
export async function measureKvDecode(
  model: Model,
  opts: { kvTypes: readonly KvType[]; filled: number; decodeTokens: number; threads: number; rounds: number },
): Promise<Array<{ kvType: KvType; decodeTokensPerSecond: number; kvBytes: number }>> {
  const chains = model.chainCount;
  const sessions = opts.kvTypes.map((kvType) => model.createSession({ contextSize: opts.filled + opts.decodeTokens + 8, threads: opts.threads, kvType }));
  try {
    for (const s of sessions) await s.evaluate(promptOf(opts.filled, model.config.vocabSize), { chains, logits: 'none' });
    const best = sessions.map(() => Infinity);
    for (let round = 0; round < opts.rounds; round++) {
      for (let j = 0; j < sessions.length; j++) {
        const s = sessions[j]!;
        s.truncate(opts.filled);
        const t0 = performance.now();
        for (let i = 0; i < opts.decodeTokens; i++) await s.evaluate([(i * 31) % 290], { chains, logits: 'last' });
        best[j] = Math.min(best[j]!, (performance.now() - t0) / opts.decodeTokens);
      }
    }
    return sessions.map((s, j) => ({ kvType: opts.kvTypes[j]!, decodeTokensPerSecond: 1000 / best[j]!, kvBytes: s.kvCacheBytes }));
  } finally {
    sessions.forEach((s) => s.dispose());
  }
}

/**
 * Decode rate of Session.generate (greedy, no stop) through the native decode loop and through the
 * earlier per-token evaluate() path, on one session, the two taking turns for `rounds` rounds (a
 * busy machine slows both alike). Rate: tokens after the first over the wall time from the first
 * token's arrival to the last's, as a consumer of the stream sees it. `native` is null when the
 * addon has no decode loop (an older build, for before/after runs).
 */
export async function measureDecodeLoop(
  model: Model,
  opts: { threads: number; tokens: number; rounds: number; chains?: number; hasNativeLoop: boolean },
): Promise<{ perToken: number; native: number | null; ratios: number[] }> {
  const session = model.createSession({ contextSize: 32 + opts.tokens, threads: opts.threads });
  const prompt = promptOf(16, model.config.vocabSize);
  const rate = async (decodeLoop: 'native' | 'per-token'): Promise<number> => {
    let first = 0;
    let n = 0;
    for await (const t of session.generate(prompt, { decodeLoop, maxTokens: opts.tokens, temperature: 0, stopTokens: [], chains: opts.chains })) {
      if (t.token < 0) continue;
      if (++n === 1) first = performance.now();
    }
    return (n - 1) / ((performance.now() - first) / 1000);
  };
  try {
    let perToken = 0;
    let native = 0;
    const ratios: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const a = await rate('per-token');
      perToken = Math.max(perToken, a);
      if (!opts.hasNativeLoop) continue;
      const b = await rate('native');
      native = Math.max(native, b);
      ratios.push(b / a);
    }
    return { perToken, native: opts.hasNativeLoop ? native : null, ratios };
  } finally {
    session.dispose();
  }
}
