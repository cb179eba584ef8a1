// Plain loops for the trainer's non-matmul work. Each exported function is compiled for
// AVX-512, AVX2+FMA and baseline x86-64 where GCC's target_clones is available (Linux x86-64),
// and once, for the build's target, elsewhere. Reductions use explicit lanes so that the
// compiler may vectorise them without reassociating: the order of every sum is fixed.
#include "train_ops.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define COLM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define COLM_CLONES
#endif
#define COLM_INLINE static inline __attribute__((always_inline))

namespace colm {
namespace train {

namespace {

constexpr int kLanes = 16;

// exp(x) for x in float range, within 2 ulp (Cephes' polynomial); branch-free so it vectorises.
COLM_INLINE float fast_exp(float x) {
  x = std::min(88.0f, std::max(-87.0f, x));
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  const float z = r * r;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  const int32_t bits = (int32_t(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return y * scale;
}

COLM_INLINE float lanes_total(const float* acc) {
  float t = 0.0f;
  for (int l = 0; l < kLanes; ++l) t += acc[l];
  return t;
}

COLM_INLINE float isum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += x[i + l];
  float tail = 0.0f;
  for (; i < n; ++i) tail += x[i];
  return lanes_total(acc) + tail;
}

COLM_INLINE float imax(const float* x, int64_t n) {
  float acc[kLanes];
  for (int l = 0; l < kLanes; ++l) acc[l] = -3.0e38f;
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] = std::max(acc[l], x[i + l]);
  float m = -3.0e38f;
  for (int l = 0; l < kLanes; ++l) m = std::max(m, acc[l]);
  for (; i < n; ++i) m = std::max(m, x[i]);
  return m;
}

COLM_INLINE float idot(const float* a, const float* b, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  float tail = 0.0f;
  for (; i < n; ++i) tail += a[i] * b[i];
  return lanes_total(acc) + tail;
}

COLM_INLINE void iaxpy(float a, const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// x[i] = exp(x[i] - shift), returning the sum.
COLM_INLINE float iexp_shifted(float* x, int64_t n, float shift) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float e = fast_exp(x[i + l] - shift);
      x[i + l] = e;
      acc[l] += e;
    }
  float tail = 0.0f;
  for (; i < n; ++i) {
    x[i] = fast_exp(x[i] - shift);
    tail += x[i];
  }
  return lanes_total(acc) + tail;
}

}  // namespace

// ---- vector helpers ----

COLM_CLONES float vec_sum(const float* x, int64_t n) { return isum(x, n); }
COLM_CLONES float vec_max(const float* x, int64_t n) { return imax(x, n); }
COLM_CLONES float vec_dot(const float* a, const float* b, int64_t n) { return idot(a, b, n); }
COLM_CLONES void vec_axpy(float a, const float* x, float* y, int64_t n) { iaxpy(a, x, y, n); }
COLM_CLONES void vec_add(const float* __restrict x, float* __restrict y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}
COLM_CLONES void vec_scale(float a, float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] *= a;
}
COLM_CLONES float vec_exp_shifted(float* x, int64_t n, float shift) { return iexp_shifted(x, n, shift); }

COLM_CLONES void transpose(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst,
                           int64_t ld_dst) {
  constexpr int64_t B = 16;  // 16 x 16 tiles: a cache line of each source and target row
  for (int64_t r0 = 0; r0 < rows; r0 += B) {
    const int64_t r1 = std::min(rows, r0 + B);
    for (int64_t c0 = 0; c0 < cols; c0 += B) {
      const int64_t c1 = std::min(cols, c0 + B);
      for (int64_t c = c0; c < c1; ++c)
        for (int64_t r = r0; r < r1; ++r) dst[c * ld_dst + r] = src[r * ld_src + c];
    }
  }
}

// ---- chain RMSNorm ----

COLM_CLONES void chain_norm_forward(const float* x, const float* w, const int32_t* cum, int32_t n,
                                    float eps, float* out, float* rstd) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = cum[i], m = cum[i + 1] - cum[i];
    const float r = 1.0f / std::sqrt(idot(x + b, x + b, m) / float(m) + eps);
    rstd[i] = r;
    for (int32_t j = b; j < b + m; ++j) out[j] = x[j] * r * w[j];
  }
}

COLM_CLONES void chain_norm_backward(const float* x, const float* w, const int32_t* cum, int32_t n,
                                     const float* rstd, const float* dy, float* dx, float* dw) {
  for (int32_t i = 0; i < n; ++i) {
    const int32_t b = cum[i], m = cum[i + 1] - cum[i];
    const float r = rstd[i];
    // dx = r * (dy*w - xhat * mean(dy*w*xhat)), xhat = x*r
    float acc[kLanes] = {};
    int32_t j = 0;
    for (; j + kLanes <= m; j += kLanes)
      for (int l = 0; l < kLanes; ++l) acc[l] += dy[b + j + l] * w[b + j + l] * x[b + j + l];
    float tail = 0.0f;
    for (; j < m; ++j) tail += dy[b + j] * w[b + j] * x[b + j];
    const float c = (lanes_total(acc) + tail) * r * r / float(m);
    for (int32_t k = b; k < b + m; ++k) {
      dx[k] += r * (dy[k] * w[k] - x[k] * c);
      dw[k] += dy[k] * x[k] * r;
    }
  }
}

// ---- SwiGLU ----

COLM_CLONES void swiglu_forward(const float* g, const float* u, float* act, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + fast_exp(-g[i]));
    act[i] = g[i] * s * u[i];
  }
}

COLM_CLONES void swiglu_backward(const float* g, const float* u, const float* d_act, float* dg,
                                 float* du, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float s = 1.0f / (1.0f + fast_exp(-g[i]));
    const float da = d_act[i];
    du[i] = da * g[i] * s;
    dg[i] = da * u[i] * s * (1.0f + g[i] * (1.0f - s));
  }
}

// ---- RoPE ----

COLM_CLONES void rope_rows(float* x, int32_t n_heads, int64_t stride, int32_t head_dim,
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

// ---- attention ----

COLM_CLONES void attention_forward(const float* q, int64_t ldq, const float* kT, const float* v,
                                   int64_t ldv, int32_t T, int32_t hd, float scale, float* out,
                                   int64_t ldo, float* lse, float* scratch) {
  float* s = scratch;
  for (int32_t t = 0; t < T; ++t) {
    const int32_t np = t + 1;
    const float* qt = q + int64_t(t) * ldq;
    for (int32_t p = 0; p < np; ++p) s[p] = 0.0f;
    for (int32_t d = 0; d < hd; ++d) iaxpy(qt[d] * scale, kT + int64_t(d) * T, s, np);
    const float m = imax(s, np);
    const float sum = iexp_shifted(s, np, m);
    lse[t] = m + std::log(sum);
    const float inv = 1.0f / sum;
    float* ot = out + int64_t(t) * ldo;
    for (int32_t d = 0; d < hd; ++d) ot[d] = 0.0f;
    for (int32_t p = 0; p < np; ++p) iaxpy(s[p] * inv, v + int64_t(p) * ldv, ot, hd);
  }
}

COLM_CLONES void attention_backward(const float* q, int64_t ldq, const float* kT, const float* k,
                                    int64_t ldk, const float* vT, const float* o, int64_t ldo,
                                    const float* d_o, int64_t lddo, const float* lse, int32_t T,
                                    int32_t hd, float scale, float* dq, int64_t lddq,
                                    float* dk_part, float* dv_part, float* scratch) {
  float* P = scratch;
  float* dS = scratch + T;
  for (int32_t t = 0; t < T; ++t) {
    const int32_t np = t + 1;
    const float* qt = q + int64_t(t) * ldq;
    const float* dot = d_o + int64_t(t) * lddo;
    for (int32_t p = 0; p < np; ++p) P[p] = 0.0f;
    for (int32_t d = 0; d < hd; ++d) iaxpy(qt[d] * scale, kT + int64_t(d) * T, P, np);
    const float l = lse[t];
    for (int32_t p = 0; p < np; ++p) P[p] = fast_exp(P[p] - l);
    for (int32_t p = 0; p < np; ++p) dS[p] = 0.0f;
    for (int32_t d = 0; d < hd; ++d) iaxpy(dot[d], vT + int64_t(d) * T, dS, np);
    const float Dt = idot(dot, o + int64_t(t) * ldo, hd);
    for (int32_t p = 0; p < np; ++p) dS[p] = P[p] * (dS[p] - Dt) * scale;
    float* dqt = dq + int64_t(t) * lddq;
    for (int32_t d = 0; d < hd; ++d) dqt[d] = 0.0f;
    for (int32_t p = 0; p < np; ++p) {
      iaxpy(dS[p], k + int64_t(p) * ldk, dqt, hd);
      iaxpy(dS[p], qt, dk_part + int64_t(p) * hd, hd);
      iaxpy(P[p], dot, dv_part + int64_t(p) * hd, hd);
    }
  }
}

// ---- loss ----

COLM_CLONES void multi_chain_loss_row(float* c, int32_t n, int64_t V, int32_t target,
                                      const float* weight, double* loss, float* running) {
  for (int64_t i = 0; i < V; ++i) running[i] = 0.0f;
  for (int32_t k = 0; k < n; ++k) {
    float* ck = c + int64_t(k) * V;
    for (int64_t i = 0; i < V; ++i) {
      running[i] += ck[i];
      ck[i] = running[i];
    }
    const float m = imax(ck, V);
    const float sum = iexp_shifted(ck, V, m);
    const double lse = double(m) + std::log(double(sum));
    loss[k] = lse - double(running[target]);
    const float f = weight[k] / sum;
    for (int64_t i = 0; i < V; ++i) ck[i] *= f;
    ck[target] -= weight[k];
  }
  for (int32_t k = n - 2; k >= 0; --k) {
    float* ck = c + int64_t(k) * V;
    const float* next = ck + V;
    for (int64_t i = 0; i < V; ++i) ck[i] += next[i];
  }
}

// ---- AdamW ----

COLM_CLONES void adamw_update(float* w, const float* g, float* m, float* v, int64_t n,
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

COLM_CLONES double sum_squares(const float* x, int64_t n) {
  double acc[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int l = 0; l < 8; ++l) acc[l] += double(x[i + l]) * double(x[i + l]);
  double t = 0.0;
  for (; i < n; ++i) t += double(x[i]) * double(x[i]);
  for (int l = 0; l < 8; ++l) t += acc[l];
  return t;
}

}  // namespace train
}  // namespace colm
