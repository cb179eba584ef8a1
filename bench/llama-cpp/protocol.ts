// The one measuring protocol both engines follow, so their numbers compare: the same prompt ids,
// prefill = evaluating the whole prompt and picking the next token, decode = greedy tokens after it
// (timed from the first generated token on), a warm-up round first, the best round kept.

export interface SpeedOptions {
  threads: number;
  promptTokens: number;
  decodeTokens: number;
  /** Timed rounds after the warm-up; the fastest is reported (2 shared cores are noisy). */
  rounds: number;
}

export interface SpeedResult {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  threads: number;
}

export const DEFAULT_SPEED_OPTIONS: SpeedOptions = { threads: 1, promptTokens: 128, decodeTokens: 64, rounds: 2 };

/**
 * Prompt ids that are real tokens in every bench model (the fixture tokenizer's ids stop at 300;
 * ids above are padding), spread so no two neighbours repeat.
 */
export function benchPrompt(length: number): number[] {
  return Array.from({ length }, (_, i) => (i * 7919 + 13) % 290);
}

/** Times one round: `prefill` reads the prompt and returns the first token, `step` one more. */
export async function timeRound(
  opts: SpeedOptions,
  prefill: (prompt: number[]) => Promise<number>,
  step: (token: number) => Promise<number>,
): Promise<{ prefillMs: number; decodeMs: number }> {
  const t0 = performance.now();
  let token = await prefill(benchPrompt(opts.promptTokens));
  const t1 = performance.now();
  for (let i = 0; i < opts.decodeTokens; i++) token = await step(token);
  const t2 = performance.now();
  return { prefillMs: t1 - t0, decodeMs: t2 - t1 };
}

/** The warm-up round, then `rounds` timed ones; each rate is the best round's. */
export async function bestRates(opts: SpeedOptions, round: () => Promise<{ prefillMs: number; decodeMs: number }>): Promise<SpeedResult> {
  await round();
  let prefillMs = Infinity;
  let decodeMs = Infinity;
  for (let r = 0; r < opts.rounds; r++) {
    const t = await round();
    prefillMs = Math.min(prefillMs, t.prefillMs);
    decodeMs = Math.min(decodeMs, t.decodeMs);
  }
  return {
    prefillTokensPerSecond: (opts.promptTokens * 1000) / prefillMs,
    decodeTokensPerSecond: (opts.decodeTokens * 1000) / decodeMs,
    threads: opts.threads,
  };
}

export function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
