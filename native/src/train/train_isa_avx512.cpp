// The trainer's AVX-512 kernels (F, BW, VL, DQ). This file alone is compiled with those
// instruction sets enabled; train_kernels_available() offers it only when the CPU has them.
// GEMM tile: 12 rows x 32 columns of C in 24 zmm accumulators, plus 2 for a row of B and 1 for
// the broadcast A value: 27 of the 32 registers.
#if defined(COLM_HAVE_AVX512)
#include <immintrin.h>

namespace colm {
namespace train {
namespace avx512 {

struct Vec {
  using T = __m512;
  static constexpr int W = 16;
  static inline __attribute__((always_inline)) T zero() { return _mm512_setzero_ps(); }
  static inline __attribute__((always_inline)) T load(const float* p) { return _mm512_loadu_ps(p); }
  static inline __attribute__((always_inline)) void store(float* p, T v) { _mm512_storeu_ps(p, v); }
  static inline __attribute__((always_inline)) T splat(float x) { return _mm512_set1_ps(x); }
  static inline __attribute__((always_inline)) T fma(T x, T b, T acc) { return _mm512_fmadd_ps(x, b, acc); }
};
constexpr int kMR = 12, kNV = 2;

}  // namespace avx512
}  // namespace train
}  // namespace colm

#define COLM_TRAIN_ISA avx512
#include "train_isa_body.h"
#endif
