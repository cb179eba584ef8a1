// The q8_0 extension (docs/FORMAT-Q8.md) in the checkpoint reader: the config key, I8 in headers,
// .qweight/.qscale pairs for every chain linear in the LoadPlan, and clear refusals.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, parseConfig, parseSafetensorsBytes, readCheckpoint } from '../../../app/checkpoint/index.js';
import { encodeSafetensorsHeader } from '../../../app/checkpoint/safetensors-writer.js';
import { modelTensors, TempDirs, tensorOf, tinyConfig, writeFolderCheckpoint, writeSingleFileCheckpoint, type RawConfig } from './tiny-checkpoints.js';
import { int8Tensor, quantizedConfig, quantizedModelTensors } from './tiny-quantized.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

// Chains {1, 1} of D = 64 and H = 96: chain blocks read 32 and 64 columns (1 and 2 scale blocks),
// FFN blocks 48 and 96 (2 and 3, the last one short), so ceil(cols / 32) is exercised.
const WIDE = { hidden_size: 64, intermediate_size: 96, num_attention_heads: 4, num_key_value_heads: 4 };

async function refusal(path: string): Promise<CheckpointError> {
  const error = await readCheckpoint(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  const e = error as CheckpointError;
  expect(e.message).not.toContain('\n');
  return e;
}

async function folderOf(config: RawConfig, tensors: ReturnType<typeof modelTensors>): Promise<string> {
  return writeFolderCheckpoint(join(await temp.make(), 'q8'), config, tensors);
}

/** The same tensor list with one tensor replaced (or removed, when `by` is null). */
function replaced(tensors: ReturnType<typeof modelTensors>, name: string, by: ReturnType<typeof tensorOf> | null): ReturnType<typeof modelTensors> {
  expect(tensors.some((t) => t.name === name), name).toBe(true);
  return tensors.flatMap((t) => (t.name !== name ? [t] : by === null ? [] : [by]));
}

describe('config: colm_quantization', () => {
  it('is read as {format: q8_0, blockSize: 32}, and absent or null means float', () => {
    expect(parseConfig(quantizedConfig(tinyConfig()), 'c.json').quantization).toEqual({ format: 'q8_0', blockSize: 32 });
    expect(parseConfig(tinyConfig(), 'c.json').quantization).toBeNull();
    // docs/FORMAT-Q4.md
    expect(parseConfig(tinyConfig({ colm_quantization: { format: 'q4_0', block_size: 32 } }), 'c.json').quantization).toEqual({ format: 'q4_0', blockSize: 32 });
    expect(parseConfig(tinyConfig({ colm_quantization: { format: 'q4_k', block_size: 256 } }), 'c.json').quantization).toEqual({ format: 'q4_k', blockSize: 256 });
    expect(parseConfig(tinyConfig({ colm_quantization: null }), 'c.json').quantization).toBeNull();
  });

  it.each([
    [{ colm_quantization: 'q8_0' }, 'colm_quantization', /must be an object/],
    [{ colm_quantization: { format: 'q5_0', block_size: 32 } }, 'colm_quantization.format', /only "q8_0", "q4_0" and "q4_k"/],
    [{ colm_quantization: { format: 'q4_k', block_size: 32 } }, 'colm_quantization.block_size', /q4_k stores blocks of 256/],
    [{ colm_quantization: { format: 'q4_0', block_size: 256 } }, 'colm_quantization.block_size', /q4_0 stores blocks of 32/],
    [{ colm_quantization: { block_size: 32 } }, 'colm_quantization.format', /only "q8_0"/],
    [{ colm_quantization: { format: 'q8_0', block_size: 64 } }, 'colm_quantization.block_size', /blocks of 32/],
    [{ colm_quantization: { format: 'q8_0' } }, 'colm_quantization.block_size', /blocks of 32/],
    [{ colm_quantization: { format: 'q8_0', block_size: 32, symmetric: false } }, 'colm_quantization.symmetric', /not a key/],
  ])('refuses %j naming the key', (overrides, key, rule) => {
    let error: unknown;
    try {
      parseConfig(tinyConfig(overrides), 'c.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CheckpointError);
    expect((error as CheckpointError).key).toBe(key);
    expect((error as CheckpointError).rule).toMatch(rule);
  });
});

describe('safetensors: I8', () => {
  it('reads an I8 tensor (one byte per element) from a header', () => {
    const t = int8Tensor('w', [3, 5]);
    const header = encodeSafetensorsHeader([t]);
    const bytes = new Uint8Array(header.length + t.data.length);
    bytes.set(header);
    bytes.set(t.data, header.length);
    const parsed = parseSafetensorsBytes('f.safetensors', bytes);
    expect(parsed.tensors[0]).toMatchObject({ name: 'w', dtype: 'I8', shape: [3, 5], byteLength: 15 });
  });
});

describe('readCheckpoint: a quantized checkpoint reads', () => {
  it('per chain (n = 2), F16 scales, folder: every chain linear is a .qweight/.qscale pair in the plan', async () => {
    const config = quantizedConfig(tinyConfig(WIDE));
    const plan = await readCheckpoint(await folderOf(config, quantizedModelTensors(config)));
    expect(plan.config.quantization).toEqual({ format: 'q8_0', blockSize: 32 });
    const byName = new Map(plan.tensors.map((t) => [t.name, t]));
    expect(byName.get('model.layers.0.mlp.gate_proj.chains.1.qweight')).toMatchObject({ dtype: 'I8', shape: [48, 64] });
    expect(byName.get('model.layers.0.mlp.gate_proj.chains.1.qscale')).toMatchObject({ dtype: 'F16', shape: [48, 2] });
    expect(byName.get('model.layers.1.mlp.down_proj.chains.0.qscale')).toMatchObject({ shape: [32, 2] }); // 48 columns
    expect(byName.get('model.layers.1.mlp.down_proj.chains.1.qscale')).toMatchObject({ shape: [32, 3] }); // 96 columns
    expect(byName.get('model.embed_tokens.weight')?.dtype).toBe('F32');
    expect(plan.tensors.some((t) => t.name.endsWith('proj.weight') || t.name.includes('chains.0.weight'))).toBe(false);
    // 7 chain linears x 2 chains x 2 layers, each a pair.
    expect(plan.tensors.filter((t) => t.dtype === 'I8')).toHaveLength(28);
  });

  it('whole (n = 1), F32 scales, single file', async () => {
    const config = quantizedConfig({ model_type: 'llama', hidden_size: 40, intermediate_size: 72, num_hidden_layers: 1, vocab_size: 9, num_attention_heads: 4 });
    const file = join(await temp.make(), 'llama-q8.safetensors');
    await writeSingleFileCheckpoint(file, config, quantizedModelTensors(config, { scaleDtype: 'F32' }));
    const plan = await readCheckpoint(file);
    const byName = new Map(plan.tensors.map((t) => [t.name, t]));
    expect(byName.get('model.layers.0.self_attn.q_proj.qweight')).toMatchObject({ dtype: 'I8', shape: [40, 40] });
    expect(byName.get('model.layers.0.self_attn.q_proj.qscale')).toMatchObject({ dtype: 'F32', shape: [40, 2] });
    expect(byName.get('model.layers.0.mlp.down_proj.qscale')).toMatchObject({ shape: [40, 3] });
  });

  it('CoLM-Air: K and V stay float (dense), every other chain linear is quantized', async () => {
    const config = quantizedConfig(tinyConfig({ ...WIDE, kv_sharing: true, num_key_value_heads: 2 }));
    const plan = await readCheckpoint(await folderOf(config, quantizedModelTensors(config)));
    const byName = new Map(plan.tensors.map((t) => [t.name, t]));
    expect(byName.get('model.layers.0.self_attn.k_proj.weight')).toMatchObject({ dtype: 'F32', shape: [32, 32] });
    expect(byName.get('model.layers.0.self_attn.q_proj.chains.0.qweight')?.dtype).toBe('I8');
  });
});

describe('readCheckpoint: quantized checkpoints are refused clearly', () => {
  const config = quantizedConfig(tinyConfig(WIDE));
  const weights = (folder: string) => join(folder, 'model.safetensors');

  it('a scale of the wrong shape', async () => {
    const name = 'model.layers.0.mlp.up_proj.chains.1.qscale';
    const folder = await folderOf(config, replaced(quantizedModelTensors(config), name, tensorOf(name, [48, 3], 'F16')));
    const e = await refusal(folder);
    expect(e.file).toBe(weights(folder));
    expect(e.tensor).toBe(name);
    expect(e.rule).toMatch(/shape \[48, 3\] but 48 rows of 64 columns in blocks of 32 need \[48, 2\]/);
  });

  it('a missing scale', async () => {
    const name = 'model.layers.1.self_attn.o_proj.chains.0.qscale';
    const e = await refusal(await folderOf(config, replaced(quantizedModelTensors(config), name, null)));
    expect(e.tensor).toBe(name);
    expect(e.rule).toMatch(/is missing \(model\.layers\.1\.self_attn\.o_proj\.chains\.0\.qweight needs its scales\)/);
  });

  it('I8 where a float tensor is expected (the embedding of a quantized checkpoint)', async () => {
    const name = 'model.embed_tokens.weight';
    const e = await refusal(await folderOf(config, replaced(quantizedModelTensors(config), name, int8Tensor(name, [11, 64]))));
    expect(e.tensor).toBe(name);
    expect(e.rule).toMatch(/dtype I8, but this tensor must be F32, F16 or BF16/);
  });

  it('I8 in a float checkpoint, under a float name', async () => {
    const plain = tinyConfig();
    const name = 'model.layers.0.mlp.gate_proj.chains.0.weight';
    const e = await refusal(await folderOf(plain, replaced(modelTensors(plain), name, int8Tensor(name, [8, 4]))));
    expect(e.tensor).toBe(name);
    expect(e.rule).toMatch(/dtype I8/);
  });

  it('a .qweight that is not I8, and a .qscale that is neither F16 nor F32', async () => {
    const q = 'model.layers.0.self_attn.q_proj.chains.0.qweight';
    let e = await refusal(await folderOf(config, replaced(quantizedModelTensors(config), q, tensorOf(q, [32, 32], 'F16'))));
    expect(e.tensor).toBe(q);
    expect(e.rule).toMatch(/a \.qweight must be I8/);
    const s = 'model.layers.0.self_attn.q_proj.chains.0.qscale';
    e = await refusal(await folderOf(config, replaced(quantizedModelTensors(config), s, tensorOf(s, [32, 1], 'BF16'))));
    expect(e.tensor).toBe(s);
    expect(e.rule).toMatch(/a \.qscale must be F16 or F32/);
  });

  it('a float chain linear in a quantized checkpoint', async () => {
    const name = 'model.layers.0.mlp.down_proj.chains.0.weight';
    const tensors = quantizedModelTensors(config).filter((t) => !t.name.startsWith('model.layers.0.mlp.down_proj.'));
    tensors.push(tensorOf(name, [32, 48]), tensorOf('model.layers.0.mlp.down_proj.chains.1.weight', [32, 96]));
    const e = await refusal(await folderOf(config, tensors));
    expect(e.tensor).toBe(name);
    expect(e.rule).toMatch(/float chain linear, but colm_quantization q8_0/);
  });

  it('quantized tensors in a checkpoint whose config has no colm_quantization (a loader without the extension)', async () => {
    const plain = tinyConfig(WIDE);
    const e = await refusal(await folderOf(plain, quantizedModelTensors(config)));
    expect(e.tensor).toBe('model.layers.0.self_attn.q_proj.chains.0.qweight');
    expect(e.rule).toMatch(/config has no colm_quantization/);
  });

  it('the whole form when n > 1', async () => {
    const tensors = quantizedModelTensors(config, { form: (base) => (base.endsWith('layers.0.self_attn.q_proj') ? 'whole' : 'per-chain') });
    const e = await refusal(await folderOf(config, tensors));
    expect(e.tensor).toBe('model.layers.0.self_attn.q_proj.qweight');
    expect(e.rule).toMatch(/only when n = 1/);
  });
});
