// What each KV cache type costs in fidelity, against the float32 cache: on the default model
// (models/colm-default.safetensors, trained: head_dim 32, 2 KV heads) and on a synthetic plain-CoLM
// model (random weights, head_dim 64, 2 chains), over 320 positions decoded one at a time (the
// decode path, reading the narrow cache) and the same tokens as one prefill (the blocked path).
// Per type: the largest |logit difference| and the mean KL(p_f32 || p_type) over the positions,
// with bounds that a broken rounding (truncation instead of round-to-nearest, a scale per row
// instead of per block, a block across heads) or a wrong widening would exceed. The measured
// values are in docs/BENCHMARKS.md (KV cache types); the bounds leave about 3x headroom.
// Memory: bf16 and f16 take half of f32; q8_0 takes (head_dim + 2 per 32 values) / (4 head_dim).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { KvType } from '../../app/engine/kv-type.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { writeSyntheticCheckpoint } from '../helpers/synthetic.js';

const POSITIONS = 320;

interface Fidelity {
  maxAbs: number; // largest |logit_type - logit_f32| over every position and token
  meanKl: number; // mean over positions of KL(softmax f32 || softmax type), nats
}

function logSoftmax(logits: Float32Array): Float64Array {
  let max = -Infinity;
  for (const x of logits) max = Math.max(max, x);
  let sum = 0;
  for (const x of logits) sum += Math.exp(x - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(logits, (x) => x - lse);
}

function compare(reference: Float32Array[], other: Float32Array[]): Fidelity {
  let maxAbs = 0;
  let kl = 0;
  for (let p = 0; p < reference.length; p++) {
    const a = reference[p]!, b = other[p]!;
    for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]! - b[i]!));
    const la = logSoftmax(a), lb = logSoftmax(b);
    let d = 0;
    for (let i = 0; i < la.length; i++) d += Math.exp(la[i]!) * (la[i]! - lb[i]!);
    kl += d;
  }
  return { maxAbs, meanKl: kl / reference.length };
}

/** Logits of every position, decoded one token at a time, and the session's KV bytes. */
async function decodeAll(model: Model, tokens: number[], kvType: KvType, chains: number): Promise<{ rows: Float32Array[]; bytes: number }> {
  const s = model.createSession({ contextSize: tokens.length, kvType });
  const rows: Float32Array[] = [];
  for (const t of tokens) rows.push((await s.evaluate([t], { chains }))!.slice());
  const bytes = s.kvCacheBytes;
  s.dispose();
  return { rows, bytes };
}

/** Logits of every position from one prefill call (blocks of queries over the narrow cache). */
async function prefillAll(model: Model, tokens: number[], kvType: KvType, chains: number): Promise<Float32Array[]> {
  const s = model.createSession({ contextSize: tokens.length, kvType });
  const all = (await s.evaluate(tokens, { chains, logits: 'all' }))!;
  s.dispose();
  const V = model.config.vocabSize;
  return Array.from({ length: tokens.length }, (_, p) => all.subarray(p * V, (p + 1) * V));
}

// Bounds per type: [max |dlogit|, mean KL in nats], about 3x what was measured (AVX-512 kernels;
// docs/BENCHMARKS.md): default bf16 2.2e-2 / 2.1e-6, f16 3.8e-3 / 4.0e-8, q8_0 8.0e-2 / 1.8e-5;
// synthetic bf16 5.9e-3 / 1.2e-7, f16 8.3e-4 / 2.2e-9, q8_0 2.0e-2 / 1.4e-6. BF16 keeps 8
// significant bits (relative error <= 2^-9 a value), F16 11 (2^-12), Q8_0 about 7 of the block's
// largest value; errors ~2x larger on every value (truncating instead of rounding to nearest, a
// scale per row) would move the KL ~4x and fail.
const BOUNDS: Record<string, Record<Exclude<KvType, 'f32'>, [number, number]>> = {
  default: { bf16: [0.07, 7e-6], f16: [0.012, 1.5e-7], q8_0: [0.25, 6e-5] },
  synthetic: { bf16: [0.02, 4e-7], f16: [0.003, 8e-9], q8_0: [0.06, 4.5e-6] },
};

const results: string[] = [];

describe.each([
  ['default', 'models/colm-default.safetensors'],
  ['synthetic', ''],
] as const)('KV cache types against float32: %s model', (name, file) => {
  let model: Model;
  let dir: string | null = null;
  let tokens: number[];
  let reference: { rows: Float32Array[]; bytes: number };
  let referencePrefill: Float32Array[];
  let chains: number;

  beforeAll(async () => {
    if (file === '') {
      dir = mkdtempSync(join(tmpdir(), 'colm-kv-types-'));
      const path = join(dir, 'synthetic.safetensors');
      // Plain CoLM, 2 chains: KV heads per chain (the grow path stores chain 2's heads apart).
      await writeSyntheticCheckpoint(path, { hiddenSize: 256, intermediateSize: 512, layers: 4, heads: 4, kvHeads: 2, chains: [1, 1], seed: 5 });
      model = await loadModel(path);
      let x = 12345;
      tokens = Array.from({ length: POSITIONS }, () => {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        return (x >>> 8) % model.config.vocabSize;
      });
    } else {
      model = await loadModel(file);
      const text =
        'The committee said that the city would need more money for its schools next year, and the mayor agreed. ' +
        'He told the members of the board that the new plan was the best way to keep the teachers in the county. ';
      tokens = model.tokenizer.encode(text.repeat(8)).slice(0, POSITIONS);
    }
    expect(tokens.length).toBe(POSITIONS);
    chains = model.chainCount;
    reference = await decodeAll(model, tokens, 'f32', chains);
    referencePrefill = await prefillAll(model, tokens, 'f32', chains);
  }, 120_000);

  afterAll(() => {
    model.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (results.length > 0 && name === 'synthetic') console.log(['KV type fidelity (decode | prefill):', ...results].join('\n'));
  });

  test.each([['bf16'], ['f16'], ['q8_0']] as const)('%s: error against f32 within its bound, memory in its ratio', async (kvType) => {
    const decoded = await decodeAll(model, tokens, kvType, chains);
    const d = compare(reference.rows, decoded.rows);
    const p = compare(referencePrefill, await prefillAll(model, tokens, kvType, chains));
    const ratio = decoded.bytes / reference.bytes;
    results.push(
      `${name} ${kvType}: max|dlogit| ${d.maxAbs.toExponential(2)} | ${p.maxAbs.toExponential(2)}, mean KL ${d.meanKl.toExponential(2)} | ${p.meanKl.toExponential(2)}, memory ${ratio.toFixed(4)} of f32`,
    );
    const [maxAbs, kl] = BOUNDS[name]![kvType];
    for (const [path, f] of [['decode', d], ['prefill', p]] as const) {
      expect(f.maxAbs, `${path} max |dlogit|`).toBeLessThan(maxAbs);
      expect(f.meanKl, `${path} mean KL`).toBeLessThan(kl);
      // A narrow cache changes something: it is not float32 in disguise.
      expect(f.maxAbs, `${path} rounds`).toBeGreaterThan(0);
    }
    const hd = model.config.headDim;
    const expected = kvType === 'q8_0' ? (hd + 2 * Math.ceil(hd / 32)) / (4 * hd) : 0.5;
    expect(ratio).toBeCloseTo(expected, 10);
  }, 120_000);
});
