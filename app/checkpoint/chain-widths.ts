// The widths every chain gets from a validated config (FORMAT.md, "Widths of chain i").
// Only call these on a config that parseConfig accepted: they assume every division is whole.

import type { ChainWidths, ColmConfig } from './types.js';

function prefixSums(values: number[]): number[] {
  const sums = [0];
  for (const value of values) sums.push((sums[sums.length - 1] ?? 0) + value);
  return sums;
}

/** Splits `total` by the chain ratios: chain i gets total*ci/S. */
export function splitByChains(total: number, chains: number[]): number[] {
  const ratioSum = chains.reduce((sum, c) => sum + c, 0);
  return chains.map((c) => (total * c) / ratioSum);
}

export function chainWidths(config: ColmConfig): ChainWidths {
  const hidden = splitByChains(config.hiddenSize, config.chains);
  const heads = splitByChains(config.numAttentionHeads, config.chains);
  const ffn = splitByChains(config.intermediateSize, config.chains);
  // CoLM-Air computes K and V from chain 1 alone, so every KV head belongs to chain 1.
  const kvHeads = config.kvSharing
    ? config.chains.map((_, i) => (i === 0 ? config.numKeyValueHeads : 0))
    : splitByChains(config.numKeyValueHeads, config.chains);
  return {
    hidden,
    heads,
    kvHeads,
    ffn,
    cumHidden: prefixSums(hidden),
    cumHeads: prefixSums(heads),
    cumKvHeads: prefixSums(kvHeads),
    cumFfn: prefixSums(ffn),
  };
}
