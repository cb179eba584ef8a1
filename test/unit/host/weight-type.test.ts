// The weight type the library shows: the dtype most bytes are in, Q8_0 for a quantized checkpoint,
// and for a GGUF file the block type of most of its matrices, read from its header (the engine may
// run them as another type).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';

import { writeLlamaGguf } from '../../../bench/gguf-writer.js';
import { readCheckpoint } from '../../../app/checkpoint/read-checkpoint.js';
import { ggufWeightType, weightTypeOf, weightTypeOfFile } from '../../../app/host/weight-type.js';
import { writeSyntheticCheckpoint } from '../../helpers/synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'colm-weight-type-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('safetensors: the dtype holding most bytes (norms in F32 do not count for much)', async () => {
  const path = join(dir, 'bf16.safetensors');
  await writeSyntheticCheckpoint(path, { hiddenSize: 32, intermediateSize: 64, layers: 1, heads: 2, kvHeads: 2, chains: [1], dtype: 'BF16' });
  const plan = await readCheckpoint(path);
  expect(weightTypeOf(plan)).toBe('BF16');
  expect(await weightTypeOfFile(plan)).toBe('BF16');
});

test.each(['Q4_0', 'Q8_0', 'F16'] as const)('GGUF with %s matrices: the file says %s', async (type) => {
  const dense = join(dir, `dense-${type}.safetensors`);
  await writeSyntheticCheckpoint(dense, { hiddenSize: 64, intermediateSize: 128, layers: 1, heads: 2, kvHeads: 2, chains: [1] });
  const gguf = join(dir, `model-${type}.gguf`);
  await writeLlamaGguf(dense, gguf, type);
  expect(await ggufWeightType(gguf)).toBe(type);
});

test('a file that is not a readable GGUF has no GGUF type', async () => {
  expect(await ggufWeightType(join(dir, 'missing.gguf'))).toBeNull();
});
