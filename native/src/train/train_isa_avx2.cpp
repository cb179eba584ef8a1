// The trainer's AVX2 + FMA kernels (x86-64 from Haswell / Zen on). This file alone is compiled
// with those instruction sets enabled; train_kernels_available() offers it only when the CPU has
// them. GEMM tile: 6 rows x 16 columns of C in 12 ymm accumulators, plus 2 for a row of B and 1
// for the broadcast A value: 15 of the 16 registers, so nothing spills.
#if defined(COLM_HAVE_AVX2)
#include <immintrin.h>

namespace colm {
namespace train {
namespace avx2 {

struct Vec {
  using T = __m256;
  static constexpr int W = 8;
  static inline __attribute__((always_inline)) T zero() { return _mm256_setzero_ps(); }
  static inline __attribute__((always_inline)) T load(const float* p) { return _mm256_loadu_ps(p); }
  static inline __attribute__((always_inline)) void store(float* p, T v) { _mm256_storeu_ps(p, v); }
  static inline __attribute__((always_inline)) T splat(float x) { return _mm256_set1_ps(x); }
  static inline __attribute__((always_inline)) T fma(T x, T b, T acc) { return _mm256_fmadd_ps(x, b, acc); }
};
constexpr int kMR = 6, kNV = 2;

}  // namespace avx2
}  // namespace train
}  // namespace colm

#define COLM_TRAIN_ISA avx2
#include "train_isa_body.h"
#endif
