// One instruction set's trainer kernels: included once by each train_isa_*.cpp, which is compiled
// for its set and defines, before including this,
//   COLM_TRAIN_ISA    the namespace and table name (scalar, avx2, avx512, neon);
//   and, for a register-tiled GEMM, in namespace colm::train::COLM_TRAIN_ISA:
//     struct Vec { using T; static constexpr int W;  // lanes
//                  zero(), load(p), store(p, v), splat(x), fma(x, b, acc) = x * b + acc, one rounding };
//     constexpr int kMR, kNV;  // the tile: kMR rows x kNV vectors of C in registers
//   or COLM_TRAIN_REFERENCE_GEMM for the plain scalar GEMM.
// Everything here has internal linkage (and no std:: templates are instantiated), so no
// function compiled for a wider set can stand in for another file's copy at link time.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "train_kernels.h"
#include "../simd/vec16.h"

#define COLM_TRAIN_STR2(x) #x
#define COLM_TRAIN_STR(x) COLM_TRAIN_STR2(x)
#define COLM_TRAIN_CAT2(a, b) a##b
#define COLM_TRAIN_CAT(a, b) COLM_TRAIN_CAT2(a, b)

namespace colm {
namespace train {
namespace COLM_TRAIN_ISA {
namespace {

using namespace colm::simd;  // v16 and its helpers (vexp, hsum, ...)

COLM_INLINE int64_t imin(int64_t a, int64_t b) { return a < b ? a : b; }

// ======== the backward pass's GEMM (train_gemm.h) ========

constexpr int64_t kKB = 256;  // k per block: a block of B (kKB rows of one strip) stays in L1

#if defined(COLM_TRAIN_REFERENCE_GEMM)

constexpr int kMR = 0, kNR = 0;

// The reference: each row of C takes A(i, k) B(k, :) for k in order, one fused multiply-add per
// element (std::fma: the tiled sets' FMA instructions round exactly so).
void gemm_block(const KSegment* segs, int32_t n_segs, float* c, int64_t ldc, bool accumulate, int64_t m0, int64_t m1,
                int64_t n0, int64_t n1) {
  for (int64_t i = m0; i < m1; ++i) {
    float* ci = c + i * ldc;
    if (!accumulate)
      for (int64_t j = n0; j < n1; ++j) ci[j] = 0.0f;
    for (int32_t s = 0; s < n_segs; ++s) {
      const KSegment& g = segs[s];
      for (int64_t k = 0; k < g.K; ++k) {
        const float x = g.a[i * g.a_row + k * g.a_col];
        const float* bk = g.b + k * g.ldb;
        for (int64_t j = n0; j < n1; ++j) ci[j] = std::fma(x, bk[j], ci[j]);
      }
    }
  }
}

#else

using VT = Vec::T;
constexpr int kW = Vec::W;
constexpr int kNR = kNV * kW;  // columns of a tile

// One tile: rows [i0, i0 + MR) of C and `ncols` (<= kNR) columns, summing k in [0, K) of one
// segment: A(i, k) = a[k * a_step + i] when TRANS, a[i * a_step + k] otherwise; B row k at
// b + k * ldb (kNR readable floats). With load_c the sum continues from C's values, which
// keeps the order of every element's additions the same however K is cut.
template <int MR, bool TRANS>
COLM_INLINE void tile(const float* a, int64_t a_step, const float* b, int64_t ldb, int64_t K, int64_t i0, float* c,
                      int64_t ldc, int ncols, bool load_c) {
  VT acc[MR][kNV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* ci = c + (i0 + i) * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      if (!load_c) {
        acc[i][v] = Vec::zero();
      } else if (ncols == kNR) {
        acc[i][v] = Vec::load(ci + v * kW);
      } else {
        float tmp[kW] = {};
        for (int j = 0; j < kW && v * kW + j < ncols; ++j) tmp[j] = ci[v * kW + j];
        acc[i][v] = Vec::load(tmp);
      }
    }
  }
  if (TRANS) {
    const float* ap = a + i0;
    for (int64_t k = 0; k < K; ++k) {
      VT bv[kNV];
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) bv[v] = Vec::load(b + k * ldb + v * kW);
      const float* ak = ap + k * a_step;
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const VT x = Vec::splat(ak[i]);
#pragma GCC unroll 8
        for (int v = 0; v < kNV; ++v) acc[i][v] = Vec::fma(x, bv[v], acc[i][v]);
      }
    }
  } else {
    const float* ap = a + i0 * a_step;
    for (int64_t k = 0; k < K; ++k) {
      VT bv[kNV];
#pragma GCC unroll 8
      for (int v = 0; v < kNV; ++v) bv[v] = Vec::load(b + k * ldb + v * kW);
#pragma GCC unroll 16
      for (int i = 0; i < MR; ++i) {
        const VT x = Vec::splat(ap[i * a_step + k]);
#pragma GCC unroll 8
        for (int v = 0; v < kNV; ++v) acc[i][v] = Vec::fma(x, bv[v], acc[i][v]);
      }
    }
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    float* ci = c + (i0 + i) * ldc;
#pragma GCC unroll 8
    for (int v = 0; v < kNV; ++v) {
      if (ncols == kNR) {
        Vec::store(ci + v * kW, acc[i][v]);
      } else {
        float tmp[kW];
        Vec::store(tmp, acc[i][v]);
        for (int j = 0; j < kW && v * kW + j < ncols; ++j) ci[v * kW + j] = tmp[j];
      }
    }
  }
}

// The last rows < kMR of a strip, as one tile of exactly that many rows.
template <int R, bool TRANS>
COLM_INLINE void tail(int rows, const float* a, int64_t a_step, const float* b, int64_t ldb, int64_t K, int64_t i0,
                      float* c, int64_t ldc, int ncols, bool load_c) {
  if constexpr (R > 0) {
    if (rows == R)
      tile<R, TRANS>(a, a_step, b, ldb, K, i0, c, ldc, ncols, load_c);
    else
      tail<R - 1, TRANS>(rows, a, a_step, b, ldb, K, i0, c, ldc, ncols, load_c);
  }
}

// Rows [m0, m1) and columns [n0, n1): segment by segment, K in blocks of kKB so a block of B
// stays in L1 while every row tile uses it.
template <bool TRANS>
void block(const KSegment* segs, int32_t n_segs, float* cbase, int64_t ldc, bool accumulate, int64_t m0, int64_t m1,
           int64_t n0, int64_t n1) {
  alignas(64) float pad[kKB * kNR];  // a narrow last strip, zero-padded to kNR columns
  bool load_c = accumulate;
  for (int32_t s = 0; s < n_segs; ++s) {
    const KSegment& g = segs[s];
    // TRANS: A(i, k) = a[k * a_col + i]; otherwise a[i * a_row + k] (a_col == 1).
    const int64_t a_step = TRANS ? g.a_col : g.a_row;
    for (int64_t k0 = 0; k0 < g.K; k0 += kKB) {
      const int64_t kc = imin(kKB, g.K - k0);
      const float* a = TRANS ? g.a + k0 * g.a_col : g.a + k0;
      for (int64_t j0 = n0; j0 < n1; j0 += kNR) {
        const int ncols = int(imin(kNR, n1 - j0));
        const float* b = g.b + k0 * g.ldb + j0;
        int64_t ldb = g.ldb;
        if (ncols < kNR) {
          for (int64_t k = 0; k < kc; ++k)
            for (int j = 0; j < kNR; ++j) pad[k * kNR + j] = j < ncols ? b[k * g.ldb + j] : 0.0f;
          b = pad;
          ldb = kNR;
        }
        float* c = cbase + j0;
        int64_t i = m0;
        for (; i + kMR <= m1; i += kMR) tile<kMR, TRANS>(a, a_step, b, ldb, kc, i, c, ldc, ncols, load_c);
        if (i < m1) tail<kMR - 1, TRANS>(int(m1 - i), a, a_step, b, ldb, kc, i, c, ldc, ncols, load_c);
      }
      load_c = true;
    }
  }
}

void gemm_block(const KSegment* segs, int32_t n_segs, float* c, int64_t ldc, bool accumulate, int64_t m0, int64_t m1,
                int64_t n0, int64_t n1) {
  if (n_segs == 0) {
    if (!accumulate)
      for (int64_t i = m0; i < m1; ++i)
        for (int64_t j = n0; j < n1; ++j) c[i * ldc + j] = 0.0f;
    return;
  }
  // Every segment of a job reads A the same way (transposed or not).
  if (segs[0].a_row == 1 && segs[0].a_col != 1)
    block<true>(segs, n_segs, c, ldc, accumulate, m0, m1, n0, n1);
  else
    block<false>(segs, n_segs, c, ldc, accumulate, m0, m1, n0, n1);
}

#endif

// ======== elementwise and per-row kernels (train_ops.h) ========

COLM_INLINE float isum(const float* x, int64_t n) {
  v16 acc{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) acc += vload(x + i);
  float tail = 0.0f;
  for (; i < n; ++i) tail += x[i];
  return hsum(acc) + tail;
}

COLM_INLINE float imax(const float* x, int64_t n) {
  v16 acc = vsplat(-3.0e38f);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) acc = vmax(acc, vload(x + i));
  float m = hmax(acc);
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

COLM_INLINE float idot(const float* a, const float* b, int64_t n) {
  v16 acc{};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) acc += vload(a + i) * vload(b + i);
  float tail = 0.0f;
  for (; i < n; ++i) tail += a[i] * b[i];
  return hsum(acc) + tail;
}

COLM_INLINE void iaxpy(float a, const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// x[i] = exp(x[i] - shift), returning the sum.
COLM_INLINE float iexp_shifted(float* x, int64_t n, float shift) {
  v16 acc{};
  const v16 sh = vsplat(shift);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const v16 e = vexp(vload(x + i) - sh);
    vstore(x + i, e);
    acc += e;
  }
  float tail = 0.0f;
  for (; i < n; ++i) {
    x[i] = fast_exp(x[i] - shift);
    tail += x[i];
  }
  return hsum(acc) + tail;
}

// sigmoid(g) for 16 values.
COLM_INLINE v16 vsigmoid(v16 g) { return 1.0f / (1.0f + vexp(-g)); }


// ---- vector helpers ----

float vec_sum(const float* x, int64_t n) { return isum(x, n); }
float vec_max(const float* x, int64_t n) { return imax(x, n); }
float vec_dot(const float* a, const float* b, int64_t n) { return idot(a, b, n); }
void vec_axpy(float a, const float* x, float* y, int64_t n) { iaxpy(a, x, y, n); }
void vec_add(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
void vec_scale(float a, float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= a;
}
float vec_exp_shifted(float* x, int64_t n, float shift) { return iexp_shifted(x, n, shift); }

void transpose(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst,
                           int64_t ld_dst) {
  constexpr int64_t B = 16;  // 16 x 16 tiles: a cache line of each source and target row
  for (int64_t r0 = 0; r0 < rows; r0 += B) {
    const int64_t r1 = rows < r0 + B ? rows : r0 + B;
    for (int64_t c0 = 0; c0 < cols; c0 += B) {
      const int64_t c1 = cols < c0 + B ? cols : c0 + B;
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) dst[c * ld_dst + r] = src[r * ld_src + c];
    }
  }
}

// ---- chain RMSNorm ----

void chain_norm_forward(const float* x, const float* w, const int32_t* cum, int32_t n,
                                    float eps, float* out, float* rstd) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = cum[i], m = cum[i + 1] - cum[i];
    const float r = 1.0f / std::sqrt(idot(x + b, x + b, m) / float(m) + eps);
    rstd[i] = r;
    for (int32_t j = b; j < b + m; ++j) out[j] = x[j] * r * w[j];
  }
}

void chain_norm_backward(const float* x, const float* w, const int32_t* cum, int32_t n,
                                     const float* rstd, const float* dy, float* dx, float* dw) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = cum[i], m = cum[i + 1] - cum[i];
    const float r = rstd[i];
    // dx = r * (dy*w - xhat * mean(dy*w*xhat)), xhat = x*r
    v16 acc{};
    int32_t j = 0;
    for (; j + kLanes <= m; j += kLanes) acc += vload(dy + b + j) * vload(w + b + j) * vload(x + b + j);
    float tail = 0.0f;
    for (; j < m; ++j) tail += dy[b + j] * w[b + j] * x[b + j];
    const float c = (hsum(acc) + tail) * r * r / float(m);
    for (int32_t k = b; k < b + m; ++k) {
      dx[k] += r * (dy[k] * w[k] - x[k] * c);
      dw[k] += dy[k] * x[k] * r;
    }
  }
}

// ---- SwiGLU ----

void swiglu_forward(const float* g, const float* u, float* act, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const v16 gv = vload(g + i);
    vstore(act + i, gv * vsigmoid(gv) * vload(u + i));
  }
  for (; i < n; ++i) {
    const float s = 1.0f / (1.0f + fast_exp(-g[i]));
    act[i] = g[i] * s * u[i];
  }
}

void swiglu_backward(const float* g, const float* u, const float* d_act, float* dg,
                                 float* du, int64_t n) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const v16 gv = vload(g + i), s = vsigmoid(gv), da = vload(d_act + i);
    vstore(du + i, da * gv * s);
    vstore(dg + i, da * vload(u + i) * s * (1.0f + gv * (1.0f - s)));
  }
  for (; i < n; ++i) {
    const float s = 1.0f / (1.0f + fast_exp(-g[i]));
    const float da = d_act[i];
    du[i] = da * g[i] * s;
    dg[i] = da * u[i] * s * (1.0f + g[i] * (1.0f - s));
  }
}

// ---- RoPE ----

void rope_rows(float* x, int32_t n_heads, int64_t stride, int32_t head_dim,
                           const float* cos_t, const float* sin_t, bool inverse) {
  const int32_t half = head_dim / 2;
  const float sign = inverse ? -1.0f : 1.0f;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* a = x + h * stride;
    float* b = a + half;
    for (int32_t i = 0; i < half; ++i) {
      const float s = sign * sin_t[i];
      const float va = a[i], vb = b[i];
      a[i] = va * cos_t[i] - vb * s;
      b[i] = vb * cos_t[i] + va * s;
    }
  }
}

// ---- attention softmax rows ----

float softmax_row(float* s, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) s[i] *= scale;
  const float m = imax(s, n);
  const float sum = iexp_shifted(s, n, m);
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) s[i] *= inv;
  return m + std::log(sum);
}

void softmax_backward_row(float* s, float* dp, int64_t n, float scale, float lse, float delta) {
  for (int64_t i = 0; i < n; ++i) s[i] *= scale;
  iexp_shifted(s, n, lse);
  for (int64_t i = 0; i < n; ++i) dp[i] = s[i] * (dp[i] - delta) * scale;
}

// ---- loss ----

void multi_chain_loss_row(float* c, int32_t n, int64_t V, int32_t target,
                                      const float* weight, float smoothing, double* loss, float* running) {
  for (int64_t i = 0; i < V; ++i) running[i] = 0.0f;
  for (int32_t k = 0; k < n; ++k) {
    float* ck = c + int64_t(k) * V;
    double logit_sum = 0;  // plain loop in double: the same sum in every instruction set
    for (int64_t i = 0; i < V; ++i) {
      running[i] += ck[i];
      ck[i] = running[i];
      logit_sum += double(running[i]);
    }
    const float m = imax(ck, V);
    const float sum = iexp_shifted(ck, V, m);
    const double lse = double(m) + std::log(double(sum));
    loss[k] = lse - double(running[target]);
    loss[n + k] = lse - logit_sum / double(V);
    const float f = weight[k] / sum;
    for (int64_t i = 0; i < V; ++i) ck[i] *= f;
    if (smoothing != 0.0f) {
      const float spread = weight[k] * smoothing / float(V);
      for (int64_t i = 0; i < V; ++i) ck[i] -= spread;
    }
    ck[target] -= weight[k] * (1.0f - smoothing);
  }
  for (int32_t k = n - 2; k >= 0; --k) {
    float* ck = c + int64_t(k) * V;
    const float* next = ck + V;
    for (int64_t i = 0; i < V; ++i) ck[i] += next[i];
  }
}

// ---- AdamW ----

void adamw_update(float* w, const float* g, float* m, float* v, int64_t n,
                              const AdamStep& s, bool decay) {
  const float b1 = s.beta1, b2 = s.beta2, gs = s.grad_scale;
  const float step_size = s.lr / s.bias1;
  const float inv_bias2_sqrt = 1.0f / std::sqrt(s.bias2);
  const float keep = decay ? 1.0f - s.lr * s.weight_decay : 1.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * gs;
    const float mi = b1 * m[i] + (1.0f - b1) * gi;
    const float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const float denom = std::sqrt(vi) * inv_bias2_sqrt + s.eps;
    w[i] = w[i] * keep - step_size * mi / denom;
  }
}

double sum_squares(const float* x, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += double(x[i + l]) * double(x[i + l]);
  double t = 0.0;
  for (; i < n; ++i) t += double(x[i]) * double(x[i]);
  for (int l = 0; l < 8; ++l) t += acc[l];
  return t;
}


}  // namespace
}  // namespace COLM_TRAIN_ISA

const TrainKernels& COLM_TRAIN_CAT(train_kernels_, COLM_TRAIN_ISA)() {
  namespace I = COLM_TRAIN_ISA;
  static const TrainKernels k{
      COLM_TRAIN_STR(COLM_TRAIN_ISA), I::kMR, I::kNR, &I::gemm_block,
      &I::vec_sum, &I::vec_max, &I::vec_dot, &I::vec_axpy, &I::vec_add, &I::vec_scale, &I::vec_exp_shifted,
      &I::transpose, &I::chain_norm_forward, &I::chain_norm_backward, &I::swiglu_forward, &I::swiglu_backward,
      &I::rope_rows, &I::softmax_row, &I::softmax_backward_row, &I::multi_chain_loss_row, &I::adamw_update,
      &I::sum_squares,
  };
  return k;
}

}  // namespace train
}  // namespace colm
