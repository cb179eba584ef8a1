// The softmax steps of attention (kernels.h: row_max, exp_scaled_sum), written once on the
// portable 16-float vectors of simd/vec16.h. Each kernel file (scalar.cpp, avx2.cpp, avx512.cpp,
// neon.cpp) includes this and is compiled for its instruction set, so the same source becomes
// SSE2, AVX2, AVX-512 or NEON code; internal linkage keeps the copies apart at link time.
#pragma once
#include <cstdint>

#include "../../simd/vec16.h"

namespace colm {
namespace {

// The largest of x[0..n), n >= 1.
float softmax_row_max(const float* x, int32_t n) {
  using namespace simd;
  int32_t i = 0;
  float m = x[0];
  if (n >= kLanes) {
    v16 acc = vload(x);
    for (i = kLanes; i + kLanes <= n; i += kLanes) acc = vmax(acc, vload(x + i));
    m = hmax(acc);
  }
  for (; i < n; ++i) m = x[i] > m ? x[i] : m;
  return m;
}

// x[i] = exp(x[i] * scale - shift) for i < n; returns their sum (lanes in a fixed order).
float softmax_exp_scaled_sum(float* x, int32_t n, float scale, float shift) {
  using namespace simd;
  v16 acc{};
  const v16 sc = vsplat(scale), sh = vsplat(shift);
  int32_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    const v16 e = vexp(vload(x + i) * sc - sh);
    vstore(x + i, e);
    acc += e;
  }
  float tail = 0.0f;
  for (; i < n; ++i) {
    x[i] = fast_exp(x[i] * scale - shift);
    tail += x[i];
  }
  return hsum(acc) + tail;
}

}  // namespace
}  // namespace colm
