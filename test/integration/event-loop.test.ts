// Blocking native work runs off the JS thread: timers keep firing while a model loads, while
// a long prompt is read and while tokens are generated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';

import { loadModel, type Model } from '../../app/engine/model.js';
import { writeSyntheticCheckpoint } from '../helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-eventloop-'));
const path = join(dir, 'synthetic.safetensors');
let model: Model;

/** Runs `work` while a 5 ms interval counts ticks; returns the ticks and the elapsed time. */
async function ticksDuring(work: () => Promise<unknown>): Promise<{ ticks: number; ms: number }> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const start = performance.now();
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { ticks, ms: performance.now() - start };
}

beforeAll(async () => {
  await writeSyntheticCheckpoint(path, { hiddenSize: 256, intermediateSize: 1024, layers: 6, heads: 8, kvHeads: 8, chains: [1, 1], wholeForm: true });
  const loaded = await ticksDuring(async () => {
    model = await loadModel(path);
  });
  // Loading (the mask check reads every whole tensor) must not freeze the loop either.
  expect(loaded.ticks).toBeGreaterThan(0);
}, 120_000);

afterAll(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('the event loop keeps ticking while a long prompt is evaluated', async () => {
  const session = model.createSession({ contextSize: 2048, threads: 1 });
  const prompt = Array.from({ length: 1500 }, (_, i) => (i * 7) % 290);
  const { ticks, ms } = await ticksDuring(() => session.evaluate(prompt, { chains: 2, logits: 'none' }));
  session.dispose();
  // Only meaningful if the work took a while; then at least a third of the 5 ms slots must tick.
  expect(ms).toBeGreaterThan(100);
  expect(ticks).toBeGreaterThan(ms / 5 / 3);
});

test('the event loop keeps ticking during generation', async () => {
  const session = model.createSession({ contextSize: 512, threads: 1 });
  const { ticks, ms } = await ticksDuring(async () => {
    for await (const _ of session.generate([296, 10, 20, 30], { maxTokens: 40, temperature: 0, stopTokens: [] })) {
      // consume
    }
  });
  session.dispose();
  expect(ticks).toBeGreaterThan(ms / 5 / 3);
});
