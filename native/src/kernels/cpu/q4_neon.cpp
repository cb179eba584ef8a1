// Q4_0 / Q4_K weights times 8-bit activations on NEON (AArch64). A block's integer sum comes from
// vdotq_s32 (four int8 products per int32 lane) where the compiler targets the dot-product
// extension (__ARM_FEATURE_DOTPROD: Armv8.2-A+dotprod, Apple M1 on), from vmull_s8/vmlal_s8
// otherwise; either way it is exact, and the float32 terms are added in order as in the scalar
// reference. Compiled only for AArch64; elsewhere this file is empty.
#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>

#include "colm/quant_q4.h"

namespace colm {

namespace {

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

// sum of a[i] * b[i] over 16 + 16 signed bytes, exactly.
inline int32_t dot32(int8x16_t a0, int8x16_t b0, int8x16_t a1, int8x16_t b1) {
#if defined(__ARM_FEATURE_DOTPROD)
  return vaddvq_s32(vdotq_s32(vdotq_s32(vdupq_n_s32(0), a0, b0), a1, b1));
#else
  // |a| <= 15 and |b| <= 127: two products per int16 lane stay below 32767.
  int16x8_t p0 = vmull_s8(vget_low_s8(a0), vget_low_s8(b0));
  p0 = vmlal_s8(p0, vget_high_s8(a0), vget_high_s8(b0));
  int16x8_t p1 = vmull_s8(vget_low_s8(a1), vget_low_s8(b1));
  p1 = vmlal_s8(p1, vget_high_s8(a1), vget_high_s8(b1));
  return vaddlvq_s16(p0) + vaddlvq_s16(p1);
#endif
}

float dot_q4_0(const uint8_t* row, int64_t K, const int8_t* qx, const float* dx) {
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  const int8x16_t eight = vdupq_n_s8(8);
  float acc = 0.0f;
  for (int64_t b = 0; b < K / kQ4_0Block; ++b) {
    const uint8_t* blk = row + b * kQ4_0Bytes;
    const uint8x16_t bytes = vld1q_u8(blk + 2);
    const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(bytes, m4)), eight);
    const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(bytes, 4)), eight);
    const int8_t* y = qx + b * kQ4_0Block;
    const int32_t isum = dot32(lo, vld1q_s8(y), hi, vld1q_s8(y + 16));
    acc += (f16_at(blk) * dx[b]) * float(isum);
  }
  return acc;
}

float dot_q4_k(const uint8_t* row, int64_t K, const int8_t* qx, const float* dx, const int32_t* sx) {
  const uint8x16_t m4 = vdupq_n_u8(0x0f);
  float acc = 0.0f;
  for (int64_t b = 0; b < K / kQ4KBlock; ++b) {
    const uint8_t* blk = row + b * kQ4KBytes;
    const float d = f16_at(blk), dmin = f16_at(blk + 2);
    for (int g = 0; g < 4; ++g) {
      const uint8x16_t q0 = vld1q_u8(blk + 16 + 32 * g), q1 = vld1q_u8(blk + 16 + 32 * g + 16);
      const int8_t* y = qx + b * kQ4KBlock + 64 * g;
      const int32_t isum[2] = {
          dot32(vreinterpretq_s8_u8(vandq_u8(q0, m4)), vld1q_s8(y), vreinterpretq_s8_u8(vandq_u8(q1, m4)), vld1q_s8(y + 16)),
          dot32(vreinterpretq_s8_u8(vshrq_n_u8(q0, 4)), vld1q_s8(y + 32), vreinterpretq_s8_u8(vshrq_n_u8(q1, 4)),
                vld1q_s8(y + 48))};
      for (int h = 0; h < 2; ++h) {
        const int j = 2 * g + h;
        uint8_t sc, m;
        q4k_scale_min(j, blk + 4, sc, m);
        const int64_t xb = b * 8 + j;
        acc += dx[xb] * ((d * float(sc)) * float(isum[h]) - (dmin * float(m)) * float(sx[xb]));
      }
    }
  }
  return acc;
}

void matmul_rows_q4_neon(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y,
                         int64_t ldy) {
  const int64_t nbx = x.ld / kQ8ActBlock;
  for (int32_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.row_ptr(r);
    for (int32_t t = 0; t < T; ++t) {
      const int8_t* qx = x.q + int64_t(t) * x.ld;
      const float* dx = x.d + int64_t(t) * nbx;
      y[int64_t(t) * ldy + r] = w.dtype == DType::Q4_0 ? dot_q4_0(row, w.cols, qx, dx)
                                                       : dot_q4_k(row, w.cols, qx, dx, x.sum + int64_t(t) * nbx);
    }
  }
}

}  // namespace

const Q4Kernels& q4_kernels_neon() {
  static const Q4Kernels k = {"neon", matmul_rows_q4_neon, quantize_acts_scalar};
  return k;
}

}  // namespace colm
#endif  // __aarch64__
