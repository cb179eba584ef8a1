// The trainer's NEON kernels (aarch64, where NEON and FMA are always there). GEMM tile: 6 rows x
// 16 columns of C in 24 q-register accumulators, plus 4 for a row of B and 1 for the broadcast
// A value: 29 of the 32 registers. On other CPUs this file is empty.
#if defined(__aarch64__)
#include <arm_neon.h>

namespace colm {
namespace train {
namespace neon {

struct Vec {
  using T = float32x4_t;
  static constexpr int W = 4;
  static inline __attribute__((always_inline)) T zero() { return vdupq_n_f32(0.0f); }
  static inline __attribute__((always_inline)) T load(const float* p) { return vld1q_f32(p); }
  static inline __attribute__((always_inline)) void store(float* p, T v) { vst1q_f32(p, v); }
  static inline __attribute__((always_inline)) T splat(float x) { return vdupq_n_f32(x); }
  // acc + x * b with one rounding (FMLA).
  static inline __attribute__((always_inline)) T fma(T x, T b, T acc) { return vfmaq_f32(acc, x, b); }
};
constexpr int kMR = 6, kNV = 4;

}  // namespace neon
}  // namespace train
}  // namespace colm

#define COLM_TRAIN_ISA neon
#include "train_isa_body.h"
#endif
