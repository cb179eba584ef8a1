// Plain loops for the trainer's non-matmul work. Each exported function is compiled for
// AVX-512, AVX2+FMA and baseline x86-64 where GCC's target_clones is available (Linux x86-64),
// and once, for the build's target, elsewhere. Reductions use explicit lanes so that the
// compiler may vectorise them without reassociating: the order of every sum is fixed.
#include "train_ops.h"
#include "train_vectors.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace colm {
namespace train {

namespace {

// 16 floats: the compiler maps it to one AVX-512 register, two AVX2 ones, or four SSE ones.
constexpr int kLanes = 16;

COLM_INLINE v16 vsplat(float a) { return v16{} + a; }
COLM_INLINE v16 vmax(v16 a, v16 b) { return a > b ? a : b; }

// Lanes summed in lane order: a fixed order whatever the instruction set.
COLM_INLINE float hsum(v16 v) {
  float t = 0.0f;
  for (int l = 0; l < kLanes; ++l) t += v[l];
  return t;
}
COLM_INLINE float hmax(v16 v) {
  float m = v[0];
  for (int l = 1; l < kLanes; ++l) m = v[l] > m ? v[l] : m;
  return m;
}

// exp(x) within 2 ulp for x in float range (Cephes' polynomial on x - n ln 2, times 2^n).
COLM_INLINE v16 vexp(v16 x) {
  x = vmax(x, vsplat(-87.0f));
  x = x < vsplat(88.0f) ? x : vsplat(88.0f);
  const v16 y = x * 1.44269504088896341f + 0.5f;
  vi16 n = __builtin_convertvector(y, vi16);  // toward zero, then down by one where that rounded up
  n += __builtin_convertvector(n, v16) > y;   // (a true comparison is -1 in every bit)
  const v16 fx = __builtin_convertvector(n, v16);
  const v16 r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  const v16 z = r * r;
  v16 p = vsplat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const vi16 bits = (n + 127) << 23;
  v16 scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The same function one value at a time (tails).
COLM_INLINE float fast_exp(float x) {
  x = std::min(88.0f, std::max(-87.0f, x));
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const int32_t bits = (int32_t(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

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

COLM_CLONES void swiglu_forward(const float* g, const float* u, float* act, int64_t n) {
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

COLM_CLONES void swiglu_backward(const float* g, const float* u, const float* d_act, float* dg,
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

// ---- attention softmax rows ----

COLM_CLONES float softmax_row(float* s, int64_t n, float scale) {
  for (int64_t i = 0; i < n; ++i) s[i] *= scale;
  const float m = imax(s, n);
  const float sum = iexp_shifted(s, n, m);
  const float inv = 1.0f / sum;
  for (int64_t i = 0; i < n; ++i) s[i] *= inv;
  return m + std::log(sum);
}

COLM_CLONES void softmax_backward_row(float* s, float* dp, int64_t n, float scale, float lse, float delta) {
  for (int64_t i = 0; i < n; ++i) s[i] *= scale;
  iexp_shifted(s, n, lse);
  for (int64_t i = 0; i < n; ++i) dp[i] = s[i] * (dp[i] - delta) * scale;
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
