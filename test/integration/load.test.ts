// loadModel end to end: progress, cancellation, and the checks only the native side can make
// (zeros outside the chain mask of a whole tensor need the weights, not just the header).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

import { loadModel } from '../../app/engine/model.js';
import { writeSyntheticCheckpoint } from '../helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-load-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small = { hiddenSize: 64, intermediateSize: 128, layers: 2, heads: 4, kvHeads: 4, chains: [1, 1, 2] };

test('a whole chain linear with a nonzero entry outside the mask is refused, naming the tensor', async () => {
  const path = join(dir, 'unmasked.safetensors');
  await writeSyntheticCheckpoint(path, {
    ...small,
    wholeForm: true,
    tamper: (name, values, shape) => {
      // Row 0 belongs to chain 1, which may read only the first quarter of the columns.
      if (name === 'model.layers.1.mlp.up_proj.weight') values[shape[1]! - 1] = 0.5;
    },
  });
  await expect(loadModel(path)).rejects.toThrow(
    /unmasked\.safetensors: tensor "model\.layers\.1\.mlp\.up_proj\.weight": nonzero entry at \[0, 63\] outside the block lower-triangular chain mask/,
  );
});

test('negative zeros outside the mask are zeros', async () => {
  const path = join(dir, 'negzero.safetensors');
  await writeSyntheticCheckpoint(path, {
    ...small,
    wholeForm: true,
    tamper: (name, values, shape) => {
      if (name === 'model.layers.0.self_attn.q_proj.weight') values[shape[1]! - 1] = -0;
    },
  });
  const model = await loadModel(path);
  model.dispose();
});

test('progress is reported from 0 to 1 and the model works in every storage dtype', async () => {
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    const path = join(dir, `ok-${dtype}.safetensors`);
    await writeSyntheticCheckpoint(path, { ...small, dtype, kvSharing: false });
    const seen: number[] = [];
    const model = await loadModel(path, { onProgress: (p) => seen.push(p.fraction) });
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(1);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    const s = model.createSession({ contextSize: 16 });
    const logits = (await s.evaluate([1, 2, 3], { chains: 3 }))!;
    expect(logits.every(Number.isFinite)).toBe(true);
    s.dispose();
    model.dispose();
  }
});

test('an aborted load rejects with an AbortError', async () => {
  const path = join(dir, 'abort.safetensors');
  await writeSyntheticCheckpoint(path, small);
  const controller = new AbortController();
  controller.abort();
  await expect(loadModel(path, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
});
