// Causal attention of T new positions (pos0 .. pos0+T-1) over the KV cache, for the query
// heads of sub-model k. Two paths: one query row at a time for decode, and blocks of queries
// through the matmul kernels for prefill (scores Q K^T and output P V as small GEMMs).
#pragma once
#include <cstdint>

#include "colm/thread_pool.h"

namespace colm {

struct AttentionArgs {
  const float* q;        // (T, q_stride): query heads of the new positions, RoPE applied
  int64_t q_stride;
  const float* k_cache;  // (positions, kv_stride) of this layer
  const float* v_cache;
  int64_t kv_stride;
  float* out;            // (T, q_stride): attention output per query head
  int32_t T, pos0;
  int32_t n_query_heads;  // heads of sub-model k
  int32_t head_dim;
  // KV head of query head j: Air tiles (j mod h_kv), plain groups (j / group).
  bool tiled_kv_map;
  int32_t num_kv_heads;
  int32_t group;
};

inline int32_t kv_head_of(const AttentionArgs& a, int32_t j) {
  return a.tiled_kv_map ? j % a.num_kv_heads : j / a.group;
}

void attention(const AttentionArgs& a, ThreadPool& pool);

}  // namespace colm
