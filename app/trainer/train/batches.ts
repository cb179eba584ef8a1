// Which token windows make up the batch of step s: a pure function of (seed, s), so a resumed
// run sees exactly the batches an uninterrupted one would have seen.
//
// The shards are cut into windows of seqLen + 1 tokens, seqLen apart (each window's last token
// is the next one's first), never across a shard boundary. Epoch e visits every window once in
// an order shuffled by a generator seeded from (seed, e); position g = s * batch + b of the run
// is window perm_e[g mod W] with e = floor(g / W).

import type { TokenArray } from './token-shards.js';
import { TrainError } from './train-error.js';

/** mulberry32: a small seeded generator of uniform 32-bit values. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export class BatchSampler {
  private readonly starts: { shard: number; offset: number }[] = [];
  private epoch = -1;
  private order: Uint32Array = new Uint32Array(0);

  constructor(
    private readonly shards: TokenArray[],
    readonly batch: number,
    readonly seqLen: number,
    private readonly seed: number,
  ) {
    shards.forEach((s, shard) => {
      for (let offset = 0; offset + seqLen + 1 <= s.length; offset += seqLen) this.starts.push({ shard, offset });
    });
    if (this.starts.length === 0)
      throw new TrainError(`the training tokens (${shards.reduce((n, s) => n + s.length, 0)}) do not fill one window of seqLen + 1 = ${seqLen + 1}`);
  }

  get windows(): number {
    return this.starts.length;
  }

  private permutation(epoch: number): Uint32Array {
    if (epoch !== this.epoch) {
      const W = this.starts.length;
      const order = new Uint32Array(W);
      for (let i = 0; i < W; i++) order[i] = i;
      const next = generator(Math.imul(this.seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(epoch + 1, 0xc2b2ae35));
      for (let i = W - 1; i > 0; i--) {
        const j = next() % (i + 1);
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      this.order = order;
      this.epoch = epoch;
    }
    return this.order;
  }

  /** batch rows of seqLen + 1 ids for step `step` (0-based). */
  batchAt(step: number): Int32Array {
    const out = new Int32Array(this.batch * (this.seqLen + 1));
    const W = this.starts.length;
    for (let b = 0; b < this.batch; b++) {
      const g = step * this.batch + b;
      const { shard, offset } = this.starts[this.permutation(Math.floor(g / W))[g % W]!]!;
      out.set(this.shards[shard]!.subarray(offset, offset + this.seqLen + 1), b * (this.seqLen + 1));
    }
    return out;
  }
}

/**
 * The held-out windows in order (no shuffle), at most `limit` of them, in batches of `batch` (or of
 * all the windows there are, when fewer); a last partial batch is left out.
 */
export function evalBatches(shards: TokenArray[], wanted: number, seqLen: number, limit: number): { batch: number; batches: Int32Array[] } {
  const windows: TokenArray[] = [];
  for (const s of shards)
    for (let offset = 0; offset + seqLen + 1 <= s.length && windows.length < limit; offset += seqLen) windows.push(s.subarray(offset, offset + seqLen + 1));
  const batch = Math.max(1, Math.min(wanted, windows.length));
  const out: Int32Array[] = [];
  for (let i = 0; i + batch <= windows.length; i += batch) {
    const b = new Int32Array(batch * (seqLen + 1));
    for (let j = 0; j < batch; j++) b.set(windows[i + j]!, j * (seqLen + 1));
    out.push(b);
  }
  return { batch, batches: out };
}
