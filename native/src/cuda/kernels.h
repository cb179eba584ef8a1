// Launchers of the kernels, one .cu file per concern; all enqueue on `s` and return at once.
// Shapes: activations are row-major (T, width) with the full width as the stride, as in the CPU
// engine's Session::Scratch (native/src/session.cpp).
#pragma once
#include "common.h"

namespace colm_cuda {

// embed.cu: x[t, :dk] = embedding row tokens[t], first dk columns, widened (Q8_0: q * scale).
void launch_embed(const DevWeight& embed, const int32_t* tokens, int32_t T, int32_t dk, float* x, int64_t ldx,
                  cudaStream_t s);

// norm.cu: per chain i < k of each of T rows: (delta != nullptr) x[:d_k] += delta[:d_k], then
// out = x / rms(chain slice) * w (FORMAT.md's per-chain RMSNorm; sum of squares in double).
struct ChainCum {
  int32_t v[COLM_CUDA_MAX_CHAINS + 1];
};
void launch_add_rmsnorm(float* x, const float* delta, const float* w, const ChainCum& cum, int32_t k, float eps,
                        float* out, int32_t T, int64_t ld, cudaStream_t s);

// matmul.cu: y[t, r] = sum over c < cols(r) of x[t, c] * W[r, c] (+ bias[r]) for the rows of the
// blocks in `L` (each its own K-extent), t < T. T <= 8: the decode GEMV (a warp per row, 16-byte
// weight loads, every token of the call reuses the loaded weights); else the tiled SIMT GEMM.
void launch_linear(const LinearArgs& L, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T, cudaStream_t s);

// rope.cu: cos/sin tables (T, head_dim/2) of positions pos0.. (angles in double, as rope.cpp).
void launch_rope_tables(const float* inv_freq, int32_t half, int32_t pos0, int32_t T, float* cos_t, float* sin_t,
                        cudaStream_t s);
// rope.cu: the n_q query heads of q (in place) and n_kv heads of k_new get the optional per-head
// RMSNorm (qk-norm) and RoPE; K and V (v_new, no rotation) of those heads are written as BF16 to
// cache rows pos0.. (row stride kv_stride elements).
struct RopeKvArgs {
  float* q;
  int64_t q_stride;
  const float* k_new;
  const float* v_new;
  int64_t kv_new_stride;
  uint16_t* k_cache;  // BF16 bits: the layer's rows 0..
  uint16_t* v_cache;
  int64_t kv_stride;
  const float* cos_t;
  const float* sin_t;
  const float* q_norm;  // (head_dim) or nullptr
  const float* k_norm;
  float eps;
  int32_t T, pos0, n_q, n_kv, head_dim;
};
void launch_rope_kv(const RopeKvArgs& a, cudaStream_t s);

// attention.cu: causal attention (optionally windowed) of T queries at pos0.. over the BF16
// cache, split over positions (flash-decoding) with a merge. KV head of query head j: Air
// j mod num_kv_heads, plain j / group. `ws`/`ws_floats`: the partials' workspace.
struct AttentionArgs {
  const float* q;
  int64_t q_stride;
  const uint16_t* k_cache;  // BF16 bits
  const uint16_t* v_cache;
  int64_t kv_stride;
  float* out;
  int32_t T, pos0, n_q, head_dim;
  int32_t tiled_kv_map, num_kv_heads, group;
  int32_t window;
};
void launch_attention(const AttentionArgs& a, float* ws, int64_t ws_floats, cudaStream_t s);

// swiglu.cu: g[t, i] = silu(g[t, i]) * u[t, i] for i < n.
void launch_swiglu(float* g, const float* u, int32_t n, int32_t T, int64_t ld, cudaStream_t s);

}  // namespace colm_cuda
