// What a context costs in KV cache memory, before it is chosen: the rule of
// app/engine/context-plan.ts (kvCacheBytes), over the shape the loaded model reports.
import type { KvCacheInfo } from '../bridge/types.js';

/** Rows a sliding-window layer keeps beyond its window (native/src/session.cpp). */
const RING_CHUNK = 256;

export function kvCacheBytes(shape: KvCacheInfo, context: number): number {
  const ringRows = shape.window === null ? context : Math.min(context, shape.window + RING_CHUNK);
  return shape.rowBytes * (shape.fullLayers * context + shape.windowedLayers * ringRows);
}
