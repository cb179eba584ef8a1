// Chain linears: every block of sub-model k reads only its own K-extent (cols), so structural
// zeros are never loaded; rows of blocks k+1.. are never launched.
//   decode (T <= 8): a warp per output row (rows strided over the grid), 16-byte weight loads
//     widened in registers, fp32 accumulation, the T tokens of the call sharing each load.
//   prefill (T > 8): a tiled SIMT GEMM (64 rows x 64 tokens x 32 columns per tile, 4x4 outputs per
//     thread); tiles are laid out per block, so a tile never spans two K-extents. The tensor-core
//     (mma) version is the next step.
#include "device.cuh"
#include "kernels.h"

namespace colm_cuda {

namespace {

// Kernel arguments are __grid_constant__: the blocks are indexed at run time, and without it
// every thread would copy the whole table to local memory.

// The block holding output row r (blocks are contiguous in output order).
__device__ __forceinline__ int block_of_row(const LinearArgs& L, int32_t r) {
  int b = 0;
  while (b + 1 < L.n && r >= L.b[b + 1].out_offset) ++b;
  return b;
}

// 16 bytes of stored weights -> VEC floats.
template <int DT>
struct Vec;
template <>
struct Vec<COLM_CUDA_F32> {
  static constexpr int n = 4;
  __device__ static void load(const DevWeight&, const void* p, int64_t, int64_t, float* out) {
    const float4 v = *static_cast<const float4*>(p);
    out[0] = v.x, out[1] = v.y, out[2] = v.z, out[3] = v.w;
  }
  __device__ static float one(const DevWeight& w, int64_t r, int64_t c) { return static_cast<const float*>(w.data)[r * w.ld + c]; }
};
template <>
struct Vec<COLM_CUDA_BF16> {
  static constexpr int n = 8;
  __device__ static void load(const DevWeight&, const void* p, int64_t, int64_t, float* out) {
    const uint4 v = *static_cast<const uint4*>(p);
    const uint32_t u[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[2 * i] = __uint_as_float(u[i] << 16);
      out[2 * i + 1] = __uint_as_float(u[i] & 0xffff0000u);
    }
  }
  __device__ static float one(const DevWeight& w, int64_t r, int64_t c) {
    return bf16_bits_to_float(static_cast<const uint16_t*>(w.data)[r * w.ld + c]);
  }
};
template <>
struct Vec<COLM_CUDA_F16> {
  static constexpr int n = 8;
  __device__ static void load(const DevWeight&, const void* p, int64_t, int64_t, float* out) {
    const uint4 v = *static_cast<const uint4*>(p);
    const uint32_t u[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      out[2 * i] = f16_bits_to_float(uint16_t(u[i] & 0xffffu));
      out[2 * i + 1] = f16_bits_to_float(uint16_t(u[i] >> 16));
    }
  }
  __device__ static float one(const DevWeight& w, int64_t r, int64_t c) {
    return f16_bits_to_float(static_cast<const uint16_t*>(w.data)[r * w.ld + c]);
  }
};
template <>
struct Vec<COLM_CUDA_Q8_0> {
  static constexpr int n = 16;  // 16 int8 inside one 32-column block (c0 is a multiple of 16)
  __device__ static void load(const DevWeight& w, const void* p, int64_t r, int64_t c0, float* out) {
    const int4 v = *static_cast<const int4*>(p);
    const float s = q8_scale_of(w, r, c0 / 32);
    const int32_t u[4] = {v.x, v.y, v.z, v.w};
#pragma unroll
    for (int i = 0; i < 4; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j) out[4 * i + j] = float(int8_t(uint32_t(u[i]) >> (8 * j))) * s;
  }
  __device__ static float one(const DevWeight& w, int64_t r, int64_t c) {
    return float(static_cast<const int8_t*>(w.data)[r * w.ld + c]) * q8_scale_of(w, r, c / 32);
  }
};

// One row r of block w for NT tokens: lanes stride over 16-byte vectors, then the tail.
template <int DT, int NT>
__device__ __forceinline__ void row_dot(const DevWeight& w, int64_t r, const float* x, int64_t ldx, int32_t T,
                                        float* acc) {
  constexpr int V = Vec<DT>::n;
  const int lane = threadIdx.x & 31;
  const int64_t full = (w.cols / V) * V;
  const uint8_t* row = static_cast<const uint8_t*>(w.data) + r * w.ld * int64_t(DT == COLM_CUDA_F32 ? 4 : DT == COLM_CUDA_Q8_0 ? 1 : 2);
  constexpr int ES = DT == COLM_CUDA_F32 ? 4 : DT == COLM_CUDA_Q8_0 ? 1 : 2;
  for (int64_t c0 = int64_t(lane) * V; c0 < full; c0 += 32 * V) {
    float wv[V];
    Vec<DT>::load(w, row + c0 * ES, r, c0, wv);
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      if (t < T) {
        const float* xr = x + t * ldx + c0;
#pragma unroll
        for (int i = 0; i < V; ++i) acc[t] += wv[i] * __ldg(xr + i);
      }
    }
  }
  for (int64_t c = full + lane; c < w.cols; c += 32) {
    const float wv = Vec<DT>::one(w, r, c);
#pragma unroll
    for (int t = 0; t < NT; ++t)
      if (t < T) acc[t] += wv * __ldg(x + t * ldx + c);
  }
}

template <int NT>
__global__ void gemv_kernel(const __grid_constant__ LinearArgs L, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T) {
  const int32_t warps = (gridDim.x * blockDim.x) >> 5;
  for (int32_t r = (blockIdx.x * blockDim.x + threadIdx.x) >> 5; r < L.total_rows; r += warps) {
    const DevWeight& w = L.b[block_of_row(L, r)];
    const int64_t lr = r - w.out_offset;
    float acc[NT];
#pragma unroll
    for (int t = 0; t < NT; ++t) acc[t] = 0.0f;
    switch (w.dtype) {
      case COLM_CUDA_F32: row_dot<COLM_CUDA_F32, NT>(w, lr, x, ldx, T, acc); break;
      case COLM_CUDA_F16: row_dot<COLM_CUDA_F16, NT>(w, lr, x, ldx, T, acc); break;
      case COLM_CUDA_BF16: row_dot<COLM_CUDA_BF16, NT>(w, lr, x, ldx, T, acc); break;
      default: row_dot<COLM_CUDA_Q8_0, NT>(w, lr, x, ldx, T, acc); break;
    }
#pragma unroll
    for (int t = 0; t < NT; ++t) {
      const float v = warp_sum(acc[t]);
      if ((threadIdx.x & 31) == 0 && t < T) y[t * ldy + r] = v + (L.bias ? L.bias[r] : 0.0f);
    }
  }
}

// ---- prefill: tiled SIMT GEMM ----
constexpr int BM = 64, BN = 64, BK = 32;

struct TileMap {
  int32_t first_tile[COLM_CUDA_MAX_CHAINS + 1];  // row tiles of blocks 0..b-1
};

__global__ void __launch_bounds__(256) gemm_kernel(const __grid_constant__ LinearArgs L, const __grid_constant__ TileMap map, const float* x, int64_t ldx, float* y,
                                                   int64_t ldy, int32_t T) {
  int b = 0;
  while (b + 1 < L.n && int32_t(blockIdx.x) >= map.first_tile[b + 1]) ++b;
  const DevWeight& w = L.b[b];
  const int32_t r0 = (blockIdx.x - map.first_tile[b]) * BM;  // local row in block b
  const int32_t t0 = blockIdx.y * BN;
  __shared__ float Ws[BK][BM + 4];
  __shared__ float Xs[BK][BN + 4];
  const int tid = threadIdx.x;
  const int tr = (tid / 16) * 4, tt = (tid % 16) * 4;
  float acc[4][4] = {};
  for (int32_t k0 = 0; k0 < w.cols; k0 += BK) {
    // 64 x 32 elements of W and of X: 8 per thread, columns fastest (coalesced along K).
    for (int i = tid; i < BM * BK; i += 256) {
      const int rr = i / BK, kk = i % BK;
      const int64_t r = r0 + rr, c = k0 + kk;
      Ws[kk][rr] = (r < w.rows && c < w.cols) ? load_w(w, r, c) : 0.0f;
      const int64_t t = t0 + rr;
      Xs[kk][rr] = (t < T && c < w.cols) ? x[t * ldx + c] : 0.0f;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < BK; ++kk) {
      float a[4], v[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = Ws[kk][tr + i];
#pragma unroll
      for (int j = 0; j < 4; ++j) v[j] = Xs[kk][tt + j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] += a[i] * v[j];
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int32_t r = r0 + tr + i;
    if (r >= w.rows) continue;
    const int32_t out = w.out_offset + r;
    const float bias = L.bias ? L.bias[out] : 0.0f;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int32_t t = t0 + tt + j;
      if (t < T) y[int64_t(t) * ldy + out] = acc[i][j] + bias;
    }
  }
}

}  // namespace

void launch_linear(const LinearArgs& L, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T, cudaStream_t s) {
  if (T <= 8) {
    // Enough warps to cover the rows once on big GPUs; rows beyond are strided.
    const int32_t warps_per_block = 8;
    const int64_t blocks = ceil_div(L.total_rows, warps_per_block);
    const int grid = int(blocks < 65535 ? blocks : 65535);
    if (T == 1) gemv_kernel<1><<<grid, 32 * warps_per_block, 0, s>>>(L, x, ldx, y, ldy, T);
    else if (T == 2) gemv_kernel<2><<<grid, 32 * warps_per_block, 0, s>>>(L, x, ldx, y, ldy, T);
    else if (T <= 4) gemv_kernel<4><<<grid, 32 * warps_per_block, 0, s>>>(L, x, ldx, y, ldy, T);
    else gemv_kernel<8><<<grid, 32 * warps_per_block, 0, s>>>(L, x, ldx, y, ldy, T);
    return;
  }
  TileMap map{};
  int32_t tiles = 0;
  for (int b = 0; b < L.n; ++b) {
    map.first_tile[b] = tiles;
    tiles += int32_t(ceil_div(L.b[b].rows, BM));
  }
  map.first_tile[L.n] = tiles;
  gemm_kernel<<<dim3(tiles, unsigned(ceil_div(T, BN))), 256, 0, s>>>(L, map, x, ldx, y, ldy, T);
}

}  // namespace colm_cuda
