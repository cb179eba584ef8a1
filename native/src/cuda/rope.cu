// RoPE (Hugging Face rotate-half: dimension i pairs with i + head_dim/2) with the optional
// qwen3 per-head RMSNorm before it, and the K/V cache write in BF16. Mirrors rope.cpp and the
// order of session.cpp: projection (+ bias) -> qk-norm -> RoPE -> cache.
#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

__global__ void rope_tables_kernel(const float* inv_freq, int32_t half, int32_t pos0, float* cos_t, float* sin_t) {
  const int32_t t = blockIdx.x;
  for (int32_t i = threadIdx.x; i < half; i += blockDim.x) {
    const double angle = double(pos0 + t) * double(inv_freq[i]);  // rope_angles: double angle
    cos_t[t * half + i] = float(cos(angle));
    sin_t[t * half + i] = float(sin(angle));
  }
}

// One thread block per (position, head); heads 0..n_q-1 are query heads, then n_kv key heads,
// then n_kv value heads. A thread owns the pair (i, i + half). head_dim <= 256.
__global__ void rope_kv_kernel(RopeKvArgs a) {
  const int32_t t = blockIdx.x, h = blockIdx.y, i = threadIdx.x;
  const int32_t hd = a.head_dim, half = hd / 2;
  const bool is_q = h < a.n_q, is_k = !is_q && h < a.n_q + a.n_kv;
  const int32_t head = is_q ? h : is_k ? h - a.n_q : h - a.n_q - a.n_kv;
  const float* src = is_q ? a.q + t * a.q_stride + int64_t(head) * hd
                          : (is_k ? a.k_new : a.v_new) + t * a.kv_new_stride + int64_t(head) * hd;
  float x0 = 0.0f, x1 = 0.0f;
  if (i < half) {
    x0 = src[i];
    x1 = src[i + half];
  }
  const float* norm_w = is_q ? a.q_norm : is_k ? a.k_norm : nullptr;
  if (norm_w) {
    __shared__ double part[4];
    double sq = i < half ? double(x0) * x0 + double(x1) * x1 : 0.0;
    sq = warp_sum_d(sq);
    if ((i & 31) == 0) part[i >> 5] = sq;
    __syncthreads();
    double sum = 0.0;
    for (int w = 0; w < int((blockDim.x + 31) / 32); ++w) sum += part[w];
    const float scale = float(1.0 / sqrt(sum / hd + double(a.eps)));
    x0 = x0 * scale * norm_w[i < half ? i : 0];
    x1 = x1 * scale * norm_w[i < half ? i + half : 0];
  }
  if (i >= half) return;
  if (is_q || is_k) {
    const float c = a.cos_t[t * half + i], s = a.sin_t[t * half + i];
    const float r0 = x0 * c - x1 * s, r1 = x1 * c + x0 * s;
    x0 = r0;
    x1 = r1;
  }
  if (is_q) {
    float* dst = a.q + t * a.q_stride + int64_t(head) * hd;
    dst[i] = x0;
    dst[i + half] = x1;
    return;
  }
  uint16_t* cache = (is_k ? a.k_cache : a.v_cache) + int64_t(a.pos0 + t) * a.kv_stride + int64_t(head) * hd;
  cache[i] = __bfloat16_as_ushort(__float2bfloat16_rn(x0));
  cache[i + half] = __bfloat16_as_ushort(__float2bfloat16_rn(x1));
}

}  // namespace

void launch_rope_tables(const float* inv_freq, int32_t half, int32_t pos0, int32_t T, float* cos_t, float* sin_t,
                        cudaStream_t s) {
  rope_tables_kernel<<<T, 128, 0, s>>>(inv_freq, half, pos0, cos_t, sin_t);
}

void launch_rope_kv(const RopeKvArgs& a, cudaStream_t s) {
  const int threads = ((a.head_dim / 2 + 31) / 32) * 32;
  rope_kv_kernel<<<dim3(a.T, a.n_q + 2 * a.n_kv), threads, 0, s>>>(a);
}

}  // namespace colm_cuda
