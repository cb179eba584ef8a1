// `colm train`'s pipeline (app/trainer/train) on a tiny model: the checkpoint it writes loads in
// the engine and gives the trainer's own held-out loss at every chain count; a run resumed from
// its files ends bit-identical to one that never stopped; a stop (Ctrl-C) saves the last
// finished step; --init starts from a checkpoint and --freeze-chains keeps chain 1 as it was.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { loadModel } from '../../app/engine/model.js';
import { loadAddon } from '../../app/engine/native.js';
import { readCheckpoint } from '../../app/checkpoint/read-checkpoint.js';
import { BatchSampler, loadOptimizer, readWeights, trainRun, type TrainRunOptions } from '../../app/trainer/train/index.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-train-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tokenizer = resolve('test/fixtures/models/llama_gqa/tokenizer.json');
const config = join(scratch, 'model.json');
writeFileSync(
  config,
  JSON.stringify({
    model_type: 'colm',
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    vocab_size: 300,
    num_attention_heads: 4,
    num_key_value_heads: 1,
    head_dim: 8,
    chains: [1, 1, 2],
    kv_sharing: true,
    tie_word_embeddings: false,
    bos_token_id: 296,
    eos_token_id: 297,
  }),
);
const corpus = ['README.md', 'app/trainer/tokenizer/README.md', 'reference/README.md'].map((f) => resolve(f));
const sink = { write: () => true };

function options(out: string, extra: Partial<TrainRunOptions> = {}): TrainRunOptions {
  return {
    out,
    configPath: config,
    tokenizerPath: tokenizer,
    corpusFiles: corpus,
    corpusFormat: 'text',
    hyper: { steps: 8, batch: 3, seqLen: 32, lr: 3e-3, minLr: 3e-4, warmupSteps: 2, seed: 5 },
    threads: 2,
    evalWindows: 6,
    ...extra,
  };
}

describe('colm train pipeline', () => {
  test('the written checkpoint loads in the engine and gives the held-out loss the trainer computed', async () => {
    const out = join(scratch, 'a');
    const summary = await trainRun(options(out), sink, sink);
    expect(summary.steps).toBe(8);
    expect(summary.eval).not.toBeNull();
    // Held-out windows through the engine, at every chain count.
    const plan = await readCheckpoint(summary.modelPath);
    expect(plan.config.chains).toEqual([1, 1, 2]);
    const { Trainer } = loadAddon();
    const trainer = new Trainer({ config: plan.config, init: { tensors: await readWeights(plan) } });
    const window = new BatchSampler([Int32Array.from({ length: 33 }, (_, i) => (i * 37 + 11) % 290)], 1, 32, 0).batchAt(0);
    const fromTrainer = (await trainer.evaluate(window, 1, 32)).lossPerChain;
    const model = await loadModel(summary.modelPath);
    for (let k = 1; k <= 3; k++) {
      const session = model.createSession({ kvType: 'f32', contextSize: 64 });
      const logits = (await session.evaluate(Array.from(window.subarray(0, 32)), { chains: k, logits: 'all' }))!;
      let ce = 0;
      for (let t = 0; t < 32; t++) {
        const row = logits.subarray(t * 300, (t + 1) * 300);
        const max = Math.max(...row);
        let sum = 0;
        for (const x of row) sum += Math.exp(x - max);
        ce += max + Math.log(sum) - row[window[t + 1]!]!;
      }
      expect(ce / 32, `k = ${k}`).toBeCloseTo(fromTrainer[k - 1]!, 4);
      session.dispose();
    }
    model.dispose();
    trainer.dispose();
  });

  test('a stop saves the last finished step, and the resumed run ends bit-identical to one that never stopped', async () => {
    const straight = join(scratch, 'straight');
    await trainRun(options(straight), sink, sink);
    const resumedOut = join(scratch, 'resumed');
    const { stream, signal } = stopAtStep(3);
    await expect(trainRun(options(resumedOut), stream, sink, signal)).rejects.toMatchObject({ name: 'AbortError' });
    expect((await loadOptimizer(join(resumedOut, 'optimizer.safetensors'))).state.step).toBe(3);
    expect((await readCheckpoint(join(resumedOut, 'model.safetensors'))).config.chains).toEqual([1, 1, 2]);
    const resumed = await trainRun({ out: resumedOut, resumePath: resumedOut, corpusFiles: [], corpusFormat: 'text', hyper: {} }, sink, sink);
    expect(resumed.steps).toBe(8);
    const a = readFileSync(join(straight, 'model.safetensors'));
    const b = readFileSync(join(resumedOut, 'model.safetensors'));
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(readFileSync(join(straight, 'optimizer.safetensors')), readFileSync(join(resumedOut, 'optimizer.safetensors')))).toBe(0);
  });

  test('--init with --freeze-chains 1 trains the later chains and leaves chain 1 as it was', async () => {
    const base = join(scratch, 'base');
    const first = await trainRun(options(base), sink, sink);
    const grown = join(scratch, 'frozen');
    const r = await trainRun(
      { out: grown, initPath: first.modelPath, corpusFiles: corpus, corpusFormat: 'text', hyper: { steps: 4, batch: 3, seqLen: 32, freezeChains: 1, seed: 9 }, threads: 1 },
      sink,
      sink,
    );
    const before = new Map((await readWeights(await readCheckpoint(first.modelPath))).map((t) => [t.name, t.data]));
    const after = await readWeights(await readCheckpoint(r.modelPath));
    for (const t of after) {
      const old = before.get(t.name)!;
      if (/chains\.0\.weight$|k_proj|v_proj/.test(t.name)) expect(Buffer.compare(Buffer.from(t.data.buffer), Buffer.from(old.buffer)), t.name).toBe(0);
      if (/chains\.2\.weight$/.test(t.name)) expect(t.data.some((x, i) => x !== old[i]), t.name).toBe(true);
    }
  });
});

/** A terminal-like progress stream that aborts (a Ctrl-C) when the line of step `step` is drawn. */
function stopAtStep(step: number): { stream: { isTTY: boolean; write(text: string): boolean }; signal: AbortSignal } {
  const controller = new AbortController();
  const stream = {
    isTTY: true,
    write(text: string) {
      if (text.includes(`step ${step}/`)) controller.abort();
      return true;
    },
  };
  return { stream, signal: controller.signal };
}
