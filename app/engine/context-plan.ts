// How many positions a session holds, and what they cost. The KV cache holds, for each layer, K
// and V rows of (all KV heads) x head_dim values in the session's KV type (kv-type.ts: 4 bytes a
// value in f32, 2 in bf16 and f16, head_dim + 2 x ceil(head_dim / 32) bytes a head in q8_0). A layer with full attention keeps
// one row per position; a sliding-window layer keeps a ring of min(context, W + 256) rows
// (native/src/session.cpp: the window plus one forward call's chunk). Plain CoLM and CoLM-Air
// cache the same num_key_value_heads in total (plain: split over the chains; Air: all chain 1's).
//
// The default context, when none is asked for, is
//   max(min(256, limit), min(limit, fit, 8192))
// where limit is the model's max_position_embeddings (4096 when its config has none) and fit the
// longest context (a multiple of 256) whose KV cache takes at most half of what is free once the
// weights are counted: (free memory - mapped weight bytes) / 2. So a model gets all it allows
// (4096 or more when it allows that and the memory holds it), and never fewer than 256 positions.
// The cap of 8192 (models with full-attention layers): the session allocates (and zeroes) its whole cache when it starts, so a 128k
// default would take many GiB a chat may never use; more is one --context N (or setting) away.
// A context above max_position_embeddings is refused: RoPE was never trained past it.
import { freemem } from 'node:os';

import type { ColmConfig } from '../checkpoint/types.js';
import { DEFAULT_KV_TYPE, kvHeadBytes, type KvType } from './kv-type.js';

/** Rows a sliding-window layer keeps beyond its window: one forward call's positions. */
export const RING_CHUNK = 256;
/** The context a config without max_position_embeddings gets by default. */
export const FALLBACK_CONTEXT = 4096;
/** The longest default context (see the cap above). */
export const MAX_DEFAULT_CONTEXT = 8192;
/** The shortest default context (unless the model allows fewer). */
export const MIN_DEFAULT_CONTEXT = 256;

/** What sizes a KV cache, as plain data (the UI gets it in ModelInfo to price a context). */
export interface KvCacheShape {
  fullLayers: number; // layers that keep a row per position
  windowedLayers: number; // layers that keep a ring of min(context, window + 256) rows
  window: number | null;
  kvType: KvType; // the element type rowBytes is priced in
  kvHeads: number; // KV heads of a row (all chains)
  headDim: number;
  rowBytes: number; // K and V of one position in one layer: 2 x kv heads x kvHeadBytes(kvType, head_dim)
}

export function kvCacheShape(
  config: Pick<ColmConfig, 'numHiddenLayers' | 'numKeyValueHeads' | 'headDim' | 'slidingWindow' | 'slidingWindowLayers'>,
  kvType: KvType = DEFAULT_KV_TYPE,
): KvCacheShape {
  const windowed = config.slidingWindow === null ? 0 : config.slidingWindowLayers.filter(Boolean).length;
  return {
    fullLayers: config.numHiddenLayers - windowed,
    windowedLayers: windowed,
    window: windowed > 0 ? config.slidingWindow : null,
    kvType,
    kvHeads: config.numKeyValueHeads,
    headDim: config.headDim,
    rowBytes: 2 * config.numKeyValueHeads * kvHeadBytes(kvType, config.headDim),
  };
}

/** Bytes of the KV cache of a `context`-position session. */
export function kvCacheBytes(shape: KvCacheShape, context: number): number {
  const ringRows = shape.window === null ? context : Math.min(context, shape.window + RING_CHUNK);
  return shape.rowBytes * (shape.fullLayers * context + shape.windowedLayers * ringRows);
}

/** Bytes the KV cache may take by default: half of the free memory left beside the weights. */
export function memoryBudget(freeBytes: number, mappedBytes: number): number {
  return Math.max(0, (freeBytes - mappedBytes) / 2);
}

/** The default context (see the rule at the top) for a cache of `shape` within `budgetBytes`. */
export function defaultContext(shape: KvCacheShape, limit: number | null, budgetBytes: number): number {
  // The cap only matters where memory grows with the context (full-attention layers).
  const max = Math.min(limit ?? FALLBACK_CONTEXT, shape.fullLayers > 0 ? MAX_DEFAULT_CONTEXT : Infinity);
  // Longest context up to max whose cache fits: bytes never fall as the context grows.
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (kvCacheBytes(shape, mid) <= budgetBytes) lo = mid;
    else hi = mid - 1;
  }
  const fit = lo >= max ? max : lo - (lo % MIN_DEFAULT_CONTEXT);
  return Math.max(Math.min(MIN_DEFAULT_CONTEXT, limit ?? FALLBACK_CONTEXT), fit);
}

export interface ContextPlan {
  context: number; // positions the session holds
  kvBytes: number; // what its KV cache takes
  limit: number | null; // max_position_embeddings
  shape: KvCacheShape;
}

/**
 * The context a session gets: `requested` when given (refused above the model's limit), else the
 * default for this machine's free memory now.
 */
export function planContext(config: ColmConfig, mappedBytes: number, requested?: number, freeBytes = freemem(), kvType: KvType = DEFAULT_KV_TYPE): ContextPlan {
  const shape = kvCacheShape(config, kvType);
  const limit = config.maxPositionEmbeddings;
  if (requested !== undefined) checkContext(requested, limit);
  const context = requested ?? defaultContext(shape, limit, memoryBudget(freeBytes, mappedBytes));
  return { context, kvBytes: kvCacheBytes(shape, context), limit, shape };
}

/** Throws when `context` is not a positive integer or is above the model's limit. */
export function checkContext(context: number, limit: number | null): void {
  if (!Number.isInteger(context) || context < 1) throw new RangeError(`the context must be a positive integer, got ${context}`);
  if (limit !== null && context > limit) {
    throw new RangeError(`a context of ${context} positions is above this model's limit of ${limit} (max_position_embeddings)`);
  }
}
