// Early stopping in `colm train` (app/trainer/train/train-run.ts): a sub-model that beats its own
// best held-out loss resets the count of stale evaluations; the lowest mean over k is written to
// best.safetensors; --early-stop P ends the run after P stale evaluations in a row.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

import { readCheckpoint } from '../../app/checkpoint/read-checkpoint.js';
import { loadAddon } from '../../app/engine/native.js';
import { evalBatches, loadOptimizer, loadShards, readWeights, trainRun, type EvalResult } from '../../app/trainer/train/index.js';
import { recordEvaluation } from '../../app/trainer/train/train-run.js';

const scratch = mkdtempSync(join(tmpdir(), 'colm-early-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const sink = { write: () => true };

const at = (step: number, lossPerChain: number[]): EvalResult => ({ step, lossPerChain, perplexityPerChain: lossPerChain.map(Math.exp) });

describe('recordEvaluation', () => {
  test('any sub-model beating its own best resets the stale count; the best step follows the mean over k', () => {
    let r = recordEvaluation(null, at(10, [3, 2]));
    expect(r).toMatchObject({ newBest: true, state: { bestStep: 10, stale: 0, bestPerChain: [3, 2] } });
    // k = 2 gets better while the mean gets worse: not a new best, but not stale either.
    r = recordEvaluation(r.state, at(20, [3.5, 1.9]));
    expect(r).toMatchObject({ newBest: false, state: { bestStep: 10, stale: 0, bestPerChain: [3, 1.9] } });
    r = recordEvaluation(r.state, at(30, [3.1, 1.95]));
    expect(r).toMatchObject({ newBest: false, state: { bestStep: 10, stale: 1 } });
    r = recordEvaluation(r.state, at(40, [2.9, 2.05]));
    expect(r).toMatchObject({ newBest: true, state: { bestStep: 40, stale: 0, bestPerChain: [2.9, 1.9] } });
  });
});

describe('colm train --early-stop', () => {
  const config = join(scratch, 'model.json');
  writeFileSync(
    config,
    JSON.stringify({
      model_type: 'colm', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, vocab_size: 300, num_attention_heads: 4,
      num_key_value_heads: 2, head_dim: 8, chains: [1, 1], kv_sharing: true, bos_token_id: 296, eos_token_id: 297,
    }),
  );
  const corpus = ['README.md', 'app/trainer/tokenizer/README.md'].map((f) => resolve(f));

  test('a run whose held-out loss stops falling ends early, and best.safetensors holds the weights of its best evaluation', async () => {
    const out = join(scratch, 'run');
    // A learning rate far too high: the held-out loss falls for a few steps, then climbs.
    const summary = await trainRun(
      {
        out, configPath: config, tokenizerPath: resolve('test/fixtures/models/llama_gqa/tokenizer.json'), corpusFiles: corpus, corpusFormat: 'text',
        hyper: { steps: 60, batch: 2, seqLen: 16, lr: 0.3, minLr: 0.3, warmupSteps: 4, seed: 3 }, threads: 1, evalEvery: 1, evalWindows: 4, earlyStop: 3,
      },
      sink,
      sink,
    );
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.steps).toBeLessThan(60);
    const evals = readFileSync(join(out, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { eval?: EvalResult }).flatMap((l) => (l.eval ? [l.eval] : []));
    expect(evals.length).toBe(summary.steps);
    const mean = (e: EvalResult) => e.lossPerChain.reduce((a, b) => a + b, 0) / e.lossPerChain.length;
    const best = evals.reduce((a, b) => (mean(b) < mean(a) ? b : a));
    expect(summary.best!.step).toBe(best.step);
    expect(best.step).toBeLessThan(summary.steps - 2);
    // The last three evaluations improved no sub-model's best.
    for (const e of evals.slice(-3))
      for (let k = 0; k < 2; k++) expect(e.lossPerChain[k]!).toBeGreaterThanOrEqual(Math.min(...evals.filter((x) => x.step < e.step).map((x) => x.lossPerChain[k]!)));
    // best.safetensors, evaluated on the same held-out windows, gives the logged loss of that step.
    const plan = await readCheckpoint(summary.best!.path);
    const { Trainer } = loadAddon();
    const trainer = new Trainer({ config: plan.config, init: { tensors: await readWeights(plan) } });
    const shards = (await loadShards(join(out, 'data')))!;
    const held = evalBatches(shards.eval, 2, 16, 4);
    const sums = [0, 0];
    for (const b of held.batches) (await trainer.evaluate(b, held.batch, 16)).lossPerChain.forEach((l, k) => (sums[k]! += l));
    trainer.dispose();
    sums.forEach((s, k) => expect(s / held.batches.length).toBeCloseTo(best.lossPerChain[k]!, 5));
    // The early-stopping state travels with the optimizer state, so --resume continues it.
    const saved = (await loadOptimizer(join(out, 'optimizer.safetensors'))).info.early as { bestStep: number; stale: number };
    expect(saved).toMatchObject({ bestStep: best.step, stale: 3 });
  });
});
