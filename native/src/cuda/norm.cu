// Per-chain RMSNorm fused with the residual add before it (x += delta; out = norm(x)), one
// thread block per (row, chain). Mirrors ops.cpp chain_rmsnorm: the sum of squares in double,
// scale = float(1 / sqrt(mean + eps)), out = x * scale * w.
#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

constexpr int kThreads = 256;

__global__ void add_rmsnorm_kernel(float* x, const float* delta, const float* w, ChainCum cum, float eps, float* out,
                                   int64_t ld) {
  const int32_t t = blockIdx.x, chain = blockIdx.y;
  const int32_t b = cum.v[chain], e = cum.v[chain + 1];
  float* xr = x + t * ld;
  double sum = 0.0;
  for (int32_t j = b + threadIdx.x; j < e; j += kThreads) {
    float v = xr[j];
    if (delta) {
      v += delta[t * ld + j];
      xr[j] = v;
    }
    sum += double(v) * v;
  }
  __shared__ double part[kThreads / 32];
  sum = warp_sum_d(sum);
  if ((threadIdx.x & 31) == 0) part[threadIdx.x >> 5] = sum;
  __syncthreads();
  if (threadIdx.x < 32) {
    double v = threadIdx.x < kThreads / 32 ? part[threadIdx.x] : 0.0;
    v = warp_sum_d(v);
    if (threadIdx.x == 0) part[0] = v;
  }
  __syncthreads();
  const float scale = float(1.0 / sqrt(part[0] / (e - b) + double(eps)));
  float* o = out + t * ld;
  for (int32_t j = b + threadIdx.x; j < e; j += kThreads) o[j] = xr[j] * scale * w[j];
}

}  // namespace

void launch_add_rmsnorm(float* x, const float* delta, const float* w, const ChainCum& cum, int32_t k, float eps,
                        float* out, int32_t T, int64_t ld, cudaStream_t s) {
  add_rmsnorm_kernel<<<dim3(T, k), kThreads, 0, s>>>(x, delta, w, cum, eps, out, ld);
}

}  // namespace colm_cuda
