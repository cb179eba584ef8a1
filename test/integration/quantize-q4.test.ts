// 4-bit chain linears (docs/FORMAT-Q4.md) on the default model: `colm quantize --type q4_0` as a
// user runs it; the q4_0 model's logits against its own dequantized float model (exact with
// COLM_Q4_ACTIVATIONS=f32, within the 8-bit activations' rounding by default) and against the
// float model; the nested-model property still bit for bit; q4_k's fallback to q8_0 where the
// K-extents are not whole super-blocks; and what colm quantize refuses.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { readCheckpoint, readCheckpointTexts, TensorReader, writeSafetensors, type TensorToWrite } from '../../app/checkpoint/index.js';
import { quantizeCommand } from '../../app/cli/commands/quantize.js';
import { loadModel, type Model } from '../../app/engine/model.js';
import { dequantizeQ4Rows, quantizeCheckpoint, type QuantizeResult } from '../../app/quantize/index.js';
import { expectNestedHiddenStates } from '../helpers/nested-hidden.js';

const colm = resolve('bin/colm.js');
const MODEL = resolve('models/colm-default.safetensors');
const TOKENS = [4095, 17, 300, 52, 1033, 7, 88, 2048, 9, 511, 64, 1200];
const dir = mkdtempSync(join(tmpdir(), 'colm-q4-'));
const q4Path = join(dir, 'q4_0.safetensors');
const dequantizedPath = join(dir, 'q4_0-dequantized.safetensors');
let q4: QuantizeResult;
const measured: Record<string, string> = {};

/** The q4 checkpoint with every Q4 block dequantized to F32 and no colm_quantization: the float model it stands for. */
async function writeDequantized(source: string, out: string): Promise<void> {
  const plan = await readCheckpoint(source);
  const texts = await readCheckpointTexts(plan);
  const reader = new TensorReader(plan);
  const tensors: TensorToWrite[] = [];
  try {
    for (const e of plan.tensors) {
      const bytes = await reader.bytes(e.name);
      if (e.dtype === 'Q4_0' || e.dtype === 'Q4_K') {
        const values = dequantizeQ4Rows(e.dtype === 'Q4_0' ? 'q4_0' : 'q4_k', bytes, e.shape[0]! * e.shape[1]!);
        tensors.push({ name: e.name, dtype: 'F32', shape: e.shape, data: new Uint8Array(values.buffer) });
      } else {
        tensors.push({ name: e.name, dtype: e.dtype as TensorToWrite['dtype'], shape: e.shape, data: bytes });
      }
    }
  } finally {
    await reader.close();
  }
  const config = JSON.parse(texts.config) as Record<string, unknown>;
  delete config['colm_quantization'];
  tensors.sort((a, b) => (a.dtype === 'F32' ? 0 : 1) - (b.dtype === 'F32' ? 0 : 1));
  await writeSafetensors(out, tensors, { 'colm.config': JSON.stringify(config), 'colm.tokenizer': texts.tokenizer });
}

function logits(model: string, env: Record<string, string> = {}): number[][] {
  const r = spawnSync(process.execPath, [colm, 'logits', model, '--tokens', TOKENS.join(','), '--prefill', String(TOKENS.length), '--chains', '4', '--kv-type', 'f32'], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 1 << 28,
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`colm logits exited ${r.status}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { logits: number[][] }).logits;
}

/** Largest |a - b| over all rows, relative to the reference rows' largest range. */
function relativeDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  let range = 0;
  b.forEach((row, i) => {
    range = Math.max(range, Math.max(...row) - Math.min(...row));
    row.forEach((x, j) => (worst = Math.max(worst, Math.abs(a[i]![j]! - x))));
  });
  return worst / range;
}

beforeAll(async () => {
  q4 = await quantizeCheckpoint({ modelPath: MODEL, outPath: q4Path, type: 'q4_0' });
  await writeDequantized(q4Path, dequantizedPath);
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  console.log('q4_0 on models/colm-default.safetensors (max |logit diff| / logit range, 4 chains):', measured);
});

describe('q4_0 on the default model', () => {
  test('every chain linear is Q4_0 blocks (4.5 bits per weight), everything else as it was', async () => {
    expect(q4.type).toBe('q4_0');
    expect(q4.stats.fallbacks).toEqual([]);
    const plan = await readCheckpoint(q4Path);
    expect(plan.config.quantization).toEqual({ format: 'q4_0', blockSize: 32 });
    const q4Entries = plan.tensors.filter((t) => t.dtype === 'Q4_0');
    expect(q4Entries.length).toBe(q4.stats.matrices);
    for (const t of q4Entries) expect(t.byteLength).toBe((t.shape[0]! * t.shape[1]! * 18) / 32);
    expect(plan.tensors.some((t) => t.dtype === 'I8')).toBe(false);
    expect(q4.stats.sumSquaredErrors / q4.stats.sumSquares).toBeLessThan(0.02); // ~10% RMS per weight at 4 bits
  });

  test('logits: exactly the dequantized model with float activations; within the 8-bit activations\' rounding by default', () => {
    const dequantized = logits(dequantizedPath);
    const exact = relativeDiff(logits(q4Path, { COLM_Q4_ACTIVATIONS: 'f32' }), dequantized);
    const fast = relativeDiff(logits(q4Path), dequantized);
    const vsFloat = relativeDiff(logits(q4Path), logits(MODEL));
    measured['q4_0 (f32 activations) vs dequantized'] = exact.toExponential(2);
    measured['q4_0 vs dequantized'] = fast.toExponential(2);
    measured['q4_0 vs float model'] = vsFloat.toExponential(2);
    expect(exact).toBeLessThan(1e-5);
    expect(fast).toBeLessThan(0.015); // measured 3.7e-3
    expect(fast).toBeGreaterThan(0); // the integer path does round the activations
    expect(vsFloat).toBeLessThan(0.12); // measured 3.4e-2
  }, 120_000);

  test('sub-model k\'s hidden states are the prefix of the full model\'s, bit for bit', async () => {
    const model: Model = await loadModel(q4Path);
    try {
      await expectNestedHiddenStates(model, TOKENS.slice(0, 5));
    } finally {
      model.dispose();
    }
  });
});

describe('colm quantize --type', () => {
  test('q4_k falls back to q8_0 for chain linears whose K-extents are not multiples of 256, and says so', async () => {
    const out: string[] = [];
    const sink = { write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream;
    await quantizeCommand({ positionals: [MODEL], out: join(dir, 'q4_k.safetensors'), scaleDtype: undefined, type: 'q4_k' }, sink);
    expect(out.join('')).toMatch(/chain linears? stored as q8_0 instead: a chain's K-extent is not a multiple of 256 columns/);
    const model = await loadModel(join(dir, 'q4_k.safetensors'));
    expect(model.config.quantization).toEqual({ format: 'q4_k', blockSize: 256 });
    model.dispose();
  });

  test('refuses an unknown type, and a checkpoint that is already 4-bit', async () => {
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    await expect(quantizeCommand({ positionals: [MODEL], out: join(dir, 'x.safetensors'), scaleDtype: undefined, type: 'q5_0' }, sink)).rejects.toThrow(
      /--type must be q8_0, q4_0 or q4_k, got "q5_0"/,
    );
    await expect(quantizeCheckpoint({ modelPath: q4Path, outPath: join(dir, 'again.safetensors'), type: 'q4_0' })).rejects.toThrow(/already quantized \(colm_quantization q4_0\)/);
  });
});
