// SwiGLU: g = silu(g) * u over the first H_k columns of each row (ops.cpp swiglu).
#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

__global__ void swiglu_kernel(float* g, const float* u, int32_t n, int64_t ld) {
  const int32_t t = blockIdx.y;
  for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
    const float v = g[t * ld + i];
    g[t * ld + i] = v / (1.0f + expf(-v)) * u[t * ld + i];
  }
}

}  // namespace

void launch_swiglu(float* g, const float* u, int32_t n, int32_t T, int64_t ld, cudaStream_t s) {
  const int blocks = int(ceil_div(n, 256) < 64 ? ceil_div(n, 256) : 64);
  swiglu_kernel<<<dim3(blocks, T), 256, 0, s>>>(g, u, n, ld);
}

}  // namespace colm_cuda
