#include "ops.h"

#include <cmath>

namespace colm {

void chain_rmsnorm(const float* x, const float* w, const std::vector<int32_t>& cum, int32_t k,
                   float eps, float* out) {
  for (int32_t i = 0; i < k; ++i) {
    const int32_t b = cum[size_t(i)], e = cum[size_t(i) + 1];
    double sum_sq = 0.0;  // double: the mean of squares of thousands of features
    for (int32_t j = b; j < e; ++j) sum_sq += double(x[j]) * x[j];
    const float scale = float(1.0 / std::sqrt(sum_sq / (e - b) + double(eps)));
    for (int32_t j = b; j < e; ++j) out[j] = x[j] * scale * w[j];
  }
}

void head_rmsnorm(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* w, float eps) {
  // chain_rmsnorm of one chain spanning the head, in place (each output reads only its own
  // input), without building a boundary list per call (twice per layer and token).
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + h * stride;
    double sum_sq = 0.0;
    for (int32_t j = 0; j < head_dim; ++j) sum_sq += double(v[j]) * v[j];
    const float scale = float(1.0 / std::sqrt(sum_sq / head_dim + double(eps)));
    for (int32_t j = 0; j < head_dim; ++j) v[j] = v[j] * scale * w[j];
  }
}

void swiglu(float* g, const float* u, int32_t n) {
  for (int32_t i = 0; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void add_into(float* y, const float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += x[i];
}

void add_rmsnorm(float* x, const float* r, const float* w, const std::vector<int32_t>& cum, int32_t k,
                 float eps, float* out) {
  // Per chain slice: add and accumulate the squares in the same sweep (a chain's sum only reads
  // its own slice, in the order chain_rmsnorm reads it), then scale.
  for (int32_t i = 0; i < k; ++i) {
    const int32_t b = cum[size_t(i)], e = cum[size_t(i) + 1];
    double sum_sq = 0.0;
    for (int32_t j = b; j < e; ++j) {
      x[j] += r[j];
      sum_sq += double(x[j]) * x[j];
    }
    const float scale = float(1.0 / std::sqrt(sum_sq / (e - b) + double(eps)));
    for (int32_t j = b; j < e; ++j) out[j] = x[j] * scale * w[j];
  }
}

}  // namespace colm
