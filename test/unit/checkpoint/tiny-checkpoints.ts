// Builders for tiny, valid CoLM checkpoints in every packaging, written with our own writer. Shapes
// are computed here straight from FORMAT.md's formulas, not with the reader's code, so a mistake in
// one is not mirrored in the other.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toBF16Bytes, toF16Bytes, toF32Bytes } from '../../../app/checkpoint/float-bits.js';
import { writeSafetensors, type TensorToWrite } from '../../../app/checkpoint/safetensors-writer.js';
import type { DType } from '../../../app/checkpoint/types.js';

export type RawConfig = Record<string, unknown>;
export type StorageForm = 'whole' | 'per-chain';

/** 2 layers, D=8, h=4 (head_dim 2), H=16, V=11, chains {1,1}: the smallest interesting CoLM. */
export function tinyConfig(overrides: RawConfig = {}): RawConfig {
  return {
    model_type: 'colm',
    hidden_size: 8,
    intermediate_size: 16,
    num_hidden_layers: 2,
    vocab_size: 11,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    chains: [1, 1],
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    bos_token_id: 1,
    eos_token_id: 2,
    ...overrides,
  };
}

export const TINY_TOKENIZER = { version: '1.0', model: { type: 'BPE', vocab: { a: 0 }, merges: [] } };

function split(total: number, chains: number[]): number[] {
  const sum = chains.reduce((a, b) => a + b, 0);
  return chains.map((c) => (total * c) / sum);
}

function cumulative(widths: number[]): number[] {
  const out = [0];
  for (const w of widths) out.push((out[out.length - 1] ?? 0) + w);
  return out;
}

export interface TensorShape {
  name: string;
  shape: number[];
}

export interface ShapeOptions {
  form?: StorageForm | ((base: string) => StorageForm);
  tiedCopy?: boolean; // store lm_head.weight even when tied (the reader must ignore it)
}

/** Every tensor name and shape FORMAT.md asks of this config, in a natural file order. */
export function modelShapes(config: RawConfig, options: ShapeOptions = {}): TensorShape[] {
  const D = config['hidden_size'] as number;
  const H = config['intermediate_size'] as number;
  const L = config['num_hidden_layers'] as number;
  const V = config['vocab_size'] as number;
  const h = config['num_attention_heads'] as number;
  const hKv = (config['num_key_value_heads'] as number | undefined) ?? h;
  const headDim = (config['head_dim'] as number | undefined) ?? D / h;
  const chains = (config['chains'] as number[] | undefined) ?? [1];
  const air = config['kv_sharing'] === true;
  const tied = config['tie_word_embeddings'] === true;
  const formOf = (base: string): StorageForm =>
    typeof options.form === 'function' ? options.form(base) : options.form ?? (chains.length > 1 ? 'per-chain' : 'whole');

  const hidden = split(D, chains);
  const qOut = split(h, chains).map((x) => x * headDim);
  const kvOut = split(hKv, chains).map((x) => x * headDim);
  const ffn = split(H, chains);
  const shapes: TensorShape[] = [{ name: 'model.embed_tokens.weight', shape: [V, D] }];
  const linear = (base: string, out: number[], inWidths: number[]): void => {
    const cumIn = cumulative(inWidths);
    if (formOf(base) === 'whole') {
      shapes.push({ name: `${base}.weight`, shape: [out.reduce((a, b) => a + b, 0), cumIn[cumIn.length - 1] ?? 0] });
    } else {
      out.forEach((rows, i) => shapes.push({ name: `${base}.chains.${i}.weight`, shape: [rows, cumIn[i + 1] ?? 0] }));
    }
  };
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}`;
    shapes.push({ name: `${p}.input_layernorm.weight`, shape: [D] });
    linear(`${p}.self_attn.q_proj`, qOut, hidden);
    for (const kv of ['k_proj', 'v_proj']) {
      if (air) shapes.push({ name: `${p}.self_attn.${kv}.weight`, shape: [hKv * headDim, hidden[0] ?? 0] });
      else linear(`${p}.self_attn.${kv}`, kvOut, hidden);
    }
    linear(`${p}.self_attn.o_proj`, hidden, qOut);
    shapes.push({ name: `${p}.post_attention_layernorm.weight`, shape: [D] });
    linear(`${p}.mlp.gate_proj`, ffn, hidden);
    linear(`${p}.mlp.up_proj`, ffn, hidden);
    linear(`${p}.mlp.down_proj`, hidden, ffn);
  }
  shapes.push({ name: 'model.norm.weight', shape: [D] });
  if (!tied || options.tiedCopy) shapes.push({ name: 'lm_head.weight', shape: [V, D] });
  return shapes;
}

export function encodeValues(values: ArrayLike<number>, dtype: DType): Uint8Array {
  if (dtype === 'F32') return toF32Bytes(values);
  if (dtype === 'F16') return toF16Bytes(values);
  return toBF16Bytes(values);
}

export function tensorOf(name: string, shape: number[], dtype: DType = 'F32'): TensorToWrite {
  const count = shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, (_, i) => ((i % 13) - 6) / 8);
  return { name, dtype, shape, data: encodeValues(values, dtype) };
}

export function modelTensors(config: RawConfig, options: ShapeOptions & { dtype?: DType | ((name: string) => DType) } = {}): TensorToWrite[] {
  const dtypeOf = (name: string): DType => (typeof options.dtype === 'function' ? options.dtype(name) : options.dtype ?? 'F32');
  return modelShapes(config, options).map(({ name, shape }) => tensorOf(name, shape, dtypeOf(name)));
}

export interface SideFiles {
  tokenizer?: unknown; // omitted: TINY_TOKENIZER; use `null` to leave the file out
  tokenizerConfig?: unknown;
  generationConfig?: unknown;
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
}

/** A folder checkpoint; `shards` > 1 splits the tensors into that many consecutive shards. */
export async function writeFolderCheckpoint(
  folder: string,
  config: RawConfig | string,
  tensors: TensorToWrite[],
  options: SideFiles & { shards?: number } = {},
): Promise<string> {
  await mkdir(folder, { recursive: true });
  await writeJson(join(folder, 'config.json'), config);
  if (options.tokenizer !== null) await writeJson(join(folder, 'tokenizer.json'), options.tokenizer ?? TINY_TOKENIZER);
  if (options.tokenizerConfig !== undefined) await writeJson(join(folder, 'tokenizer_config.json'), options.tokenizerConfig);
  if (options.generationConfig !== undefined) await writeJson(join(folder, 'generation_config.json'), options.generationConfig);
  const shards = options.shards ?? 1;
  if (shards === 1) {
    await writeSafetensors(join(folder, 'model.safetensors'), tensors);
    return folder;
  }
  const perShard = Math.ceil(tensors.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const name = `model-${String(s + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = tensors.slice(s * perShard, (s + 1) * perShard);
    for (const t of part) weightMap[t.name] = name;
    await writeSafetensors(join(folder, name), part, { format: 'pt' });
  }
  await writeJson(join(folder, 'model.safetensors.index.json'), { metadata: { total_size: 0 }, weight_map: weightMap });
  return folder;
}

/** A single-file checkpoint: config and tokenizer ride in __metadata__. */
export async function writeSingleFileCheckpoint(
  path: string,
  config: RawConfig | string | null,
  tensors: TensorToWrite[],
  options: SideFiles = {},
): Promise<string> {
  const metadata: Record<string, string> = {};
  const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));
  if (config !== null) metadata['colm.config'] = text(config);
  if (options.tokenizer !== null) metadata['colm.tokenizer'] = text(options.tokenizer ?? TINY_TOKENIZER);
  if (options.tokenizerConfig !== undefined) metadata['colm.tokenizer_config'] = text(options.tokenizerConfig);
  if (options.generationConfig !== undefined) metadata['colm.generation_config'] = text(options.generationConfig);
  await writeSafetensors(path, tensors, metadata);
  return path;
}

/** Raw safetensors bytes from a header (object or exact text) and a data section, for bad files. */
export function rawSafetensors(header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, lengthOverride ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

export class TempDirs {
  private readonly made: string[] = [];
  async make(prefix = 'colm-ckpt-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix));
    this.made.push(dir);
    return dir;
  }
  async cleanup(): Promise<void> {
    await Promise.all(this.made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}
