// The tensors a config calls for (FORMAT.md, "Tensors" and its 1.1 parts: biases, qk-norm), as
// specs the checkpoint is matched against.

import type { ChainWidths, ColmConfig } from './types.js';

/** A tensor stored as-is: embedding, norms, lm_head, and Air's dense k_proj/v_proj. */
export interface DenseSpec {
  kind: 'dense';
  name: string;
  shape: number[];
  /**
   * The embedding and LM head of a GGUF (expectedTensors' `q8Embeddings`): float `name`, or a Q8_0
   * pair `X.qweight` (I8, `shape`) + `X.qscale` (F16 or F32, [V, ceil(D / 32)]) with X = name less
   * `.weight` (a GGUF's own Q8_0 kept, docs/FORMAT-Q8.md). Never set for safetensors checkpoints.
   */
  q8Allowed?: boolean;
}

/**
 * A chain linear X: either whole `X.weight` [sum(outWidths), cumIn[n]] or per chain
 * `X.chains.{i}.weight` [outWidths[i], cumIn[i+1]] for every i. When the config has
 * colm_quantization (storage 'q8_0', docs/FORMAT-Q8.md), each of those matrices is instead a pair
 * `.qweight` (I8, same shape) and `.qscale` (F16 or F32, [rows, ceil(cols / 32)]); whole only when n = 1.
 */
export interface ChainLinearSpec {
  kind: 'chain-linear';
  base: string;
  outWidths: number[];
  cumIn: number[];
  storage: 'float' | 'q8_0';
  // FORMAT.md 1.1: a float bias, whole `X.bias` [sum(outWidths)] or per chain `X.chains.{i}.bias`
  // [outWidths[i]], in either form whatever the weight's form (and whatever `storage`).
  bias: boolean;
}

/** lm_head when tied: a stored copy is allowed and left out of the plan. */
export interface IgnoredSpec {
  kind: 'ignored';
  name: string;
}

export type TensorSpec = DenseSpec | ChainLinearSpec | IgnoredSpec;

export interface ExpectedTensorsOptions {
  /** Let the embedding and LM head be Q8_0 pairs (plans the GGUF reader builds, and only those). */
  q8Embeddings?: boolean;
}

export function expectedTensors(config: ColmConfig, widths: ChainWidths, options: ExpectedTensorsOptions = {}): TensorSpec[] {
  const D = config.hiddenSize;
  const V = config.vocabSize;
  const headWidths = widths.heads.map((h) => h * config.headDim);
  const cumHeadWidths = widths.cumHeads.map((h) => h * config.headDim);
  const kvWidth = config.numKeyValueHeads * config.headDim;
  const q8 = options.q8Embeddings === true ? { q8Allowed: true } : {};
  const specs: TensorSpec[] = [{ kind: 'dense', name: 'model.embed_tokens.weight', shape: [V, D], ...q8 }];
  // Quantization touches the chain linears only: embedding, norms, LM head and Air's K/V stay float
  // (but a GGUF's Q8_0 embedding and LM head may stay Q8_0: q8Embeddings).
  // q4_0 / q4_k checkpoints (docs/FORMAT-Q4.md) hold Q4 blocks, found by dtype, or q8_0 pairs.
  const storage = config.quantization === null ? 'float' : 'q8_0';
  const linear = (base: string, outWidths: number[], cumIn: number[], bias: boolean): void => {
    specs.push({ kind: 'chain-linear', base, outWidths, cumIn, storage, bias });
  };
  for (let l = 0; l < config.numHiddenLayers; l++) {
    const layer = `model.layers.${l}`;
    specs.push({ kind: 'dense', name: `${layer}.input_layernorm.weight`, shape: [D] });
    linear(`${layer}.self_attn.q_proj`, headWidths, widths.cumHidden, config.qkvBias);
    for (const kv of ['k_proj', 'v_proj']) {
      if (config.kvSharing) {
        // Air: K and V read chain 1's slice only and are shared by every chain, so they are dense
        // (and so are their biases).
        specs.push({ kind: 'dense', name: `${layer}.self_attn.${kv}.weight`, shape: [kvWidth, widths.hidden[0] ?? 0] });
        if (config.qkvBias) specs.push({ kind: 'dense', name: `${layer}.self_attn.${kv}.bias`, shape: [kvWidth] });
      } else {
        linear(`${layer}.self_attn.${kv}`, widths.kvHeads.map((h) => h * config.headDim), widths.cumHidden, config.qkvBias);
      }
    }
    if (config.qkNorm) {
      // qwen3: one RMSNorm weight shared by every head (and so by every chain).
      specs.push({ kind: 'dense', name: `${layer}.self_attn.q_norm.weight`, shape: [config.headDim] });
      specs.push({ kind: 'dense', name: `${layer}.self_attn.k_norm.weight`, shape: [config.headDim] });
    }
    linear(`${layer}.self_attn.o_proj`, widths.hidden, cumHeadWidths, config.oBias);
    specs.push({ kind: 'dense', name: `${layer}.post_attention_layernorm.weight`, shape: [D] });
    linear(`${layer}.mlp.gate_proj`, widths.ffn, widths.cumHidden, config.mlpBias);
    linear(`${layer}.mlp.up_proj`, widths.ffn, widths.cumHidden, config.mlpBias);
    linear(`${layer}.mlp.down_proj`, widths.hidden, widths.cumFfn, config.mlpBias);
  }
  specs.push({ kind: 'dense', name: 'model.norm.weight', shape: [D] });
  specs.push(config.tieWordEmbeddings ? { kind: 'ignored', name: 'lm_head.weight' } : { kind: 'dense', name: 'lm_head.weight', shape: [V, D], ...q8 });
  return specs;
}
