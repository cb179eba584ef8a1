// Causal attention (optionally within a sliding window) of T new positions (pos0 .. pos0+T-1) over the KV cache, for the query
// heads of sub-model k. Two paths: one query row at a time for decode, its keys split into
// chunks that threads take apart and that are merged after (flash-decoding); and, for prefill,
// blocks of queries against tiles of keys with an online softmax (flash attention), scores
// Q K^T and output P V as small GEMMs of the matmul kernels, exp vectorized (kernels.h).
#pragma once
#include <algorithm>
#include <cstdint>

#include "colm/kv_cache.h"
#include "colm/thread_pool.h"

namespace colm {

struct AttentionArgs {
  const float* q;        // (T, q_stride): query heads of the new positions, RoPE applied
  int64_t q_stride;
  // The session's K and V caches (any KvType); this layer's rows start at row0. Attention reads
  // a head of a run of rows as a WeightView and widens it in the kernels.
  const KvCache* k_cache;
  const KvCache* v_cache;
  int64_t row0;
  float* out;            // (T, q_stride): attention output per query head
  int32_t T, pos0;
  int32_t n_query_heads;  // heads of sub-model k
  int32_t head_dim;
  // KV head of query head j: Air tiles (j mod h_kv), plain groups (j / group).
  bool tiled_kv_map;
  int32_t num_kv_heads;
  int32_t group;
  // Sliding window W (0: none): the query at position p sees keys p-W+1..p only.
  int32_t window = 0;
  // Cache rows: 0, position p in row p (the old path, taken by every layer without a ring); else
  // a ring of `ring` rows (>= W + T - 1), position p in row p mod ring. A window that wraps is read
  // as two runs of rows; every score and output keeps the one-run bits (see weighted_row_sum).
  int32_t ring = 0;
};

// Row of position p in the cache.
inline int64_t cache_row(const AttentionArgs& a, int32_t p) { return a.ring > 0 ? p % a.ring : p; }

// Keys first..first+n-1 as at most two runs of consecutive cache rows: n1 keys from row r1, then
// n - n1 from row 0 (when the ring wraps).
struct KeyRuns {
  int64_t r1;
  int32_t n1;
};
inline KeyRuns key_runs(const AttentionArgs& a, int32_t first, int32_t n) {
  const int64_t r1 = cache_row(a, first);
  return {r1, a.ring > 0 ? int32_t(std::min<int64_t>(n, a.ring - r1)) : n};
}

// The first key position the query at position p may see.
inline int32_t first_visible_key(const AttentionArgs& a, int32_t p) {
  return a.window > 0 && p + 1 > a.window ? p + 1 - a.window : 0;
}

inline int32_t kv_head_of(const AttentionArgs& a, int32_t j) {
  return a.tiled_kv_map ? j % a.num_kv_heads : j / a.group;
}

void attention(const AttentionArgs& a, ThreadPool& pool);

}  // namespace colm
