// A GGUF's Q8_0 tensors handed to the native loader as their blocks in the file
// (TensorEntry.q8Split, what loadModel asks the GGUF reader for): split at load, with llama.cpp's
// q/k row permutation undone, they give exactly the logits of the same numbers handed over as
// in-memory .qweight/.qscale pairs; a block range that does not fit its shape or the file, or
// rows that are not whole heads, is refused naming the tensor.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LoadPlan, TensorEntry } from '../../app/checkpoint/types.js';
import { loadAddon, type NativeModel } from '../../app/engine/native.js';
import { q8Bytes, quantizeQ8Rows } from '../../app/quantize/q8-rows.js';
import { loadGoldens } from '../helpers/golden.js';
import { floatsOf, planOf } from '../helpers/plans.js';

const addon = loadAddon();
const golden = loadGoldens().find((g) => g.name === 'llama_gqa')!;
let dir = '';
let pairs: LoadPlan; // embedding and LM head as in-memory Q8_0 pairs
let split: LoadPlan; // the same numbers as GGUF blocks in a file, split at load
const HEADS = 2; // the LM head's rows are stored permuted over 2 "heads" (as llama.cpp stores q/k)

/** GGUF Q8_0 blocks ({F16 d; int8 q[32]}) of rows x cols, row `r` of the output holding row order[r]. */
function ggufBlocks(qweight: Uint8Array, qscale: Uint8Array, rows: number, cols: number, order: (r: number) => number): Uint8Array {
  const per = cols / 32;
  const out = new Uint8Array(rows * per * 34);
  for (let r = 0; r < rows; r++) {
    const from = order(r);
    for (let b = 0; b < per; b++) {
      const at = (r * per + b) * 34;
      out.set(qscale.subarray((from * per + b) * 2, (from * per + b) * 2 + 2), at);
      out.set(qweight.subarray(from * cols + b * 32, from * cols + b * 32 + 32), at + 2);
    }
  }
  return out;
}

/** llama.cpp's permutation: stored row h*n + 2p + s holds original row h*n + s*half + p. */
function permuted(rows: number, heads: number): (r: number) => number {
  const n = rows / heads;
  const half = n / 2;
  return (r) => {
    const h = Math.floor(r / n);
    const w = r % n;
    return h * n + (w % 2) * half + Math.floor(w / 2);
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'colm-q8split-'));
  const plan = await planOf(golden.model);
  const file = join(dir, 'blocks.bin');
  const fileIndex = plan.files.length;
  const chunks: Uint8Array[] = [new Uint8Array(13)]; // blocks at unaligned offsets
  let offset = 13;
  const inPairs: TensorEntry[] = [];
  const inSplit: TensorEntry[] = [];
  for (const e of plan.tensors) {
    if (e.name !== 'model.embed_tokens.weight' && e.name !== 'lm_head.weight') {
      inPairs.push(e);
      inSplit.push(e);
      continue;
    }
    const [rows, cols] = e.shape as [number, number];
    const m = quantizeQ8Rows(floatsOf(plan, e), rows, cols, 'F16');
    if ('overflowRow' in m) throw new Error('fixture weights overflow F16 scales');
    const { qweight, qscale } = q8Bytes(m);
    const base = e.name.replace(/\.weight$/, '');
    inPairs.push({ name: `${base}.qweight`, file: 0, offset: 0, byteLength: qweight.byteLength, dtype: 'I8', shape: [rows, cols], data: qweight });
    inPairs.push({ name: `${base}.qscale`, file: 0, offset: 0, byteLength: qscale.byteLength, dtype: 'F16', shape: [rows, cols / 32], data: qscale });
    const heads = base === 'lm_head' ? HEADS : 0;
    const blocks = ggufBlocks(qweight, qscale, rows, cols, heads ? permuted(rows, heads) : (r) => r);
    chunks.push(blocks);
    const at = { file: fileIndex, offset, byteLength: blocks.byteLength };
    inSplit.push({ name: `${base}.qweight`, ...at, dtype: 'I8', shape: [rows, cols], q8Split: { part: 'qweight', unpermuteHeads: heads } });
    inSplit.push({ name: `${base}.qscale`, ...at, dtype: 'F16', shape: [rows, cols / 32], q8Split: { part: 'qscale', unpermuteHeads: heads } });
    offset += blocks.byteLength;
  }
  writeFileSync(file, Buffer.concat(chunks));
  pairs = { ...plan, tensors: inPairs };
  split = { ...plan, files: [...plan.files, file], tensors: inSplit };
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function logits(model: NativeModel): Promise<number[]> {
  const session = new addon.Session(model, { kvType: 'f32', contextSize: 64 });
  try {
    return Array.from((await session.evaluate(Int32Array.from(golden.tokens), 1, { logits: 'all' })).logits!);
  } finally {
    session.dispose();
  }
}

describe('Q8_0 blocks split at load', () => {
  it('give the logits of the same numbers as in-memory pairs, bit for bit (a permuted LM head too)', async () => {
    expect(split.tensors.filter((t) => t.q8Split).length).toBe(4);
    const a = await addon.loadModel(pairs).promise;
    const b = await addon.loadModel(split).promise;
    expect(await logits(b)).toEqual(await logits(a));
    a.dispose();
    b.dispose();
  });

  const broken = (change: (t: TensorEntry) => TensorEntry): LoadPlan => ({ ...split, tensors: split.tensors.map((t) => (t.name === 'lm_head.qweight' ? change(t) : t)) });

  it('refuses blocks that do not match the shape, naming the tensor', async () => {
    await expect(addon.loadModel(broken((t) => ({ ...t, byteLength: t.byteLength - 34 }))).promise).rejects.toThrow(/lm_head\.qweight.*bytes of Q8_0 blocks but shape/);
  });

  it('refuses blocks past the end of the file', async () => {
    await expect(addon.loadModel(broken((t) => ({ ...t, offset: t.offset + 10_000_000 }))).promise).rejects.toThrow(/lm_head\.qweight.*runs past the end of the file/);
  });

  it('refuses a permutation over heads that do not divide the rows', async () => {
    await expect(addon.loadModel(broken((t) => ({ ...t, q8Split: { part: 'qweight', unpermuteHeads: 7 } }))).promise).rejects.toThrow(/not a whole number of 7 heads/);
  });
});
