// The small per-position operations of the forward pass (everything but the matmuls and
// attention): chain RMSNorm, SwiGLU, residual adds.
#pragma once
#include <cstdint>
#include <vector>

namespace colm {

// out[:d_k] = each chain slice of x[:d_k] divided by its own RMS, times w. `cum` holds the
// chain boundaries (cum[0] = 0 ... cum[k] = d_k).
void chain_rmsnorm(const float* x, const float* w, const std::vector<int32_t>& cum, int32_t k,
                   float eps, float* out);

// g[i] = silu(g[i]) * u[i]
void swiglu(float* g, const float* u, int32_t n);

// y[i] += x[i]
void add_into(float* y, const float* x, int32_t n);

}  // namespace colm
