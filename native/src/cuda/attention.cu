// Causal attention over the BF16 KV cache, split over positions (flash-decoding): each thread
// block takes one (query position, query head, split of its keys), keeps an online softmax per
// warp (running max, sum, output), merges its warps, and writes a partial; a second kernel merges
// the splits. Decode and the simple prefill path share it (the tiled causal prefill kernel is
// next-session work). Mirrors attention.cpp: score = (q . k) / sqrt(head_dim), softmax over the
// visible keys (p-W+1..p with a sliding window), output = P V.
#include <cfloat>

#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

constexpr int kWarps = 4;
constexpr int kMaxDimsPerLane = 8;  // head_dim <= 256

__device__ __forceinline__ int32_t first_visible(int32_t window, int32_t p) {
  return window > 0 && p + 1 > window ? p + 1 - window : 0;
}

// ws layout per (t, j, split): [m, l, acc[head_dim]]
__global__ void __launch_bounds__(kWarps * 32) attention_split_kernel(AttentionArgs a, float* ws, int32_t splits,
                                                                      int32_t split_len) {
  const int32_t j = blockIdx.x, t = blockIdx.y, split = blockIdx.z;
  const int32_t hd = a.head_dim, lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  const int32_t p = a.pos0 + t;
  const int32_t first = first_visible(a.window, p);
  const int32_t k_begin = first + split * split_len;
  const int32_t k_end = min(p + 1, k_begin + split_len);
  const int32_t kv_head = a.tiled_kv_map ? j % a.num_kv_heads : j / a.group;
  const float scale = 1.0f / sqrtf(float(hd));

  float q[kMaxDimsPerLane], acc[kMaxDimsPerLane];
  const float* qr = a.q + t * a.q_stride + int64_t(j) * hd;
#pragma unroll
  for (int i = 0; i < kMaxDimsPerLane; ++i) {
    const int d = lane + 32 * i;
    q[i] = d < hd ? qr[d] : 0.0f;
    acc[i] = 0.0f;
  }
  float m = -FLT_MAX, l = 0.0f;
  bool any = false;
  for (int32_t key = k_begin + warp; key < k_end; key += kWarps) {
    const uint16_t* kr = a.k_cache + int64_t(key) * a.kv_stride + int64_t(kv_head) * hd;
    float dot = 0.0f;
#pragma unroll
    for (int i = 0; i < kMaxDimsPerLane; ++i) {
      const int d = lane + 32 * i;
      if (d < hd) dot += q[i] * bf16_bits_to_float(kr[d]);
    }
    const float sc = warp_sum(dot) * scale;
    const float m_new = fmaxf(m, sc);
    const float corr = any ? expf(m - m_new) : 0.0f;
    const float pr = expf(sc - m_new);
    l = l * corr + pr;
    const uint16_t* vr = a.v_cache + int64_t(key) * a.kv_stride + int64_t(kv_head) * hd;
#pragma unroll
    for (int i = 0; i < kMaxDimsPerLane; ++i) {
      const int d = lane + 32 * i;
      acc[i] = acc[i] * corr + (d < hd ? pr * bf16_bits_to_float(vr[d]) : 0.0f);
    }
    m = m_new;
    any = true;
  }
  // Merge the warps.
  __shared__ float sm[kWarps], sl[kWarps];
  __shared__ float sacc[kWarps][32 * kMaxDimsPerLane];
  if (lane == 0) {
    sm[warp] = any ? m : -FLT_MAX;
    sl[warp] = any ? l : 0.0f;
  }
#pragma unroll
  for (int i = 0; i < kMaxDimsPerLane; ++i) sacc[warp][lane + 32 * i] = acc[i];
  __syncthreads();
  float M = -FLT_MAX;
  for (int w = 0; w < kWarps; ++w)
    if (sl[w] > 0.0f) M = fmaxf(M, sm[w]);
  float* out = ws + ((int64_t(t) * a.n_q + j) * splits + split) * (hd + 2);
  float L = 0.0f;
  for (int w = 0; w < kWarps; ++w)
    if (sl[w] > 0.0f) L += sl[w] * expf(sm[w] - M);
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float o = 0.0f;
    for (int w = 0; w < kWarps; ++w)
      if (sl[w] > 0.0f) o += sacc[w][d] * expf(sm[w] - M);
    out[2 + d] = o;
  }
  if (threadIdx.x == 0) {
    out[0] = M;
    out[1] = L;
  }
}

__global__ void attention_merge_kernel(AttentionArgs a, const float* ws, int32_t splits) {
  const int32_t j = blockIdx.x, t = blockIdx.y, hd = a.head_dim;
  const float* part = ws + (int64_t(t) * a.n_q + j) * splits * (hd + 2);
  float M = -FLT_MAX;
  for (int s = 0; s < splits; ++s)
    if (part[s * (hd + 2) + 1] > 0.0f) M = fmaxf(M, part[s * (hd + 2)]);
  float L = 0.0f;
  for (int s = 0; s < splits; ++s) {
    const float* ps = part + s * (hd + 2);
    if (ps[1] > 0.0f) L += ps[1] * expf(ps[0] - M);
  }
  float* out = a.out + t * a.q_stride + int64_t(j) * hd;
  for (int d = threadIdx.x; d < hd; d += blockDim.x) {
    float o = 0.0f;
    for (int s = 0; s < splits; ++s) {
      const float* ps = part + s * (hd + 2);
      if (ps[1] > 0.0f) o += ps[2 + d] * expf(ps[0] - M);
    }
    out[d] = o / L;
  }
}

}  // namespace

void launch_attention(const AttentionArgs& a, float* ws, int64_t ws_floats, cudaStream_t s) {
  // Keys of the last query (the most any query of the call sees), split so that the partials fit
  // the workspace and each split has at least 64 keys.
  const int32_t p_last = a.pos0 + a.T - 1;
  const int32_t keys = a.window > 0 && p_last + 1 > a.window ? a.window : p_last + 1;
  const int64_t per_split = int64_t(a.T) * a.n_q * (a.head_dim + 2);
  int64_t splits = ceil_div(keys, 64);
  if (splits > 1024) splits = 1024;  // (grid z; long contexts get longer splits)
  if (splits > ws_floats / per_split) splits = ws_floats / per_split;
  if (splits < 1) splits = 1;
  const int32_t split_len = int32_t(ceil_div(keys, splits));
  attention_split_kernel<<<dim3(a.n_q, a.T, unsigned(splits)), kWarps * 32, 0, s>>>(a, ws, int32_t(splits), split_len);
  attention_merge_kernel<<<dim3(a.n_q, a.T), 128, 0, s>>>(a, ws, int32_t(splits));
}

}  // namespace colm_cuda
