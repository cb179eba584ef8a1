// What a context costs in KV cache memory, before it is chosen: the rule of
// app/engine/context-plan.ts (kvCacheBytes), over the shape the loaded model reports, priced in
// a KV cache type (app/engine/kv-type.ts: kvHeadBytes).
import type { KvCacheInfo, KvType } from '../bridge/types.js';

/** Rows a sliding-window layer keeps beyond its window (native/src/session.cpp). */
const RING_CHUNK = 256;

/** Bytes one head of `headDim` values takes in a cache row of type `type`. */
export function kvHeadBytes(type: KvType, headDim: number): number {
  if (type === 'f32') return 4 * headDim;
  if (type === 'q8_0') return headDim + 2 * Math.ceil(headDim / 32); // int8 values, an F16 scale per 32
  return 2 * headDim;
}

/** Bytes of the KV cache of a `context`-position session, in `type` (absent: the type the shape was priced in). */
export function kvCacheBytes(shape: KvCacheInfo, context: number, type: KvType = shape.kvType): number {
  const rowBytes = type === shape.kvType ? shape.rowBytes : 2 * shape.kvHeads * kvHeadBytes(type, shape.headDim);
  const ringRows = shape.window === null ? context : Math.min(context, shape.window + RING_CHUNK);
  return rowBytes * (shape.fullLayers * context + shape.windowedLayers * ringRows);
}
