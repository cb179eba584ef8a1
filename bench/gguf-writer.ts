// A dense (1-chain) CoLM checkpoint -> an F16 GGUF v3 file that llama.cpp loads as "llama", so the
// benchmark can run llama.cpp on exactly the weights our engine runs. Only what llama.cpp needs is
// written: the hyperparameters, a GPT-2 style (byte-level BPE) vocabulary, and the tensors under
// llama.cpp's names. Matrices are stored F16 and norms F32, as llama.cpp's own converter does.
//
// GGUF v3 layout (little-endian): "GGUF", u32 version, u64 tensor count, u64 KV count, the KVs
// (string key, u32 value type, value), the tensor infos (string name, u32 dim count, u64 dims
// innermost first, u32 ggml type, u64 offset into the data section), zero padding to the
// alignment (32), then the data section, each tensor starting at a multiple of the alignment.
import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';

import { readCheckpoint } from '../app/checkpoint/read-checkpoint.js';
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToF16Bits } from '../app/checkpoint/float-bits.js';
import type { DType, LoadPlan, TensorEntry } from '../app/checkpoint/types.js';
import { quantizeQ4Rows } from '../app/quantize/q4-rows.js';

const ALIGNMENT = 32;

/** gguf_type: the value types a KV can hold (only those written here). */
const enum ValueType {
  U32 = 4,
  I32 = 5,
  F32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

/** ggml_type of a tensor's data. */
export const enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q8_0 = 8,
  Q4_K = 12,
}

/** The matrix types this writer can produce (norms are always F32, as llama.cpp writes them). */
export type MatrixType = 'F16' | 'Q8_0' | 'Q4_0' | 'Q4_K';

const GGML_TYPE: Record<MatrixType, GgmlType> = { F16: GgmlType.F16, Q8_0: GgmlType.Q8_0, Q4_0: GgmlType.Q4_0, Q4_K: GgmlType.Q4_K };

// llama.cpp's general.file_type for a file whose matrices are all of one type.
// (Q4_K: LLAMA_FTYPE_MOSTLY_Q4_K_S, the all-Q4_K file.)
const FILE_TYPE: Record<MatrixType, number> = { F16: 1, Q4_0: 2, Q8_0: 7, Q4_K: 14 };

/** llama_token_type, as llama.cpp reads tokenizer.ggml.token_type. */
const enum TokenType {
  Normal = 1,
  Control = 3,
  UserDefined = 4,
  Unused = 5,
}

export type GgufValue =
  | { type: 'u32'; value: number }
  | { type: 'f32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'string[]'; value: string[] }
  | { type: 'i32[]'; value: number[] };

export interface GgufTensor {
  name: string;
  /** ggml's ne: innermost (contiguous) dimension first, i.e. a row-major [rows, cols] is [cols, rows]. */
  dims: number[];
  type: GgmlType;
  byteLength: number;
  /** Produces the bytes when the writer reaches this tensor, so only one tensor is in memory. */
  data: () => Promise<Uint8Array>;
}

/** A growable little-endian byte buffer for the header, KVs and tensor infos. */
class ByteSink {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  u64(v: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  raw(b: Uint8Array): void {
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
  /** gguf_string: u64 byte length, then UTF-8 bytes without a terminator. */
  string(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.raw(b);
  }
  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    this.raw(new Uint8Array(pad));
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

function writeValue(sink: ByteSink, v: GgufValue): void {
  switch (v.type) {
    case 'u32':
      sink.u32(ValueType.U32);
      sink.u32(v.value);
      return;
    case 'f32':
      sink.u32(ValueType.F32);
      sink.f32(v.value);
      return;
    case 'bool':
      sink.u32(ValueType.Bool);
      sink.raw(Uint8Array.of(v.value ? 1 : 0));
      return;
    case 'string':
      sink.u32(ValueType.String);
      sink.string(v.value);
      return;
    case 'string[]':
      sink.u32(ValueType.Array);
      sink.u32(ValueType.String);
      sink.u64(v.value.length);
      for (const s of v.value) sink.string(s);
      return;
    case 'i32[]':
      sink.u32(ValueType.Array);
      sink.u32(ValueType.I32);
      sink.u64(v.value.length);
      for (const x of v.value) sink.i32(x);
      return;
  }
}

const alignUp = (n: number) => Math.ceil(n / ALIGNMENT) * ALIGNMENT;

/** Writes a GGUF v3 file: metadata and tensor infos first, then each tensor's data in turn. */
export async function writeGguf(path: string, metadata: Array<[string, GgufValue]>, tensors: GgufTensor[]): Promise<void> {
  const head = new ByteSink();
  head.raw(Buffer.from('GGUF', 'latin1'));
  head.u32(3);
  head.u64(tensors.length);
  head.u64(metadata.length);
  for (const [key, value] of metadata) {
    head.string(key);
    writeValue(head, value);
  }
  let offset = 0;
  for (const t of tensors) {
    head.string(t.name);
    head.u32(t.dims.length);
    for (const d of t.dims) head.u64(d);
    head.u32(t.type);
    head.u64(offset);
    offset = alignUp(offset + t.byteLength);
  }
  head.padTo(ALIGNMENT);

  const file = await open(path, 'w');
  try {
    await file.write(head.result());
    for (const t of tensors) {
      const bytes = await t.data();
      if (bytes.length !== t.byteLength) throw new Error(`${t.name}: produced ${bytes.length} bytes, declared ${t.byteLength}`);
      await file.write(bytes);
      const pad = alignUp(bytes.length) - bytes.length;
      if (pad > 0) await file.write(new Uint8Array(pad));
    }
  } finally {
    await file.close();
  }
}

// ---- checkpoint -> llama GGUF ----

/** Reads one tensor as float32 values, whatever its stored dtype. */
async function readFloats(files: FileHandle[], t: TensorEntry): Promise<Float32Array> {
  const raw = Buffer.alloc(t.byteLength);
  await files[t.file]!.read(raw, 0, t.byteLength, t.offset);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (t.dtype === 'I8' || t.dtype === 'Q4_0' || t.dtype === 'Q4_K') throw new Error(`tensor ${t.name} is quantized (q8_0); the GGUF writer takes float checkpoints`);
  const width: Record<DType, number> = { F32: 4, F16: 2, BF16: 2 };
  const out = new Float32Array(t.byteLength / width[t.dtype]);
  for (let i = 0; i < out.length; i++) {
    out[i] =
      t.dtype === 'F32' ? view.getFloat32(i * 4, true) : t.dtype === 'F16' ? f16BitsToFloat32(view.getUint16(i * 2, true)) : bf16BitsToFloat32(view.getUint16(i * 2, true));
  }
  return out;
}

/** F16 bytes of a row-major matrix, rounding to nearest even (exact for BF16 inside F16's range). */
function toF16(values: Float32Array): Uint8Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = float32ToF16Bits(values[i]!);
  return new Uint8Array(out.buffer);
}

/** Bytes of a [rows, cols] matrix in a matrix type (blocks of 32 columns for Q8_0 and Q4_0, 256 for Q4_K). */
function matrixBytes(type: MatrixType, rows: number, cols: number): number {
  if (type === 'F16') return rows * cols * 2;
  if (type === 'Q4_K') {
    if (cols % 256 !== 0) throw new Error(`Q4_K needs rows whose length is a multiple of 256, got ${cols}`);
    return rows * (cols / 256) * 144;
  }
  if (cols % 32 !== 0) throw new Error(`${type} needs rows whose length is a multiple of 32, got ${cols}`);
  return rows * (cols / 32) * (type === 'Q8_0' ? 34 : 18);
}

/**
 * ggml's reference quantizers (quantize_row_q8_0_ref, quantize_row_q4_0_ref): Q8_0 blocks are an F16
 * scale d = absmax/127 and 32 values round(x/d); Q4_0 blocks are an F16 scale d = max/-8 (max: the
 * value of largest magnitude, with its sign) and 32 nibbles min(15, trunc(x/d + 8.5)), value j in the
 * low nibble of byte j and value j+16 in its high nibble.
 */
function quantizeRows(type: 'Q8_0' | 'Q4_0', values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const blockBytes = type === 'Q8_0' ? 34 : 18;
  const out = new Uint8Array(blocks * blockBytes);
  const view = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const x = values.subarray(b * 32, b * 32 + 32);
    const at = b * blockBytes;
    let amax = 0;
    let max = 0;
    for (const v of x) {
      if (Math.abs(v) > amax) {
        amax = Math.abs(v);
        max = v;
      }
    }
    if (type === 'Q8_0') {
      const d = amax / 127;
      const id = d !== 0 ? 1 / d : 0;
      view.setUint16(at, float32ToF16Bits(d), true);
      for (let j = 0; j < 32; j++) view.setInt8(at + 2 + j, roundHalfAway(x[j]! * id));
    } else {
      const d = max / -8;
      const id = d !== 0 ? 1 / d : 0;
      view.setUint16(at, float32ToF16Bits(d), true);
      for (let j = 0; j < 16; j++) {
        const lo = Math.min(15, Math.trunc(x[j]! * id + 8.5));
        const hi = Math.min(15, Math.trunc(x[j + 16]! * id + 8.5));
        out[at + 2 + j] = lo | (hi << 4);
      }
    }
  }
  return out;
}

/** C's roundf: halves away from zero (Math.round sends -2.5 to -2). */
function roundHalfAway(v: number): number {
  return Math.sign(v) * Math.round(Math.abs(v));
}

function encodeMatrix(type: MatrixType, values: Float32Array): Uint8Array {
  // Q4_K: the engine's own quantizer (app/quantize: llama.cpp's layout with a min/max rule, not
  // llama.cpp's search; any Q4_K reader decodes it, and the speed does not depend on the rule).
  if (type === 'Q4_K') return quantizeQ4Rows('q4_k', values, 1, values.length);
  return type === 'F16' ? toF16(values) : quantizeRows(type, values);
}

/**
 * Hugging Face Llama applies RoPE to the two halves of each head (rotate-half); llama.cpp's "llama"
 * rotates adjacent pairs. Reordering each head's rows from [first half, second half] to
 * interleaved pairs makes llama.cpp's q/k equal ours up to that same reorder, so attention scores,
 * and so outputs, match. This is the reorder llama.cpp's converter applies (its `permute`).
 */
export function interleaveRopeRows(values: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(values.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const from = h * headDim + j * half + i;
        const to = h * headDim + 2 * i + j;
        out.set(values.subarray(from * cols, (from + 1) * cols), to * cols);
      }
    }
  }
  return out;
}

interface TokenizerJson {
  model?: { type?: string; vocab?: Record<string, number>; merges?: Array<string | [string, string]> };
  added_tokens?: Array<{ id: number; content: string; special?: boolean }>;
}

/**
 * tokenizer.ggml.* for a byte-level BPE tokenizer.json. llama.cpp sizes its vocabulary from the
 * token list and checks it against the embedding rows, so ids the tokenizer does not use (a model's
 * vocab_size is often rounded up) become "[PADi]" tokens marked unused, as llama.cpp's converter does.
 */
function tokenizerMetadata(plan: LoadPlan): Array<[string, GgufValue]> {
  const tok = plan.tokenizerJson as TokenizerJson;
  if (tok.model?.type !== 'BPE' || !tok.model.vocab) throw new Error('only BPE tokenizers (tokenizer.json model.type "BPE") can be written as a GGUF "gpt2" vocabulary');
  const size = plan.config.vocabSize;
  const tokens: Array<string | undefined> = new Array(size);
  const types: number[] = new Array(size).fill(TokenType.Normal);
  const place = (id: number, text: string, type: TokenType) => {
    if (id < 0 || id >= size) throw new Error(`token ${JSON.stringify(text)} has id ${id}, outside vocab_size ${size}`);
    tokens[id] = text;
    types[id] = type;
  };
  for (const [text, id] of Object.entries(tok.model.vocab)) place(id, text, TokenType.Normal);
  for (const t of tok.added_tokens ?? []) place(t.id, t.content, t.special ? TokenType.Control : TokenType.UserDefined);
  for (let i = 0; i < size; i++) {
    if (tokens[i] === undefined) place(i, `[PAD${i}]`, TokenType.Unused);
  }
  // Merges are "a b" strings in older tokenizer.json files and [a, b] pairs in newer ones.
  const merges = (tok.model.merges ?? []).map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  const out: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    // The GPT-2 pre-tokenizer regex, which a ByteLevel pre_tokenizer with use_regex applies.
    ['tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens as string[] }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: types }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
    // The benchmark hands llama.cpp token ids; nothing should be added to them.
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
  ];
  const bos = plan.config.bosTokenId;
  const eos = plan.config.eosTokenIds[0];
  if (bos !== null) out.push(['tokenizer.ggml.bos_token_id', { type: 'u32', value: bos }]);
  if (eos !== undefined) out.push(['tokenizer.ggml.eos_token_id', { type: 'u32', value: eos }]);
  return out;
}

function hyperparameters(plan: LoadPlan, matrixType: MatrixType): Array<[string, GgufValue]> {
  const c = plan.config;
  const u32 = (value: number): GgufValue => ({ type: 'u32', value });
  const out: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: basename(plan.source).replace(/\.safetensors$/i, '') }],
    ['general.file_type', u32(FILE_TYPE[matrixType])],
    ['llama.context_length', u32(c.maxPositionEmbeddings ?? 4096)],
    ['llama.embedding_length', u32(c.hiddenSize)],
    ['llama.block_count', u32(c.numHiddenLayers)],
    ['llama.feed_forward_length', u32(c.intermediateSize)],
    ['llama.rope.dimension_count', u32(c.headDim)],
    ['llama.attention.head_count', u32(c.numAttentionHeads)],
    ['llama.attention.head_count_kv', u32(c.numKeyValueHeads)],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'f32', value: c.rmsNormEps }],
    ['llama.rope.freq_base', { type: 'f32', value: c.ropeTheta }],
    ['llama.vocab_size', u32(c.vocabSize)],
  ];
  // llama.cpp assumes head_dim = hidden / heads unless told otherwise.
  if (c.headDim * c.numAttentionHeads !== c.hiddenSize) {
    out.push(['llama.attention.key_length', u32(c.headDim)], ['llama.attention.value_length', u32(c.headDim)]);
  }
  return out;
}

/**
 * Converts a dense (1-chain) Llama-shaped checkpoint to a GGUF that llama.cpp runs as "llama": its
 * matrices in `matrixType` (F16 by default; Q8_0 and Q4_0 quantized as llama.cpp's reference
 * quantizers do), norms in F32.
 */
export async function writeLlamaGguf(checkpointPath: string, ggufPath: string, matrixType: MatrixType = 'F16'): Promise<void> {
  const plan = await readCheckpoint(checkpointPath);
  const c = plan.config;
  if (c.chains.length !== 1) throw new Error(`llama.cpp runs dense models only; ${checkpointPath} has ${c.chains.length} chains`);
  // llama3 scaling needs a rope_freqs tensor computed here; the benchmark models have none.
  if (c.ropeScaling !== null) throw new Error('rope_scaling is not supported by this writer');

  const byName = new Map(plan.tensors.map((t) => [t.name, t]));
  // A 1-chain linear may be stored whole (X.weight) or as its only chain (X.chains.0.weight).
  const find = (base: string): TensorEntry => {
    const t = byName.get(`${base}.weight`) ?? byName.get(`${base}.chains.0.weight`);
    if (!t) throw new Error(`${checkpointPath}: no tensor ${base}.weight`);
    return t;
  };
  const files = await Promise.all(plan.files.map((f) => open(f, 'r')));
  try {
    const tensors: GgufTensor[] = [];
    const matrix = (name: string, src: TensorEntry, ropeHeads = 0) => {
      const [rows, cols] = src.shape as [number, number];
      tensors.push({
        name,
        dims: [cols, rows],
        type: GGML_TYPE[matrixType],
        byteLength: matrixBytes(matrixType, rows, cols),
        data: async () => {
          const values = await readFloats(files, src);
          return encodeMatrix(matrixType, ropeHeads > 0 ? interleaveRopeRows(values, rows, cols, ropeHeads) : values);
        },
      });
    };
    const norm = (name: string, src: TensorEntry) => {
      tensors.push({
        name,
        dims: [src.shape[0]!],
        type: GgmlType.F32,
        byteLength: src.shape[0]! * 4,
        data: async () => new Uint8Array((await readFloats(files, src)).buffer),
      });
    };
    matrix('token_embd.weight', find('model.embed_tokens'));
    for (let l = 0; l < c.numHiddenLayers; l++) {
      const p = `model.layers.${l}`;
      const b = `blk.${l}`;
      norm(`${b}.attn_norm.weight`, find(`${p}.input_layernorm`));
      matrix(`${b}.attn_q.weight`, find(`${p}.self_attn.q_proj`), c.numAttentionHeads);
      matrix(`${b}.attn_k.weight`, find(`${p}.self_attn.k_proj`), c.numKeyValueHeads);
      matrix(`${b}.attn_v.weight`, find(`${p}.self_attn.v_proj`));
      matrix(`${b}.attn_output.weight`, find(`${p}.self_attn.o_proj`));
      norm(`${b}.ffn_norm.weight`, find(`${p}.post_attention_layernorm`));
      matrix(`${b}.ffn_gate.weight`, find(`${p}.mlp.gate_proj`));
      matrix(`${b}.ffn_up.weight`, find(`${p}.mlp.up_proj`));
      matrix(`${b}.ffn_down.weight`, find(`${p}.mlp.down_proj`));
    }
    norm('output_norm.weight', find('model.norm'));
    // Tied embeddings: llama.cpp falls back to token_embd when output.weight is absent.
    if (!c.tieWordEmbeddings) matrix('output.weight', find('lm_head'));
    await writeGguf(ggufPath, [...hyperparameters(plan, matrixType), ...tokenizerMetadata(plan)], tensors);
  } finally {
    await Promise.all(files.map((f) => f.close()));
  }
}
