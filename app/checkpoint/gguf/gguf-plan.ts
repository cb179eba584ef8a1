// A GGUF file -> the parts of a LoadPlan (FORMAT.md, "GGUF"): tensor and metadata names mapped back
// to FORMAT.md's, config checked by the normal parseConfig, tokenizer rebuilt from tokenizer.ggml.*.
// F32/F16/BF16 tensors that need no change stay in the file and are memory-mapped; q/k of `llama`
// (rows permuted by llama.cpp) and every block type go through memory:
//   - a chain linear in Q8_0 is split into .qweight/.qscale, exactly (the same numbers);
//   - a chain linear in Q4_0 or Q4_K is kept as it is, memory-mapped (docs/FORMAT-Q4.md: the engine
//     multiplies llama.cpp's 4-bit blocks directly), read into memory only when llama.cpp permuted
//     its rows (q/k of `llama`); GGUF rows are whole blocks and a GGUF is one chain, so its
//     K-extents always are too;
//   - a chain linear in Q5_0 is widened to q8_0 exactly (the same values, 8-bit storage);
//   - a chain linear in another block type is dequantized exactly and re-quantized to q8_0
//     (docs/FORMAT-Q8.md), or stored as BF16 with dequantizeTo 'bf16';
//   - the embedding and LM head (token_embd, output) in Q4_0/Q4_K are kept as they are, mapped,
//     like the chain linears (with dequantizeTo q8_0); in Q8_0 they are kept as Q8_0
//     .qweight/.qscale pairs, split exactly, and in Q5_0 widened exactly to them: the engine takes
//     a 4-bit or Q8_0 embedding and LM head per tensor (docs/FORMAT-Q8.md, "Per-tensor storage
//     inside the engine"; docs/FORMAT-Q4.md), and an F32 LM head would dominate the bytes a small
//     model streams per token. Other block types' embedding and LM head become F32 (exact);
//   - norms and biases of a block type become F32.
// What was converted is said in one line (onNotice, stderr by default).

import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CheckpointParts } from '../checkpoint-parts.js';
import { parseConfig } from '../config.js';
import { CheckpointError } from '../errors.js';
import { toBF16Bytes } from '../float-bits.js';
import type { LocatedTensor } from '../match-tensors.js';
import type { ColmConfig, Packaging, PlanDType } from '../types.js';
import { isFloatType } from './ggml-types.js';
import { ggufArchitecture, ggufConfigJson, isPermutedArchitecture, type GgufArchitecture } from './gguf-config.js';
import { dequantize } from './gguf-dequantize.js';
import { readGgufFile } from './gguf-file.js';
import { mapTensorName, unpermuteRows, type MappedName } from './gguf-names.js';
import { quantizeQ8, splitQ8_0, widenToQ8, Q8_BLOCK } from './gguf-q8.js';
import { ropeScalingFromFreqs, ROPE_FREQS } from './gguf-rope.js';
import type { GgufFile, GgufTensorInfo } from './gguf-types.js';

export type DequantizeTarget = 'q8_0' | 'bf16';

export interface GgufReadOptions {
  signal?: AbortSignal;
  /** What chain linears of block types other than Q8_0 become: q8_0 (default) or BF16. */
  dequantizeTo?: DequantizeTarget;
  /** Gets the one line that says what was converted; without it the line goes to stderr. */
  onNotice?: (line: string) => void;
  /**
   * Dequantize a Q8_0/Q4_0/Q5_0 embedding and LM head to F32 instead of keeping them as Q8_0 pairs
   * (colm convert: a safetensors checkpoint keeps them float, docs/FORMAT-Q8.md). Same values.
   */
  floatEmbeddings?: boolean;
  /**
   * Hand the Q8_0 tensors that become .qweight/.qscale pairs to the engine as their blocks in the
   * file (TensorEntry.q8Split), for its loader to split (and unpermute): no copy in JavaScript,
   * seconds faster on a 1 GB file. Only for a plan the engine loads; without it they are split
   * here, in memory (colm convert writes those bytes).
   */
  q8SplitAtLoad?: boolean;
}

/** The tensors a GGUF may hand over as Q8_0 pairs besides the chain linears. */
export const Q8_DENSE_NAMES: ReadonlySet<string> = new Set(['model.embed_tokens.weight', 'lm_head.weight']);

export const GGUF_PACKAGING: Packaging = 'gguf';

interface MappedTensor {
  info: GgufTensorInfo;
  mapped: MappedName;
}

/** Everything about a GGUF that needs no weight: architecture, config, tensor names. */
export interface GgufDescription {
  gguf: GgufFile;
  arch: GgufArchitecture;
  configJson: Record<string, unknown>;
  config: ColmConfig;
  tensors: MappedTensor[];
}

export interface GgufCheckpoint {
  parts: CheckpointParts;
  /** Tensors converted in memory, by FORMAT.md name (the plan entry's `data`). */
  data: Map<string, Uint8Array>;
  description: GgufDescription;
  notice: string | null;
}

function refuseSplitFile(gguf: GgufFile): void {
  const count = gguf.metadata.get('split.count');
  if (count !== undefined && count !== 1) {
    throw new CheckpointError(gguf.path, `is part of a GGUF split into ${String(count)} files, which is not supported (merge them with llama-gguf-split --merge)`, {
      key: 'split.count',
    });
  }
}

/** Whether a chain linear of this type is kept in its own 4-bit blocks (docs/FORMAT-Q4.md). */
function keptAsQ4(info: GgufTensorInfo, target: DequantizeTarget): boolean {
  return target === 'q8_0' && (info.type === 'Q4_0' || info.type === 'Q4_K');
}

/** Whether a chain linear of this type is stored as .qweight/.qscale. */
function storedAsQ8(info: GgufTensorInfo, target: DequantizeTarget): boolean {
  return info.type === 'Q8_0' || (!isFloatType(info.type) && target === 'q8_0' && !keptAsQ4(info, target));
}

export async function describeGguf(file: string, options: GgufReadOptions = {}): Promise<GgufDescription> {
  const gguf = await readGgufFile(file);
  refuseSplitFile(gguf);
  const arch = ggufArchitecture(gguf);
  const permuted = isPermutedArchitecture(arch);
  const target = options.dequantizeTo ?? 'q8_0';
  const tensors: MappedTensor[] = [];
  let ropeFreqs: GgufTensorInfo | null = null;
  for (const info of gguf.tensors) {
    if (info.name === ROPE_FREQS) {
      ropeFreqs = info;
      continue;
    }
    const mapped = mapTensorName(info.name, permuted);
    if (mapped === null) throw new CheckpointError(file, `is not a tensor of the ${arch} architecture that this reader knows`, { tensor: info.name });
    tensors.push({ info, mapped });
  }
  const has = (name: string) => gguf.tensors.some((t) => t.name === name);
  const embedding = gguf.tensors.find((t) => t.name === 'token_embd.weight');
  const configJson = ggufConfigJson(gguf, arch, {
    hasOutput: has('output.weight'),
    embeddingRows: embedding?.shape[0] ?? null,
    hasAttentionBias: has('blk.0.attn_q.bias'),
    hasMlpBias: has('blk.0.ffn_up.bias'),
  });
  if (ropeFreqs !== null) {
    const scaling = await ropeScalingFromFreqs(gguf, ropeFreqs, configJson);
    if (scaling !== null) configJson['rope_scaling'] = scaling;
  }
  const chainLinears = tensors.filter((t) => t.mapped.chainLinear);
  if (chainLinears.some((t) => storedAsQ8(t.info, target))) {
    configJson['colm_quantization'] = { format: 'q8_0', block_size: Q8_BLOCK };
  } else if (chainLinears.some((t) => keptAsQ4(t.info, target))) {
    const allK = chainLinears.every((t) => !keptAsQ4(t.info, target) || t.info.type === 'Q4_K');
    configJson['colm_quantization'] = allK ? { format: 'q4_k', block_size: 256 } : { format: 'q4_0', block_size: Q8_BLOCK };
  }
  const config = parseConfig(configJson, file);
  return { gguf, arch, configJson, config, tensors };
}

async function readBytes(handle: FileHandle, info: GgufTensorInfo, file: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(info.byteLength);
  let done = 0;
  while (done < bytes.length) {
    const { bytesRead } = await handle.read(bytes, done, bytes.length - done, info.offset + done);
    if (bytesRead === 0) throw new CheckpointError(file, 'ends past the end of the file (did it shrink?)', { tensor: info.name });
    done += bytesRead;
  }
  return bytes;
}

function elementCount(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Tells what was converted, one group of tensors (same GGUF name in every layer, same change) at a time. */
/** What was converted, one entry per kind of change: "Q4_K -> Q8_0 (...): 84 tensors (blk.*.ffn_up.weight, ...)". */
class ConversionLog {
  private readonly changes = new Map<string, Map<string, number>>();
  add(group: string, change: string): void {
    const groups = this.changes.get(change) ?? new Map<string, number>();
    groups.set(group, (groups.get(group) ?? 0) + 1);
    this.changes.set(change, groups);
  }
  line(file: string): string | null {
    if (this.changes.size === 0) return null;
    const parts = [...this.changes].map(([change, groups]) => {
      const count = [...groups.values()].reduce((a, b) => a + b, 0);
      return `${change}: ${count} tensor${count === 1 ? '' : 's'} (${[...groups.keys()].join(', ')})`;
    });
    return `${basename(file)}: converted on load: ${parts.join('; ')}`;
  }
}

class TensorConverter {
  readonly located = new Map<string, LocatedTensor>();
  readonly data = new Map<string, Uint8Array>();
  readonly log = new ConversionLog();

  constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly config: ColmConfig,
    private readonly target: DequantizeTarget,
    private readonly q8Embeddings: boolean,
    private readonly q8SplitAtLoad: boolean,
  ) {}

  private keep(name: string, info: GgufTensorInfo): void {
    const dtype = info.type as PlanDType;
    this.located.set(name, { file: 0, path: this.file, tensor: { name, dtype, shape: info.shape, offset: info.offset, byteLength: info.byteLength } });
  }

  private inMemory(name: string, dtype: PlanDType, shape: number[], bytes: Uint8Array): void {
    this.located.set(name, { file: 0, path: this.file, tensor: { name, dtype, shape, offset: 0, byteLength: bytes.byteLength } });
    this.data.set(name, bytes);
  }

  /** The heads over which llama.cpp permuted this tensor's rows (0: not permuted); checked. */
  private permutedHeads(t: MappedTensor): number {
    if (t.mapped.permutedBy === null) return 0;
    const heads = t.mapped.permutedBy === 'q' ? this.config.numAttentionHeads : this.config.numKeyValueHeads;
    const rows = t.info.shape[0] ?? 0;
    if (rows % (2 * heads) !== 0) {
      throw new CheckpointError(this.file, `has ${rows} rows, not a whole number of ${heads} heads with an even head size (needed to undo llama.cpp's q/k permutation)`, {
        tensor: t.info.name,
      });
    }
    return heads;
  }

  /** Undoes llama.cpp's q/k permutation on rows of `rowBytes` (identity when not permuted). */
  private unpermute(t: MappedTensor, bytes: Uint8Array, rowBytes: number): Uint8Array {
    const heads = this.permutedHeads(t);
    return heads === 0 ? bytes : unpermuteRows(bytes, t.info.shape[0] ?? 0, rowBytes, heads);
  }

  /** A Q8_0 tensor as its blocks in the file, for the engine's loader to split (TensorEntry.q8Split). */
  private splitAtLoad(t: MappedTensor, rows: number, cols: number): void {
    const base = t.mapped.name.replace(/\.weight$/, '');
    const unpermuteHeads = this.permutedHeads(t);
    const at = { file: 0, path: this.file };
    const blocks = { offset: t.info.offset, byteLength: t.info.byteLength };
    this.located.set(`${base}.qweight`, { ...at, tensor: { name: `${base}.qweight`, dtype: 'I8', shape: [rows, cols], ...blocks, q8Split: { part: 'qweight', unpermuteHeads } } });
    this.located.set(`${base}.qscale`, {
      ...at,
      tensor: { name: `${base}.qscale`, dtype: 'F16', shape: [rows, cols / Q8_BLOCK], ...blocks, q8Split: { part: 'qscale', unpermuteHeads } },
    });
  }

  async convert(t: MappedTensor): Promise<void> {
    const { info, mapped } = t;
    const rows = info.shape[0] ?? 1;
    const count = elementCount(info.shape);
    const cols = count / rows;
    if (isFloatType(info.type)) {
      if (mapped.permutedBy === null) return this.keep(mapped.name, info);
      const bytes = await readBytes(this.handle, info, this.file);
      return this.inMemory(mapped.name, info.type, info.shape, this.unpermute(t, bytes, bytes.length / rows));
    }
    if (mapped.chainLinear && keptAsQ4(info, this.target)) {
      this.log.add(mapped.group, `${info.type} kept (4-bit blocks, no conversion)`);
      if (mapped.permutedBy === null) return this.keep(mapped.name, info);
      const bytes = await readBytes(this.handle, info, this.file);
      return this.inMemory(mapped.name, info.type as PlanDType, info.shape, this.unpermute(t, bytes, bytes.length / rows));
    }
    // The embedding / LM head (never permuted): in their own 4-bit blocks, as the chain linears,
    // or as Q8_0 pairs where that is exact.
    const q8Dense = this.q8Embeddings && Q8_DENSE_NAMES.has(mapped.name);
    if (q8Dense && keptAsQ4(info, this.target)) {
      this.log.add(mapped.group, `${info.type} kept (4-bit blocks, no conversion)`);
      return this.keep(mapped.name, info);
    }
    if ((mapped.chainLinear || q8Dense) && info.type === 'Q8_0') {
      if (this.q8SplitAtLoad) return this.splitAtLoad(t, rows, cols);
      const parts = splitQ8_0(await readBytes(this.handle, info, this.file), rows, cols);
      const base = mapped.name.replace(/\.weight$/, '');
      this.inMemory(`${base}.qweight`, 'I8', info.shape, this.unpermute(t, parts.qweight, cols));
      this.inMemory(`${base}.qscale`, 'F16', [rows, cols / Q8_BLOCK], this.unpermute(t, parts.qscale, (cols / Q8_BLOCK) * 2));
      return;
    }
    const bytes = await readBytes(this.handle, info, this.file);
    // (Q4_0 with q8_0 was kept above: it stays 4-bit.)
    if ((mapped.chainLinear || q8Dense) && this.target === 'q8_0' && info.type === 'Q5_0') {
      const parts = widenToQ8(info.type, bytes, rows, cols);
      this.log.add(mapped.group, `${info.type} -> Q8_0 (exact: the same values, 8-bit storage with F32 scales)`);
      const base = mapped.name.replace(/\.weight$/, '');
      this.inMemory(`${base}.qweight`, 'I8', info.shape, this.unpermute(t, parts.qweight, cols));
      this.inMemory(`${base}.qscale`, 'F32', [rows, cols / Q8_BLOCK], this.unpermute(t, parts.qscale, (cols / Q8_BLOCK) * 4));
      return;
    }
    const values = dequantize(info.type, bytes, count);
    const floatBytes = this.unpermute(t, new Uint8Array(values.buffer), cols * 4);
    if (!mapped.chainLinear) {
      this.log.add(mapped.group, `${info.type} -> F32 (dequantized)`);
      return this.inMemory(mapped.name, 'F32', info.shape, floatBytes);
    }
    const exact = new Float32Array(floatBytes.buffer, floatBytes.byteOffset, count);
    if (this.target === 'bf16') {
      this.log.add(mapped.group, `${info.type} -> BF16 (dequantized, rounded to BF16)`);
      return this.inMemory(mapped.name, 'BF16', info.shape, toBF16Bytes(exact));
    }
    const parts = quantizeQ8(exact, rows, cols);
    if (parts === null) {
      throw new CheckpointError(this.file, 'has values too large for q8_0 with F16 scales (absmax > 127 * 65504); use --dequantize bf16', { tensor: info.name });
    }
    this.log.add(mapped.group, `${info.type} -> Q8_0 (dequantized, re-quantized)`);
    const base = mapped.name.replace(/\.weight$/, '');
    this.inMemory(`${base}.qweight`, 'I8', info.shape, parts.qweight);
    this.inMemory(`${base}.qscale`, 'F16', [rows, cols / Q8_BLOCK], parts.qscale);
  }
}

export interface GgufWeights {
  located: Map<string, LocatedTensor>; // every tensor by FORMAT.md name, in the file or in memory
  data: Map<string, Uint8Array>; // the in-memory ones
  notice: string | null; // what was converted, in one line
}

/** The weights of a described GGUF, mapped or converted (the tokenizer is not needed for these). */
export async function ggufWeights(description: GgufDescription, options: GgufReadOptions = {}): Promise<GgufWeights> {
  const file = description.gguf.path;
  const handle = await open(file, 'r');
  const converter = new TensorConverter(file, handle, description.config, options.dequantizeTo ?? 'q8_0', options.floatEmbeddings !== true, options.q8SplitAtLoad === true);
  try {
    for (const t of description.tensors) {
      options.signal?.throwIfAborted();
      await converter.convert(t);
    }
  } finally {
    await handle.close();
  }
  const notice = converter.log.line(file);
  if (notice !== null) {
    if (options.onNotice) options.onNotice(notice);
    else process.stderr.write(`colm: ${notice}\n`);
  }
  return { located: converter.located, data: converter.data, notice };
}

/** Reads a GGUF as the 1-chain checkpoint it was converted from (weights converted where needed). */
export async function readGgufCheckpoint(file: string, options: GgufReadOptions = {}): Promise<GgufCheckpoint> {
  const description = await describeGguf(file, options);
  options.signal?.throwIfAborted();
  // Loaded when first needed: reading a GGUF's header (colm info of a hostile file, say) needs no tokenizer.
  const { tokenizerFromGguf } = await import('./gguf-tokenizer.js');
  const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(description.gguf.metadata, file);
  const weights = await ggufWeights(description, options);
  return {
    parts: {
      packaging: GGUF_PACKAGING,
      config: description.config,
      files: [file],
      tensors: weights.located,
      weightsFile: file,
      tokenizerJson,
      tokenizerConfig,
      generationConfig: null,
    },
    data: weights.data,
    description,
    notice: weights.notice,
  };
}
