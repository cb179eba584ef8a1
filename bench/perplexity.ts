// Held-out perplexity of a loaded model at each chain count: the text's tokens are cut into
// evenly spread windows, each window is evaluated in one call (logits at every position), and the
// cross-entropy of every next token is averaged in float64. Also, against a second model on the
// same windows, the mean KL divergence and how often the two agree on the most likely token.
import type { Model } from '../app/engine/model.js';
import { logSoftmax } from '../app/engine/perplexity.js';

export interface WindowPlan {
  windows: number[][]; // each: the tokens of one window, evaluated from an empty cache
}

/** `count` windows of `length` tokens, spread evenly over the text (the last may end at its end). */
export function spreadWindows(tokens: readonly number[], count: number, length: number): WindowPlan {
  if (tokens.length < length + 1) throw new Error(`the text has ${tokens.length} tokens, fewer than one window of ${length}`);
  const room = tokens.length - length;
  const windows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const start = count === 1 ? 0 : Math.floor((room * i) / (count - 1));
    windows.push(tokens.slice(start, start + length));
  }
  return { windows };
}

/** Logits of every position of every window at chain count k, one window per session. */
async function windowLogits(model: Model, plan: WindowPlan, k: number, threads: number): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const window of plan.windows) {
    const session = model.createSession({ contextSize: window.length + 8, threads });
    try {
      out.push((await session.evaluate(window, { chains: k, logits: 'all' }))!);
    } finally {
      session.dispose();
    }
  }
  return out;
}

export interface Comparison {
  k: number;
  perplexity: number; // of `model`
  otherPerplexity: number; // of `other`
  meanKl: number; // mean over positions of KL(model || other), nats
  top1Agreement: number; // fraction of positions where both rank the same token first
  positions: number;
}

/** Perplexity of both models at chain count k on the same windows, and how far apart they are. */
export async function compareAt(model: Model, other: Model, plan: WindowPlan, k: number, threads: number): Promise<Comparison> {
  const V = model.config.vocabSize;
  const a = await windowLogits(model, plan, k, threads);
  const b = await windowLogits(other, plan, k, threads);
  let nllA = 0;
  let nllB = 0;
  let kl = 0;
  let agree = 0;
  let positions = 0;
  plan.windows.forEach((window, w) => {
    for (let p = 0; p + 1 < window.length; p++) {
      const la = logSoftmax(a[w]!.subarray(p * V, (p + 1) * V));
      const lb = logSoftmax(b[w]!.subarray(p * V, (p + 1) * V));
      const next = window[p + 1]!;
      nllA -= la[next]!;
      nllB -= lb[next]!;
      let bestA = 0;
      let bestB = 0;
      for (let i = 0; i < V; i++) {
        kl += Math.exp(la[i]!) * (la[i]! - lb[i]!);
        if (la[i]! > la[bestA]!) bestA = i;
        if (lb[i]! > lb[bestB]!) bestB = i;
      }
      if (bestA === bestB) agree++;
      positions++;
    }
  });
  return { k, perplexity: Math.exp(nllA / positions), otherPerplexity: Math.exp(nllB / positions), meanKl: kl / positions, top1Agreement: agree / positions, positions };
}
