// How many parameters each sub-model uses: what the UI shows next to a chain count, and a cross-check
// for the trainer. Counts the stored blocks of the block lower-triangular weights (the zeros a whole
// tensor keeps outside the mask are not parameters).

import { chainWidths } from './chain-widths.js';
import type { ColmConfig } from './types.js';

/** Parameters of the first k row-blocks of a chain linear: block i is out[i] x cumIn[i+1]. */
function chainLinearBlocks(outWidths: number[], cumIn: number[], k: number): number {
  let count = 0;
  for (let i = 0; i < k; i++) count += (outWidths[i] ?? 0) * (cumIn[i + 1] ?? 0);
  return count;
}

/** Entry k-1 is the parameter count of sub-model k (chains 1..k), for k = 1..n. */
export function parameterCounts(config: ColmConfig): number[] {
  const widths = chainWidths(config);
  const { headDim, vocabSize } = config;
  const qOut = widths.heads.map((h) => h * headDim);
  const cumAttention = widths.cumHeads.map((h) => h * headDim);
  const counts: number[] = [];
  for (let k = 1; k <= config.chains.length; k++) {
    const dk = widths.cumHidden[k] ?? 0;
    let perLayer = 2 * dk; // input_layernorm and post_attention_layernorm, first d_k entries
    perLayer += chainLinearBlocks(qOut, widths.cumHidden, k);
    if (config.kvSharing) {
      // Air: k_proj and v_proj are dense [h_kv*head_dim, D_1] and every sub-model uses all of them.
      perLayer += 2 * config.numKeyValueHeads * headDim * (widths.hidden[0] ?? 0);
    } else {
      const kvOut = widths.kvHeads.map((h) => h * headDim);
      perLayer += 2 * chainLinearBlocks(kvOut, widths.cumHidden, k);
    }
    perLayer += chainLinearBlocks(widths.hidden, cumAttention, k); // o_proj
    perLayer += 2 * chainLinearBlocks(widths.ffn, widths.cumHidden, k); // gate_proj, up_proj
    perLayer += chainLinearBlocks(widths.hidden, widths.cumFfn, k); // down_proj
    // FORMAT.md 1.1: sub-model k uses the first cum_k entries of each bias; qk-norm is per head.
    const kvBias = config.kvSharing ? config.numKeyValueHeads * headDim : (widths.cumKvHeads[k] ?? 0) * headDim;
    if (config.qkvBias) perLayer += (cumAttention[k] ?? 0) + 2 * kvBias;
    if (config.oBias) perLayer += dk;
    if (config.mlpBias) perLayer += 2 * (widths.cumFfn[k] ?? 0) + dk;
    if (config.qkNorm) perLayer += 2 * headDim;
    const embedding = vocabSize * dk;
    const finalNorm = dk;
    const lmHead = config.tieWordEmbeddings ? 0 : vocabSize * dk;
    counts.push(embedding + config.numHiddenLayers * perLayer + finalNorm + lmHead);
  }
  return counts;
}

/** Parameters of the full model as stored per chain: the count of sub-model n. */
export function totalStoredParameters(config: ColmConfig): number {
  const counts = parameterCounts(config);
  return counts[counts.length - 1] ?? 0;
}
