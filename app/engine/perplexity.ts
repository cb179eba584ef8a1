// Perplexity of a loaded model at each chain count, as llama.cpp's `llama-perplexity` reports it:
// the text's tokens are cut into windows that do not overlap, each window is evaluated from an
// empty cache in one call (logits at every position), and the cross-entropy of every next token
// inside a window is averaged in float64. One set of windows serves every chain count, so the
// numbers of k = 1..n are comparable with each other.
import type { DeviceName } from './device-choice.js';
import type { KvType } from './kv-type.js';
import type { Model } from './model.js';

export interface PerplexityOptions {
  threads?: number;
  kvType?: KvType;
  /** The session's device (Model.chooseDevice picks it); absent: the CPU. */
  device?: DeviceName;
  signal?: AbortSignal;
  onRow?: (row: PerplexityRow) => void;
}

/** log-softmax of one row, in float64. */
export function logSoftmax(row: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of row) max = Math.max(max, x);
  let sum = 0;
  for (const x of row) sum += Math.exp(x - max);
  const logZ = max + Math.log(sum);
  const out = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) out[i] = row[i]! - logZ;
  return out;
}

/**
 * Consecutive windows of `length` tokens that do not overlap (the last one shorter when at least
 * two tokens remain); with `maxWindows`, that many of them spread evenly over the text.
 */
export function consecutiveWindows(tokens: readonly number[], length: number, maxWindows?: number): number[][] {
  if (length < 2) throw new Error(`a window needs at least 2 tokens, got ${length}`);
  const all: number[][] = [];
  for (let start = 0; start + 1 < tokens.length; start += length) all.push(tokens.slice(start, start + length));
  if (maxWindows === undefined || all.length <= maxWindows) return all;
  const picked: number[][] = [];
  for (let i = 0; i < maxWindows; i++) picked.push(all[Math.floor((i * all.length) / maxWindows)]!);
  return picked;
}

export interface PerplexityRow {
  chains: number;
  perplexity: number;
  meanNll: number; // nats per token
  positions: number; // next-token predictions scored
}

/** Sum of -log p(next token) over every position of every window, at chain count k. */
async function windowNll(model: Model, windows: number[][], k: number, options: PerplexityOptions) {
  const { threads, kvType, device, signal } = options;
  const V = model.config.vocabSize;
  let nll = 0;
  let positions = 0;
  const length = Math.max(...windows.map((w) => w.length));
  const session = model.createSession({
    contextSize: length,
    ...(threads !== undefined ? { threads } : {}),
    ...(kvType !== undefined ? { kvType } : {}),
    ...(device !== undefined ? { device } : {}),
  });
  try {
    for (const window of windows) {
      signal?.throwIfAborted();
      session.truncate(0);
      const logits = (await session.evaluate(window, { chains: k, logits: 'all' }))!;
      for (let p = 0; p + 1 < window.length; p++) {
        nll -= logSoftmax(logits.subarray(p * V, (p + 1) * V))[window[p + 1]!]!;
        positions++;
      }
    }
  } finally {
    session.dispose();
  }
  return { nll, positions };
}

/** Perplexity of sub-model k for every k in `chainCounts`, on the same windows. */
export async function perplexityByChains(
  model: Model,
  windows: number[][],
  chainCounts: number[],
  options: PerplexityOptions = {},
): Promise<PerplexityRow[]> {
  const rows: PerplexityRow[] = [];
  for (const k of chainCounts) {
    const { nll, positions } = await windowNll(model, windows, k, options);
    const row = { chains: k, perplexity: Math.exp(nll / positions), meanNll: nll / positions, positions };
    rows.push(row);
    options.onRow?.(row);
  }
  return rows;
}
