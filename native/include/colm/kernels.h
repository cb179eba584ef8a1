// CPU kernels behind one interface. Every instruction-set variant (scalar reference, AVX2,
// AVX-512, NEON) fills a CpuKernels table; the best one this CPU supports is chosen at run
// time. Vector variants are tested against the scalar reference (native/tests).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "colm/tensor.h"
#include "colm/thread_pool.h"

namespace colm {

struct CpuKernels {
  const char* name;  // "scalar", "avx2", "avx512", "neon"

  // y[t*ldy + r] = sum over c < w.cols of x[t*ldx + c] * W[r, c], for rows r in [r0, r1) and
  // t in [0, T). Weights are widened to float32; the sum is float32. `scratch` holds at least
  // 4 * w.cols floats for the variant's own use. A row's result must not depend on which rows
  // share its call (the engine's nested-model invariants are checked bit for bit).
  void (*matmul_rows)(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                      float* y, int64_t ldy, int32_t T, float* scratch);

  float (*dot)(const float* a, const float* b, int32_t n);
  void (*axpy)(float a, const float* x, float* y, int32_t n);  // y += a * x
};

const CpuKernels& cpu_kernels_scalar();
// Variants compiled in and supported by this CPU, best first; the scalar one is always last.
std::vector<const CpuKernels*> cpu_kernels_available();
// The active variant: the best available unless COLM_KERNELS=<name> or set_cpu_kernels chose one.
const CpuKernels& cpu_kernels();
// Chooses a variant by name; returns false (and changes nothing) when it is not available.
bool set_cpu_kernels(const std::string& name);

// Y = X W^T over the thread pool, split over blocks of output rows. x: (T, ldx), y: (T, ldy).
void matmul(const WeightView& w, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T,
            ThreadPool& pool);

// One output block of a chain linear: rows of W go to y columns [out_offset, out_offset+rows).
struct MatmulBlock {
  WeightView w;
  int32_t out_offset;
};

// Several blocks in one parallel region (the chains of one chain linear): each block reads
// only its own K-extent w.cols, so structural zeros are never loaded or multiplied.
void matmul_blocks(const MatmulBlock* blocks, int32_t n_blocks, const float* x, int64_t ldx,
                   float* y, int64_t ldy, int32_t T, ThreadPool& pool);

// Several independent products in one parallel region (q, k and v of a layer; gate and up):
// one wake-up of the pool instead of one per product.
struct MatmulJob {
  const MatmulBlock* blocks;
  int32_t n_blocks;
  const float* x;
  int64_t ldx;
  float* y;
  int64_t ldy;
};
void matmul_jobs(const MatmulJob* jobs, int32_t n_jobs, int32_t T, ThreadPool& pool);

}  // namespace colm
