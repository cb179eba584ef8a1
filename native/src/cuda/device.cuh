// Device helpers of the kernels (.cu only): loads that widen each stored type to float32 and
// warp reductions.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include "common.h"

namespace colm_cuda {

// ---- loads ----

__device__ __forceinline__ float bf16_bits_to_float(uint16_t h) { return __uint_as_float(uint32_t(h) << 16); }
__device__ __forceinline__ float f16_bits_to_float(uint16_t h) { return __half2float(__ushort_as_half(h)); }

__device__ __forceinline__ float q8_scale_of(const DevWeight& w, int64_t r, int64_t block) {
  if (w.scale_dtype == COLM_CUDA_F32) return static_cast<const float*>(w.scales)[r * w.scales_ld + block];
  return f16_bits_to_float(static_cast<const uint16_t*>(w.scales)[r * w.scales_ld + block]);
}

// W[r, c] widened to float (any stored type; the slow generic path).
__device__ __forceinline__ float load_w(const DevWeight& w, int64_t r, int64_t c) {
  const int64_t i = r * w.ld + c;
  switch (w.dtype) {
    case COLM_CUDA_F32: return static_cast<const float*>(w.data)[i];
    case COLM_CUDA_F16: return f16_bits_to_float(static_cast<const uint16_t*>(w.data)[i]);
    case COLM_CUDA_BF16: return bf16_bits_to_float(static_cast<const uint16_t*>(w.data)[i]);
    default: return float(static_cast<const int8_t*>(w.data)[i]) * q8_scale_of(w, r, c / 32);
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__device__ __forceinline__ double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace colm_cuda
