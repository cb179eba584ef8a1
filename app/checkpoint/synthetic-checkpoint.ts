// Random CoLM checkpoints of any shape, written as one *.safetensors file per FORMAT.md, for
// tests that need a model the fixtures do not have (a larger one, a broken one) and for the
// benchmarks (a Llama-shaped model of a given size).
import { toBF16Bytes, toF16Bytes, toF32Bytes, writeSafetensors, type TensorToWrite } from './safetensors-writer.js';
import type { DType } from './types.js';

export interface SyntheticConfig {
  /** tokenizer.json text stored in the file; its vocabulary must fit in `vocabSize`. */
  tokenizerJson: string;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  chains: number[];
  kvSharing?: boolean;
  tied?: boolean;
  dtype?: DType;
  /** Store chain linears whole (masked) instead of per chain. */
  wholeForm?: boolean;
  seed?: number;
  /** config.max_position_embeddings (default 4096). */
  maxPositionEmbeddings?: number;
  /** Called with each tensor before it is written: tests use it to break a checkpoint. */
  tamper?: (name: string, values: Float32Array, shape: number[]) => void;
}

function rng(seed: number): () => number {
  // mulberry32 then Box-Muller: a small, fast, seeded normal generator.
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

function cumulative(total: number, chains: number[]): number[] {
  const s = chains.reduce((a, b) => a + b, 0);
  const out = [0];
  for (const c of chains) out.push(out[out.length - 1]! + (total * c) / s);
  return out;
}

export async function writeSyntheticCheckpoint(path: string, cfg: SyntheticConfig): Promise<void> {
  const dtype = cfg.dtype ?? 'F32';
  const normal = rng(cfg.seed ?? 1);
  const D = cfg.hiddenSize;
  const H = cfg.intermediateSize;
  const hd = D / cfg.heads;
  const V = cfg.vocabSize;
  const n = cfg.chains.length;
  const tensors: TensorToWrite[] = [];
  const encode = (values: Float32Array) => (dtype === 'F32' ? toF32Bytes(values) : dtype === 'F16' ? toF16Bytes(values) : toBF16Bytes(values));
  const add = (name: string, shape: number[], fill: (i: number) => number) => {
    const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = fill(i);
    cfg.tamper?.(name, values, shape);
    tensors.push({ name, dtype, shape, data: encode(values) });
  };
  const cumD = cumulative(D, cfg.chains);
  const cumQ = cumulative(cfg.heads * hd, cfg.chains);
  const cumKv = cumulative(cfg.kvHeads * hd, cfg.chains);
  const cumH = cumulative(H, cfg.chains);
  const chainLinear = (name: string, outCum: number[], inCum: number[]) => {
    const dIn = inCum[n]!;
    const std = 1 / Math.sqrt(dIn);
    if (n === 1 || cfg.wholeForm) {
      const dOut = outCum[n]!;
      add(`${name}.weight`, [dOut, dIn], (i) => {
        const r = Math.floor(i / dIn), c = i % dIn;
        let chain = 0;
        while (r >= outCum[chain + 1]!) chain++;
        return c < inCum[chain + 1]! ? normal() * std : 0;
      });
      return;
    }
    for (let i = 0; i < n; i++) add(`${name}.chains.${i}.weight`, [outCum[i + 1]! - outCum[i]!, inCum[i + 1]!], () => normal() * std);
  };
  add('model.embed_tokens.weight', [V, D], () => normal());
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}.`;
    add(p + 'input_layernorm.weight', [D], () => 1 + 0.1 * normal());
    add(p + 'post_attention_layernorm.weight', [D], () => 1 + 0.1 * normal());
    chainLinear(p + 'self_attn.q_proj', cumQ, cumD);
    if (cfg.kvSharing) {
      add(p + 'self_attn.k_proj.weight', [cfg.kvHeads * hd, cumD[1]!], () => normal() / Math.sqrt(cumD[1]!));
      add(p + 'self_attn.v_proj.weight', [cfg.kvHeads * hd, cumD[1]!], () => normal() / Math.sqrt(cumD[1]!));
    } else {
      chainLinear(p + 'self_attn.k_proj', cumKv, cumD);
      chainLinear(p + 'self_attn.v_proj', cumKv, cumD);
    }
    chainLinear(p + 'self_attn.o_proj', cumD, cumQ);
    chainLinear(p + 'mlp.gate_proj', cumH, cumD);
    chainLinear(p + 'mlp.up_proj', cumH, cumD);
    chainLinear(p + 'mlp.down_proj', cumD, cumH);
  }
  add('model.norm.weight', [D], () => 1 + 0.1 * normal());
  if (!cfg.tied) add('lm_head.weight', [V, D], () => normal() / Math.sqrt(D));
  const config = {
    model_type: n === 1 ? 'llama' : 'colm',
    hidden_size: D,
    intermediate_size: H,
    num_hidden_layers: cfg.layers,
    num_attention_heads: cfg.heads,
    num_key_value_heads: cfg.kvHeads,
    vocab_size: V,
    chains: cfg.chains,
    kv_sharing: cfg.kvSharing ?? false,
    tie_word_embeddings: cfg.tied ?? false,
    max_position_embeddings: cfg.maxPositionEmbeddings ?? 4096,
    bos_token_id: 296,
    eos_token_id: 297,
  };
  await writeSafetensors(path, tensors, {
    'colm.config': JSON.stringify(config),
    'colm.tokenizer': cfg.tokenizerJson,
  });
}
