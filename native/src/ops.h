// The small per-position operations of the forward pass (everything but the matmuls and
// attention): chain RMSNorm, per-head RMSNorm, SwiGLU, residual adds.
#pragma once
#include <cstdint>
#include <vector>

namespace colm {

// out[:d_k] = each chain slice of x[:d_k] divided by its own RMS, times w. `cum` holds the
// chain boundaries (cum[0] = 0 ... cum[k] = d_k).
void chain_rmsnorm(const float* x, const float* w, const std::vector<int32_t>& cum, int32_t k,
                   float eps, float* out);

// qwen3 qk-norm: each of n_heads heads (head_dim floats, `stride` apart) divided by its own
// RMS and times w (head_dim), in place.
void head_rmsnorm(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* w, float eps);

// g[i] = silu(g[i]) * u[i]
void swiglu(float* g, const float* u, int32_t n);

// y[i] += x[i]
void add_into(float* y, const float* x, int32_t n);

// The residual add and the next block's norm in one pass over the row: x[:d_k] += r[:d_k], then
// out = chain_rmsnorm(x) (the bits of add_into followed by chain_rmsnorm).
void add_rmsnorm(float* x, const float* r, const float* w, const std::vector<int32_t>& cum, int32_t k,
                 float eps, float* out);

}  // namespace colm
