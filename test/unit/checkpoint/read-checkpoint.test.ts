import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckpointError, readCheckpoint, readSafetensorsHeader, type LoadPlan } from '../../../app/checkpoint/index.js';
import {
  modelShapes,
  modelTensors,
  rawSafetensors,
  TempDirs,
  tensorOf,
  tinyConfig,
  TINY_TOKENIZER,
  writeFolderCheckpoint,
  writeSingleFileCheckpoint,
  type RawConfig,
  type ShapeOptions,
} from './tiny-checkpoints.js';

const temp = new TempDirs();
afterAll(() => temp.cleanup());

/** Every plan entry must point at exactly the bytes its file's header gives for that name. */
async function expectPlanMatchesFiles(plan: LoadPlan, config: RawConfig, shapeOptions: ShapeOptions = {}): Promise<void> {
  const headers = await Promise.all(plan.files.map((file) => readSafetensorsHeader(file)));
  for (const entry of plan.tensors) {
    const stored = headers[entry.file]!.tensors.find((t) => t.name === entry.name);
    expect(stored, entry.name).toBeDefined();
    expect({ offset: entry.offset, byteLength: entry.byteLength, dtype: entry.dtype, shape: entry.shape }).toEqual({
      offset: stored!.offset,
      byteLength: stored!.byteLength,
      dtype: stored!.dtype,
      shape: stored!.shape,
    });
  }
  const expected = modelShapes(config, { ...shapeOptions, tiedCopy: false });
  expect(plan.tensors.map((t) => [t.name, t.shape])).toEqual(expected.map((t) => [t.name, t.shape]));
}

async function refusal(path: string): Promise<CheckpointError> {
  const error = await readCheckpoint(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CheckpointError);
  const checkpointError = error as CheckpointError;
  expect(checkpointError.message).not.toContain('\n');
  expect(checkpointError.message.startsWith(checkpointError.file)).toBe(true);
  return checkpointError;
}

/** Asserts the error names `file`, and the tensor or key when given; returns it for more checks. */
async function expectRefused(path: string, file: string, subject: { tensor?: string; key?: string; rule?: RegExp } = {}): Promise<CheckpointError> {
  const error = await refusal(path);
  expect(error.file).toBe(file);
  expect(error.message).toContain(file);
  if (subject.tensor !== undefined) {
    expect(error.tensor).toBe(subject.tensor);
    expect(error.message).toContain(`tensor "${subject.tensor}"`);
  }
  if (subject.key !== undefined) {
    expect(error.key).toBe(subject.key);
    expect(error.message).toContain(`"${subject.key}"`);
  }
  if (subject.rule) expect(error.rule).toMatch(subject.rule);
  return error;
}

describe('readCheckpoint: valid checkpoints', () => {
  it('folder, F32, per-chain, with side files', async () => {
    const config = tinyConfig();
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'tiny'), config, modelTensors(config), {
      tokenizerConfig: { chat_template: '{{ messages }}', eos_token: '</s>' },
      generationConfig: { temperature: 0.7 },
    });
    const plan = await readCheckpoint(folder);
    expect(plan.source).toBe(folder);
    expect(plan.packaging).toBe('folder');
    expect(plan.files).toEqual([join(folder, 'model.safetensors')]);
    expect(plan.config.chains).toEqual([1, 1]);
    expect(plan.widths.cumHidden).toEqual([0, 4, 8]);
    expect(plan.tokenizerJson).toEqual(TINY_TOKENIZER);
    expect(plan.tokenizerConfig).toEqual({ chat_template: '{{ messages }}', eos_token: '</s>' });
    expect(plan.generationConfig).toEqual({ temperature: 0.7 });
    expect(plan.tensors.find((t) => t.name === 'model.layers.1.mlp.down_proj.chains.1.weight')?.shape).toEqual([4, 16]);
    await expectPlanMatchesFiles(plan, config);
  });

  it('sharded folder, BF16, whole tensors', async () => {
    const config = tinyConfig();
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'sharded'), config, modelTensors(config, { dtype: 'BF16', form: 'whole' }), { shards: 3 });
    const plan = await readCheckpoint(folder);
    expect(plan.packaging).toBe('sharded-folder');
    expect(plan.files.map((f) => relative(folder, f))).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
    ]);
    expect(new Set(plan.tensors.map((t) => t.file))).toEqual(new Set([0, 1, 2]));
    expect(plan.tensors.every((t) => t.dtype === 'BF16')).toBe(true);
    expect(plan.tokenizerConfig).toBeNull();
    expect(plan.generationConfig).toBeNull();
    await expectPlanMatchesFiles(plan, config, { form: 'whole' });
  });

  it('single file, F16, each chain linear in its own form', async () => {
    const config = tinyConfig({ chains: [1, 3], intermediate_size: 16 });
    const form: ShapeOptions['form'] = (base) => (/q_proj|down_proj/.test(base) ? 'whole' : 'per-chain');
    const file = join(await temp.make(), 'tiny.safetensors');
    await writeSingleFileCheckpoint(file, config, modelTensors(config, { dtype: 'F16', form }), {
      tokenizerConfig: { bos_token: '<s>' },
      generationConfig: { top_p: 0.9 },
    });
    const plan = await readCheckpoint(file);
    expect(plan.packaging).toBe('single-file');
    expect(plan.files).toEqual([file]);
    expect(plan.tokenizerJson).toEqual(TINY_TOKENIZER);
    expect(plan.tokenizerConfig).toEqual({ bos_token: '<s>' });
    expect(plan.generationConfig).toEqual({ top_p: 0.9 });
    expect(plan.widths.hidden).toEqual([2, 6]);
    expect(plan.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.chains.0.weight')?.shape).toEqual([2, 2]);
    await expectPlanMatchesFiles(plan, config, { form });
  });

  it('a plain 1-chain Llama with mixed dtypes and GQA', async () => {
    const config: RawConfig = { model_type: 'llama', hidden_size: 8, intermediate_size: 12, num_hidden_layers: 1, vocab_size: 7, num_attention_heads: 4, num_key_value_heads: 2 };
    const dtypes = ['F32', 'F16', 'BF16'] as const;
    let i = 0;
    const tensors = modelTensors(config, { dtype: () => dtypes[i++ % 3]! });
    const plan = await readCheckpoint(await writeFolderCheckpoint(join(await temp.make(), 'llama'), config, tensors));
    expect(new Set(plan.tensors.map((t) => t.dtype))).toEqual(new Set(dtypes));
    expect(plan.tensors.find((t) => t.name === 'model.layers.0.self_attn.k_proj.weight')?.shape).toEqual([4, 8]);
    await expectPlanMatchesFiles(plan, config);
  });

  it('plain CoLM with GQA: k/v are chain linears to h_kv*head_dim', async () => {
    const config = tinyConfig({ num_key_value_heads: 2 });
    const plan = await readCheckpoint(await writeFolderCheckpoint(join(await temp.make(), 'gqa'), config, modelTensors(config)));
    expect(plan.widths.kvHeads).toEqual([1, 1]);
    expect(plan.tensors.find((t) => t.name === 'model.layers.0.self_attn.v_proj.chains.1.weight')?.shape).toEqual([2, 8]);
    await expectPlanMatchesFiles(plan, config);
  });

  it('CoLM-Air: k/v are dense [h_kv*head_dim, D_1]', async () => {
    const config = tinyConfig({ kv_sharing: true, num_key_value_heads: 2 });
    const plan = await readCheckpoint(await writeFolderCheckpoint(join(await temp.make(), 'air'), config, modelTensors(config)));
    expect(plan.config.kvSharing).toBe(true);
    expect(plan.widths.kvHeads).toEqual([2, 0]);
    expect(plan.tensors.find((t) => t.name === 'model.layers.1.self_attn.k_proj.weight')?.shape).toEqual([4, 4]);
    await expectPlanMatchesFiles(plan, config);
  });

  it('tied embeddings: no lm_head needed, and a stored copy is left out of the plan', async () => {
    const config = tinyConfig({ tie_word_embeddings: true });
    const without = await readCheckpoint(await writeFolderCheckpoint(join(await temp.make(), 'tied'), config, modelTensors(config)));
    expect(without.tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);
    const withCopy = await readCheckpoint(await writeFolderCheckpoint(join(await temp.make(), 'tied-copy'), config, modelTensors(config, { tiedCopy: true })));
    expect(withCopy.tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);
    await expectPlanMatchesFiles(withCopy, config);
  });

  it('resolves a relative path to an absolute source', async () => {
    const config = tinyConfig();
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'rel'), config, modelTensors(config));
    const plan = await readCheckpoint(relative(process.cwd(), folder));
    expect(plan.source).toBe(folder);
    expect(plan.files[0]).toBe(join(folder, 'model.safetensors'));
  });
});

describe('readCheckpoint: AbortSignal', () => {
  it('rejects at once with an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    await expect(readCheckpoint('/nowhere', { signal: controller.signal })).rejects.toThrow('user cancelled');
  });

  it('stops between files when aborted mid-read', async () => {
    const config = tinyConfig();
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'abort'), config, modelTensors(config), { shards: 2 });
    const controller = new AbortController();
    const reading = readCheckpoint(folder, { signal: controller.signal });
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('readCheckpoint: refusals name the file and the tensor or key', () => {
  async function folderOf(config: RawConfig, tensors = modelTensors(config)): Promise<string> {
    return writeFolderCheckpoint(join(await temp.make(), 'bad'), config, tensors);
  }
  const weightsOf = (folder: string): string => join(folder, 'model.safetensors');

  it('missing path', async () => {
    const path = join(await temp.make(), 'nope');
    await expectRefused(path, path, { rule: /no such file or folder/ });
  });

  it('empty file, with or without the .safetensors extension', async () => {
    const dir = await temp.make();
    for (const name of ['empty.safetensors', 'empty.bin']) {
      const path = join(dir, name);
      await writeFile(path, '');
      await expectRefused(path, path, { rule: /empty/ });
    }
  });

  it('random bytes, with or without the .safetensors extension', async () => {
    const dir = await temp.make();
    const bytes = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 251);
    for (const name of ['noise.safetensors', 'noise.gguf']) {
      const path = join(dir, name);
      await writeFile(path, bytes);
      await expectRefused(path, path);
    }
  });

  it('a side file of a folder opened on its own points at the folder', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config);
    const error = await expectRefused(join(folder, 'config.json'), join(folder, 'config.json'), { rule: /open the folder/ });
    expect(error.message).toContain('folder');
    await expectRefused(weightsOf(folder), weightsOf(folder), { key: 'colm.config', rule: /open the folder/ });
  });

  it('folder without config.json', async () => {
    const dir = await temp.make();
    await expectRefused(dir, dir, { rule: /folder without config.json/ });
  });

  it('config.json not JSON', async () => {
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'm'), '{"model_type": "colm",', []);
    await expectRefused(folder, join(folder, 'config.json'), { rule: /not valid JSON/ });
  });

  it('a config rule broken in config.json names the key', async () => {
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'm'), tinyConfig({ chains: [1, 2] }), []);
    await expectRefused(folder, join(folder, 'config.json'), { key: 'chains', rule: /hidden_size/ });
  });

  it('tokenizer.json missing, not JSON, or without "model"', async () => {
    const config = tinyConfig();
    const missing = await writeFolderCheckpoint(join(await temp.make(), 'm'), config, modelTensors(config), { tokenizer: null });
    await expectRefused(missing, missing, { rule: /no tokenizer.json/ });
    const notJson = await writeFolderCheckpoint(join(await temp.make(), 'm'), config, modelTensors(config), { tokenizer: '{"model": ' });
    await expectRefused(notJson, join(notJson, 'tokenizer.json'), { rule: /not valid JSON/ });
    const noModel = await writeFolderCheckpoint(join(await temp.make(), 'm'), config, modelTensors(config), { tokenizer: { version: '1.0' } });
    await expectRefused(noModel, join(noModel, 'tokenizer.json'), { rule: /no "model"/ });
  });

  it('optional side files that do not parse as JSON objects', async () => {
    const config = tinyConfig();
    const badTokenizerConfig = await writeFolderCheckpoint(join(await temp.make(), 'm'), config, modelTensors(config), { tokenizerConfig: '{,' });
    await expectRefused(badTokenizerConfig, join(badTokenizerConfig, 'tokenizer_config.json'), { rule: /not valid JSON/ });
    const badGeneration = await writeFolderCheckpoint(join(await temp.make(), 'm'), config, modelTensors(config), { generationConfig: [1] });
    await expectRefused(badGeneration, join(badGeneration, 'generation_config.json'), { rule: /JSON object/ });
  });

  it('folder without weights, with a hint for PyTorch .bin', async () => {
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'm'), tinyConfig(), []);
    await rm(weightsOf(folder));
    await expectRefused(folder, folder, { rule: /no model.safetensors/ });
    await writeFile(join(folder, 'pytorch_model.bin'), 'x');
    await expectRefused(folder, folder, { rule: /PyTorch/ });
  });

  it('wrong shape', async () => {
    const config = tinyConfig();
    const name = 'model.layers.0.mlp.up_proj.chains.1.weight';
    const tensors = modelTensors(config).map((t) => (t.name === name ? tensorOf(name, [8, 7]) : t));
    const folder = await folderOf(config, tensors);
    const error = await expectRefused(folder, weightsOf(folder), { tensor: name });
    expect(error.message).toContain('shape [8, 7] but the config implies [8, 8]');
  });

  it('wrong shape of a whole tensor and of a norm', async () => {
    const config = tinyConfig();
    const whole = modelTensors(config, { form: 'whole' }).map((t) => (t.name === 'model.layers.1.self_attn.o_proj.weight' ? tensorOf(t.name, [8, 4]) : t));
    const folder = await folderOf(config, whole);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.1.self_attn.o_proj.weight', rule: /\[8, 4\] but the config implies \[8, 8\]/ });
    const norm = modelTensors(config).map((t) => (t.name === 'model.norm.weight' ? tensorOf(t.name, [1, 8]) : t));
    const folder2 = await folderOf(config, norm);
    await expectRefused(folder2, weightsOf(folder2), { tensor: 'model.norm.weight' });
  });

  it('missing tensor', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config, modelTensors(config).filter((t) => t.name !== 'model.layers.1.post_attention_layernorm.weight'));
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.1.post_attention_layernorm.weight', rule: /missing/ });
  });

  it('missing lm_head when not tied', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config, modelTensors(config).filter((t) => t.name !== 'lm_head.weight'));
    await expectRefused(folder, weightsOf(folder), { tensor: 'lm_head.weight', rule: /missing/ });
  });

  it('missing chain linear entirely, and one chain of it', async () => {
    const config = tinyConfig();
    const none = modelTensors(config).filter((t) => !t.name.startsWith('model.layers.0.mlp.gate_proj'));
    const folder = await folderOf(config, none);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.0.mlp.gate_proj.weight', rule: /neither whole nor per chain/ });
    const oneChain = modelTensors(config).filter((t) => t.name !== 'model.layers.0.mlp.gate_proj.chains.1.weight');
    const folder2 = await folderOf(config, oneChain);
    await expectRefused(folder2, weightsOf(folder2), { tensor: 'model.layers.0.mlp.gate_proj.chains.1.weight', rule: /missing/ });
  });

  it('unknown tensor', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config, [...modelTensors(config), tensorOf('model.layers.0.self_attn.q_proj.bias', [8])]);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.0.self_attn.q_proj.bias', rule: /not part of this model/ });
  });

  it('a chain index beyond n is unknown', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config, [...modelTensors(config), tensorOf('model.layers.0.mlp.up_proj.chains.2.weight', [1])]);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.0.mlp.up_proj.chains.2.weight' });
  });

  it('both forms of one tensor present', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config, [...modelTensors(config), tensorOf('model.layers.1.self_attn.v_proj.weight', [8, 8])]);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.1.self_attn.v_proj.weight', rule: /both whole and per chain/ });
  });

  it('per-chain form with a single chain', async () => {
    const config = tinyConfig({ chains: [1] });
    const folder = await folderOf(config, modelTensors(config, { form: (b) => (b.endsWith('down_proj') ? 'per-chain' : 'whole') }));
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.0.mlp.down_proj.chains.0.weight', rule: /single chain/ });
  });

  it('Air checkpoint with chain-linear k_proj', async () => {
    const air = tinyConfig({ kv_sharing: true, num_key_value_heads: 2 });
    const plainTensors = modelTensors(tinyConfig({ num_key_value_heads: 2 }));
    const folder = await folderOf(air, plainTensors);
    await expectRefused(folder, weightsOf(folder), { tensor: 'model.layers.0.self_attn.k_proj.weight', rule: /missing/ });
  });

  it('truncated weights file', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config);
    const bytes = await readFile(weightsOf(folder));
    await writeFile(weightsOf(folder), bytes.subarray(0, bytes.length - 3));
    await expectRefused(folder, weightsOf(folder), { tensor: 'lm_head.weight', rule: /truncated/ });
  });

  it('folder with both model.safetensors and an index', async () => {
    const config = tinyConfig();
    const folder = await folderOf(config);
    await writeFile(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: {} }));
    await expectRefused(folder, folder, { rule: /both/ });
  });
});

describe('readCheckpoint: sharded folder refusals', () => {
  async function sharded(): Promise<{ folder: string; index: string; map: Record<string, string> }> {
    const config = tinyConfig();
    const folder = await writeFolderCheckpoint(join(await temp.make(), 'shards'), config, modelTensors(config), { shards: 2 });
    const index = join(folder, 'model.safetensors.index.json');
    const map = (JSON.parse(await readFile(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
    return { folder, index, map };
  }
  const writeMap = (index: string, map: Record<string, string>): Promise<void> => writeFile(index, JSON.stringify({ weight_map: map }));

  it('index not JSON, or without weight_map', async () => {
    const { folder, index } = await sharded();
    await writeFile(index, '{"weight_map": ');
    await expectRefused(folder, index, { rule: /not valid JSON/ });
    await writeFile(index, '{"metadata": {}}');
    await expectRefused(folder, index, { key: 'weight_map' });
  });

  it('a listed shard that does not exist', async () => {
    const { folder, index, map } = await sharded();
    await writeMap(index, { ...map, 'model.norm.weight': 'model-00009-of-00009.safetensors' });
    await expectRefused(folder, index, { tensor: 'model.norm.weight', rule: /model-00009-of-00009.safetensors.*does not exist/ });
  });

  it('a tensor in a different shard than the index names', async () => {
    const { folder, index, map } = await sharded();
    await writeMap(index, { ...map, 'model.embed_tokens.weight': 'model-00002-of-00002.safetensors' });
    await expectRefused(folder, join(folder, 'model-00001-of-00002.safetensors'), { tensor: 'model.embed_tokens.weight', rule: /puts it in "model-00002/ });
  });

  it('a tensor the index does not list', async () => {
    const { folder, index, map } = await sharded();
    const { ['model.norm.weight']: _dropped, ...rest } = map;
    await writeMap(index, rest);
    await expectRefused(folder, join(folder, 'model-00002-of-00002.safetensors'), { tensor: 'model.norm.weight', rule: /not in model.safetensors.index.json/ });
  });

  it('an index entry whose shard does not hold the tensor', async () => {
    const { folder, index, map } = await sharded();
    await writeMap(index, { ...map, 'model.layers.9.mlp.up_proj.weight': 'model-00001-of-00002.safetensors' });
    await expectRefused(folder, index, { tensor: 'model.layers.9.mlp.up_proj.weight', rule: /does not hold it/ });
  });

  it('a shard path outside the folder', async () => {
    const { folder, index, map } = await sharded();
    await writeMap(index, { ...map, 'model.norm.weight': '../elsewhere.safetensors' });
    await expectRefused(folder, index, { tensor: 'model.norm.weight', rule: /outside the checkpoint folder/ });
  });
});

describe('readCheckpoint: single-file refusals', () => {
  async function single(config: RawConfig | string | null, options: Parameters<typeof writeSingleFileCheckpoint>[3] = {}, tensors = modelTensors(tinyConfig())): Promise<string> {
    const path = join(await temp.make(), 'model-x.safetensors');
    return writeSingleFileCheckpoint(path, config, tensors, options);
  }

  it('no colm.config', async () => {
    const path = await single(null);
    await expectRefused(path, path, { key: 'colm.config', rule: /no "colm.config"/ });
  });

  it('colm.config not JSON', async () => {
    const path = await single('{"hidden_size": 8');
    await expectRefused(path, path, { key: 'colm.config', rule: /not valid JSON/ });
  });

  it('a config rule broken names the config key', async () => {
    const path = await single(tinyConfig({ num_key_value_heads: 3 }));
    await expectRefused(path, path, { key: 'num_key_value_heads' });
  });

  it('no colm.tokenizer, or one without "model"', async () => {
    const missing = await single(tinyConfig(), { tokenizer: null });
    await expectRefused(missing, missing, { key: 'colm.tokenizer', rule: /no "colm.tokenizer"/ });
    const broken = await single(tinyConfig(), { tokenizer: '[]' });
    await expectRefused(broken, broken, { key: 'colm.tokenizer', rule: /JSON object/ });
  });

  it('optional metadata that is not a JSON object', async () => {
    const path = await single(tinyConfig(), { generationConfig: 'nope' });
    await expectRefused(path, path, { key: 'colm.generation_config', rule: /not valid JSON/ });
  });

  it('a bad header in the single file', async () => {
    const path = join(await temp.make(), 'bad.safetensors');
    await writeFile(path, rawSafetensors({ __metadata__: { 'colm.config': JSON.stringify(tinyConfig()) }, a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, b: { dtype: 'F32', shape: [4], data_offsets: [12, 28] } }, new Uint8Array(28)));
    await expectRefused(path, path, { tensor: 'b', rule: /overlaps/ });
  });
});

describe('readCheckpoint: folder layout helpers', () => {
  it('reads a folder whose shard sits in a subfolder of it', async () => {
    const config = tinyConfig();
    const folder = join(await temp.make(), 'nested');
    await writeFolderCheckpoint(folder, config, modelTensors(config), { shards: 1 });
    await mkdir(join(folder, 'weights'));
    await rename(join(folder, 'model.safetensors'), join(folder, 'weights', 'all.safetensors'));
    const map = Object.fromEntries(modelTensors(config).map((t) => [t.name, 'weights/all.safetensors']));
    await writeFile(join(folder, 'model.safetensors.index.json'), JSON.stringify({ weight_map: map }));
    const plan = await readCheckpoint(folder);
    expect(plan.files).toEqual([join(folder, 'weights', 'all.safetensors')]);
  });
});
