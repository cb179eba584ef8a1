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
  const std::vector<int32_t> one_head = {0, head_dim};
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + h * stride;
    chain_rmsnorm(v, w, one_head, 1, eps, v);  // in place: each output reads only its own input
  }
}

void swiglu(float* g, const float* u, int32_t n) {
  for (int32_t i = 0; i < n; ++i) g[i] = g[i] / (1.0f + std::exp(-g[i])) * u[i];
}

void add_into(float* y, const float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace colm
