// The grown config: chains C + [c], every size grown by the new chain's share, and every FORMAT.md
// rule checked before a single weight is read. With S = sum(C), the old chain i keeps its widths
// D*ci/S (the ratio of the sizes and of the chains grow together), so the new chain adds
// c*D/S hidden features, c*h/S query heads, c*H/S FFN features and, for plain CoLM, c*h_kv/S KV
// heads. CoLM-Air keeps h_kv (K and V come from chain 1) and needs the new head count to be a
// multiple of it, so that the tiled map j mod h_kv stays the same for every chain.

import { CheckpointError, chainWidths, parseConfig } from '../../checkpoint/index.js';
import type { ColmConfig, DType } from '../../checkpoint/index.js';
import { GrowError } from './grow-error.js';

const TORCH_DTYPE: Readonly<Record<DType, string>> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

interface Problem {
  key: string;
  rule: string;
}

function chainSum(chains: number[]): number {
  return chains.reduce((sum, c) => sum + c, 0);
}

/** The first FORMAT.md rule a new chain of this ratio would break, or null when it fits. */
function growthProblem(old: ColmConfig, ratio: number): Problem | null {
  const S = chainSum(old.chains);
  const shares: [string, number][] = [
    ['hidden_size', old.hiddenSize],
    ['num_attention_heads', old.numAttentionHeads],
    ['intermediate_size', old.intermediateSize],
  ];
  // Plain CoLM splits the KV heads by chain too (with h_kv = h this is the head rule again).
  if (!old.kvSharing) shares.push(['num_key_value_heads', old.numKeyValueHeads]);
  for (const [key, total] of shares) {
    if ((total * ratio) % S !== 0) {
      return { key, rule: `the new chain's share ${key}*${ratio}/sum(chains) = ${total}*${ratio}/${S} is not a whole number (FORMAT.md: every chain width must be whole)` };
    }
  }
  if (old.kvSharing) {
    const heads = (old.numAttentionHeads * ratio) / S;
    if (heads % old.numKeyValueHeads !== 0) {
      return {
        key: 'num_key_value_heads',
        rule: `with kv_sharing the new chain's ${heads} query heads must be a multiple of num_key_value_heads ${old.numKeyValueHeads} (FORMAT.md, CoLM-Air)`,
      };
    }
  }
  return null;
}

/** The smallest ratio that fits; S*h_kv always does, so the search is short. */
export function smallestFittingRatio(old: ColmConfig): number {
  const bound = chainSum(old.chains) * Math.max(1, old.numKeyValueHeads);
  for (let ratio = 1; ratio < bound; ratio++) if (growthProblem(old, ratio) === null) return ratio;
  return bound;
}

export interface GrownConfig {
  json: Record<string, unknown>; // what goes into colm.config
  config: ColmConfig; // the same, parsed and checked by the loader's own rules
}

/**
 * The config after appending a chain of `ratio`. `raw` is the old config.json object: keys growth
 * does not touch are kept as they were.
 */
/**
 * Parts of FORMAT.md 1.1 that chain expansion does not grow yet (their tensors would not be copied
 * and the grown model would silently differ from its base): refused by name.
 */
function unsupportedPart(old: ColmConfig): Problem | null {
  if (old.qkvBias || old.oBias) return { key: 'attention_bias', rule: 'attention biases (qwen2, or attention_bias) are not grown yet' };
  if (old.mlpBias) return { key: 'mlp_bias', rule: 'FFN biases are not grown yet' };
  if (old.qkNorm) return { key: 'model_type', rule: `the per-head q/k norms of ${old.modelType} are not grown yet` };
  if (old.slidingWindow !== null) return { key: 'sliding_window', rule: 'sliding-window attention is not grown yet' };
  return null;
}

export function growConfig(source: string, raw: Record<string, unknown>, old: ColmConfig, ratio: number, dtype: DType): GrownConfig {
  const unsupported = unsupportedPart(old);
  if (unsupported) throw new GrowError(source, `cannot grow this model: ${unsupported.rule}`, unsupported.key);
  const problem = growthProblem(old, ratio);
  if (problem) {
    const hint = `; the smallest ratio that fits is --add-chain ${smallestFittingRatio(old)}`;
    throw new GrowError(source, `cannot add a chain of ratio ${ratio} to chains [${old.chains.join(', ')}]: ${problem.rule}${hint}`, problem.key);
  }
  const S = chainSum(old.chains);
  const grow = (total: number) => total + (total * ratio) / S;
  const json: Record<string, unknown> = {
    ...raw,
    // A grown Llama is no longer a Llama: per-chain tensors and chains > 1 need a CoLM loader.
    architectures: ['ColmForCausalLM'],
    model_type: 'colm',
    hidden_size: grow(old.hiddenSize),
    intermediate_size: grow(old.intermediateSize),
    num_attention_heads: grow(old.numAttentionHeads),
    num_key_value_heads: old.kvSharing ? old.numKeyValueHeads : grow(old.numKeyValueHeads),
    // Written out so that a config that relied on the default D/h cannot be read another way.
    head_dim: old.headDim,
    chains: [...old.chains, ratio],
    kv_sharing: old.kvSharing,
    torch_dtype: TORCH_DTYPE[dtype],
  };
  let config: ColmConfig;
  try {
    config = parseConfig(json, `${source} (grown config)`);
  } catch (error) {
    if (error instanceof CheckpointError) throw new GrowError(source, `the grown config breaks FORMAT.md: ${error.rule}`, error.key);
    throw error;
  }
  checkOldChainsKept(old, config);
  return { json, config };
}

/** Growth is exact only if every old chain keeps its widths; a failure here is a bug, not bad input. */
function checkOldChainsKept(old: ColmConfig, grown: ColmConfig): void {
  const before = chainWidths(old);
  const after = chainWidths(grown);
  for (const key of ['hidden', 'heads', 'kvHeads', 'ffn'] as const) {
    before[key].forEach((width, i) => {
      if (after[key][i] !== width) throw new Error(`grow: chain ${i} ${key} changed from ${width} to ${after[key][i]}`);
    });
  }
}
