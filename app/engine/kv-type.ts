// The KV cache's element types (native/include/colm/kv_cache.h): float32, or stored narrow and
// widened in registers by the attention kernels. BF16 is the default: half the memory of float32
// for an error far below the model's own (docs/BENCHMARKS.md, KV cache types). Q8_0 keeps int8
// values with one F16 scale per block of 32 values of a head (a head shorter than 32, or its
// last part, is one shorter block): 0.27 of float32 at 64-wide heads.
export const KV_TYPES = ['f32', 'bf16', 'f16', 'q8_0'] as const;
export type KvType = (typeof KV_TYPES)[number];
export const DEFAULT_KV_TYPE: KvType = 'bf16';

export function isKvType(value: unknown): value is KvType {
  return typeof value === 'string' && (KV_TYPES as readonly string[]).includes(value);
}

/** Bytes one head of `headDim` values takes in a cache row of type `type`. */
export function kvHeadBytes(type: KvType, headDim: number): number {
  switch (type) {
    case 'f32':
      return 4 * headDim;
    case 'bf16':
    case 'f16':
      return 2 * headDim;
    case 'q8_0':
      return headDim + 2 * Math.ceil(headDim / 32);
  }
}
