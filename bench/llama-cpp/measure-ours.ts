// Prefill and decode speed of this engine on a checkpoint, by the same protocol as llama.cpp's.
import { loadModel } from '../../app/engine/model.js';
import { argmax, bestRates, timeRound, type SpeedOptions, type SpeedResult } from './protocol.js';

export async function measureOurs(checkpointPath: string, opts: SpeedOptions): Promise<SpeedResult & { kernels: string }> {
  const model = await loadModel(checkpointPath);
  const session = model.createSession({ contextSize: opts.promptTokens + opts.decodeTokens + 8, threads: opts.threads });
  try {
    // Greedy in JS from the last position's logits, as llama.cpp samples from its own.
    const next = async (tokens: number[]) => argmax((await session.evaluate(tokens, { logits: 'last' }))!);
    const result = await bestRates(opts, () => {
      session.truncate(0);
      return timeRound(opts, (prompt) => next(prompt), (token) => next([token]));
    });
    return { ...result, kernels: model.info().kernels };
  } finally {
    session.dispose();
    model.dispose();
  }
}
