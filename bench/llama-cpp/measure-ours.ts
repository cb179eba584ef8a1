// Prefill and decode speed of this engine on a checkpoint, by the same protocol as llama.cpp's.
//   loop 'native' (default): the engine's own decode loop (Session.generate, greedy, no stop
//     tokens), the path the app and `colm run` take, as llama.cpp's evaluate() generator is its own;
//   loop 'per-token': one evaluate() round trip per token, greedy in JS from the logits.
import { loadModel } from '../../app/engine/model.js';
import { argmax, benchPrompt, bestRates, timeRound, type SpeedOptions, type SpeedResult } from './protocol.js';
import type { Session } from '../../app/engine/session.js';

export type DecodeLoop = 'native' | 'per-token';

export async function measureOurs(checkpointPath: string, opts: SpeedOptions, loop: DecodeLoop = 'native'): Promise<SpeedResult & { kernels: string; loop: DecodeLoop }> {
  const model = await loadModel(checkpointPath);
  const session = model.createSession({ contextSize: opts.promptTokens + opts.decodeTokens + 8, threads: opts.threads });
  try {
    const result = await bestRates(opts, () => {
      session.truncate(0);
      return loop === 'native' ? nativeRound(session, opts) : perTokenRound(session, opts);
    });
    return { ...result, kernels: model.info().kernels, loop };
  } finally {
    session.dispose();
    model.dispose();
  }
}

function perTokenRound(session: Session, opts: SpeedOptions): Promise<{ prefillMs: number; decodeMs: number }> {
  const next = async (tokens: number[]) => argmax((await session.evaluate(tokens, { logits: 'last' }))!);
  return timeRound(opts, (prompt) => next(prompt), (token) => next([token]));
}

/** Prefill = until the first token arrives; decode = the decodeTokens after it. */
async function nativeRound(session: Session, opts: SpeedOptions): Promise<{ prefillMs: number; decodeMs: number }> {
  const t0 = performance.now();
  let first = 0;
  let tokens = 0;
  for await (const t of session.generate(benchPrompt(opts.promptTokens), { temperature: 0, maxTokens: opts.decodeTokens + 1, stopTokens: [] })) {
    if (t.token < 0) continue; // held-back text released at the end, no token
    if (tokens === 0) first = performance.now();
    tokens++;
  }
  const end = performance.now();
  if (tokens !== opts.decodeTokens + 1) throw new Error(`the decode loop gave ${tokens} tokens, expected ${opts.decodeTokens + 1}`);
  return { prefillMs: first - t0, decodeMs: end - first };
}
