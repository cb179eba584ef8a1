#include "train_attention.h"

#include <algorithm>

#include "train_gemm.h"
#include "train_ops.h"

namespace colm {
namespace train {

namespace {
constexpr int32_t kBlock = 64;  // query rows per block product
}  // namespace

void attention_head_forward(const AttentionHead& h, float* out, int64_t ldo, float* lse, std::vector<float>& scratch) {
  const int32_t T = h.T;
  if (scratch.size() < size_t(T) * T) scratch.resize(size_t(T) * T);
  float* S = scratch.data();  // (T, T): row t holds positions [0, t] (zeros after, up to T)
  for (int32_t t0 = 0; t0 < T; t0 += kBlock) {
    const int32_t t1 = std::min(T, t0 + kBlock);
    // S[t0:t1, 0:t1] = Q K^T
    gemm_serial({{{h.q + int64_t(t0) * h.ldq, h.ldq, 1, h.kT, T, h.hd}}, S + int64_t(t0) * T, T, t1 - t0, t1, false});
    for (int32_t t = t0; t < t1; ++t) {
      float* row = S + int64_t(t) * T;
      lse[t] = softmax_row(row, t + 1, h.scale);
      std::fill(row + t + 1, row + T, 0.0f);
    }
    // out[t0:t1] = P[t0:t1, 0:t1] V[0:t1]
    gemm_serial({{{S + int64_t(t0) * T, T, 1, h.v, h.ldkv, t1}}, out + int64_t(t0) * ldo, ldo, t1 - t0, h.hd, false});
  }
}

void attention_head_backward(const AttentionHead& h, const float* o, int64_t ldo, const float* d_o, int64_t lddo,
                             const float* lse, float* dq, int64_t lddq, float* dk, float* dv,
                             std::vector<float>& scratch) {
  const int32_t T = h.T;
  if (scratch.size() < 2 * size_t(T) * T) scratch.resize(2 * size_t(T) * T);
  float* P = scratch.data();                  // (T, T) probabilities, zero above the diagonal
  float* dS = scratch.data() + size_t(T) * T;  // (T, T) gradient of the scaled scores
  for (int32_t t0 = 0; t0 < T; t0 += kBlock) {
    const int32_t t1 = std::min(T, t0 + kBlock);
    const int32_t m = t1 - t0;
    gemm_serial({{{h.q + int64_t(t0) * h.ldq, h.ldq, 1, h.kT, T, h.hd}}, P + int64_t(t0) * T, T, m, t1, false});
    gemm_serial({{{d_o + int64_t(t0) * lddo, lddo, 1, h.vT, T, h.hd}}, dS + int64_t(t0) * T, T, m, t1, false});
    for (int32_t t = t0; t < t1; ++t) {
      float* p = P + int64_t(t) * T;
      float* ds = dS + int64_t(t) * T;
      float delta = 0.0f;  // sum over d of dO[t, d] O[t, d]
      for (int32_t d = 0; d < h.hd; ++d) delta += d_o[int64_t(t) * lddo + d] * o[int64_t(t) * ldo + d];
      softmax_backward_row(p, ds, t + 1, h.scale, lse[t], delta);
      std::fill(p + t + 1, p + T, 0.0f);
      std::fill(ds + t + 1, ds + T, 0.0f);
    }
    // dq[t0:t1] = dS[t0:t1, 0:t1] K[0:t1]
    gemm_serial({{{dS + int64_t(t0) * T, T, 1, h.k, h.ldkv, t1}}, dq + int64_t(t0) * lddq, lddq, m, h.hd, false});
  }
  // Keys and values of block [p0, p1) are read by the positions t >= p0.
  for (int32_t p0 = 0; p0 < T; p0 += kBlock) {
    const int32_t p1 = std::min(T, p0 + kBlock);
    const int64_t off = int64_t(p0) * T + p0;
    // dk[p] = sum over t >= p0 of dS[t, p] q[t];  dv[p] = sum over t >= p0 of P[t, p] dO[t]
    gemm_serial({{{dS + off, 1, T, h.q + int64_t(p0) * h.ldq, h.ldq, T - p0}}, dk + int64_t(p0) * h.hd, h.hd, p1 - p0,
                 h.hd, false});
    gemm_serial({{{P + off, 1, T, d_o + int64_t(p0) * lddo, lddo, T - p0}}, dv + int64_t(p0) * h.hd, h.hd, p1 - p0,
                 h.hd, false});
  }
}

}  // namespace train
}  // namespace colm
