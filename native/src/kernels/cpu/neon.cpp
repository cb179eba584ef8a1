// NEON kernels for arm64 (Apple silicon, Snapdragon, Graviton). NEON is part of the arm64
// base, so no run-time check is needed there. F16 rows widen with vcvt_f32_f16; BF16 rows by
// shifting the 16 bits into the top of a float32; Q8_0 rows int8 -> int16 -> int32 -> float32,
// scaled once per 32-column block.
#if defined(__aarch64__)
#include <arm_neon.h>

#include "colm/kernels.h"
#include "decode_attention_body.h"
#include "softmax_body.h"

namespace colm {

namespace {

inline float32x4_t load4(const uint8_t* base, DType t, int64_t i) {
  switch (t) {
    case DType::F32:
      return vld1q_f32(reinterpret_cast<const float*>(base) + i);
    case DType::F16:
      return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(base + 2 * i))));
    case DType::BF16:
    default:
      return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(reinterpret_cast<const uint16_t*>(base + 2 * i)), 16));
  }
}

inline float element(const uint8_t* base, DType t, int64_t i) {
  if (t == DType::F32) return reinterpret_cast<const float*>(base)[i];
  uint16_t h;
  __builtin_memcpy(&h, base + 2 * i, 2);
  return t == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
}

float dot_neon(const float* a, const float* b, int32_t n) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy_neon(float a, const float* x, float* y, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) vst1q_f32(y + i, vfmaq_n_f32(vld1q_f32(y + i), vld1q_f32(x + i), a));
  for (; i < n; ++i) y[i] += a * x[i];
}

void weighted_row_sum_neon(const float* weights, int32_t n, const float* rows, int64_t ld, int32_t width, float* out,
                           bool accumulate) {
  if (!accumulate)
    for (int32_t d = 0; d < width; ++d) out[d] = 0.0f;
  for (int32_t p = 0; p < n; ++p) axpy_neon(weights[p], rows + p * ld, out, width);
}

// ---- the KV cache in a narrow type: value rows widened in registers, rows rounded on store ----

// 4 values of row p from column c (c a multiple of 4, all 4 inside the row), as widen_row gives
// them: F16/BF16 widened, Q8_0 as float(q) * scale (4 int8 copied out: nothing past the row is read).
inline float32x4_t kv_load4(const WeightView& v, int32_t p, int64_t c) {
  if (v.dtype != DType::Q8_0) return load4(v.row_ptr(p), v.dtype, c);
  int8_t q4[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  __builtin_memcpy(q4, v.row_ptr(p) + c, 4);
  const int32x4_t i32 = vmovl_s16(vget_low_s16(vmovl_s8(vld1_s8(q4))));
  return vmulq_n_f32(vcvtq_f32_s32(i32), q8_scale(v.scale_row_ptr(p), v.scale_dtype, c / kQ8Block));
}

inline float kv_element(const WeightView& v, int32_t p, int64_t c) {
  if (v.dtype != DType::Q8_0) return element(v.row_ptr(p), v.dtype, c);
  return float(reinterpret_cast<const int8_t*>(v.row_ptr(p))[c]) * q8_scale(v.scale_row_ptr(p), v.scale_dtype, c / kQ8Block);
}

// As weighted_row_sum_neon (one output pass per row, in row order), reading narrow rows.
void weighted_row_sum_view_neon(const float* weights, int32_t n, const WeightView& rows, float* out, bool accumulate) {
  if (rows.dtype == DType::F32) {
    weighted_row_sum_neon(weights, n, static_cast<const float*>(rows.data), rows.ld, rows.cols, out, accumulate);
    return;
  }
  const int32_t width = rows.cols;
  if (!accumulate)
    for (int32_t d = 0; d < width; ++d) out[d] = 0.0f;
  for (int32_t p = 0; p < n; ++p) {
    int32_t d = 0;
    for (; d + 4 <= width; d += 4) vst1q_f32(out + d, vfmaq_n_f32(vld1q_f32(out + d), kv_load4(rows, p, d), weights[p]));
    for (; d < width; ++d) out[d] += weights[p] * kv_element(rows, p, d);
  }
}

// F16 by vcvt_f16_f32 (the default FPCR rounding: to nearest even); BF16 by adding 0x7fff plus
// the kept lowest bit, as round_to_bf16 does, NaN lanes made quiet.
void narrow_row_neon(const float* src, int32_t n, DType t, uint16_t* dst) {
  int32_t i = 0;
  if (t == DType::F16) {
    for (; i + 4 <= n; i += 4) vst1_u16(dst + i, vreinterpret_u16_f16(vcvt_f16_f32(vld1q_f32(src + i))));
    for (; i < n; ++i) dst[i] = round_to_f16(src[i]);
    return;
  }
  for (; i + 4 <= n; i += 4) {
    const float32x4_t v = vld1q_f32(src + i);
    const uint32x4_t b = vreinterpretq_u32_f32(v);
    const uint32x4_t hi = vshrq_n_u32(b, 16);
    const uint32x4_t r = vshrq_n_u32(vaddq_u32(b, vaddq_u32(vdupq_n_u32(0x7fff), vandq_u32(hi, vdupq_n_u32(1)))), 16);
    const uint32x4_t not_nan = vceqq_f32(v, v);
    vst1_u16(dst + i, vmovn_u32(vbslq_u32(not_nan, r, vorrq_u32(hi, vdupq_n_u32(0x40)))));
  }
  for (; i < n; ++i) dst[i] = round_to_bf16(src[i]);
}

// 16 int8 weights as four float32 vectors (int8 -> int16 -> int32 -> float32).
inline void widen16_i8(const int8_t* p, float32x4_t* out) {
  const int8x16_t q = vld1q_s8(p);
  const int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_s8(vget_high_s8(q));
  out[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
  out[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
  out[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
  out[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
}

// One Q8_0 row against one input row: per 32-column block the int8 products are summed in
// float32 and scaled once; the last, shorter block goes one by one.
float dot_row_q8(const WeightView& w, int32_t r, const float* x) {
  const int64_t K = w.cols;
  const int8_t* q = reinterpret_cast<const int8_t*>(w.row_ptr(r));
  const uint8_t* scales = w.scale_row_ptr(r);
  float32x4_t acc = vdupq_n_f32(0);
  int64_t c = 0;
  for (; c + kQ8Block <= K; c += kQ8Block) {
    float32x4_t v[8];
    widen16_i8(q + c, v);
    widen16_i8(q + c + 16, v + 4);
    float32x4_t sum = vmulq_f32(v[0], vld1q_f32(x + c));
    for (int i = 1; i < 8; ++i) sum = vfmaq_f32(sum, v[i], vld1q_f32(x + c + 4 * i));
    acc = vfmaq_n_f32(acc, sum, q8_scale(scales, w.scale_dtype, c / kQ8Block));
  }
  float total = vaddvq_f32(acc);
  if (c < K) {
    float tail = 0.0f;
    for (int64_t cc = c; cc < K; ++cc) tail += float(q[cc]) * x[cc];
    total += q8_scale(scales, w.scale_dtype, c / kQ8Block) * tail;
  }
  return total;
}

void matmul_rows_neon(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                      float* y, int64_t ldy, int32_t T, float* scratch) {
  const int64_t K = w.cols;
  if (w.dtype == DType::Q8_0) {
    for (int32_t r = r0; r < r1; ++r)
      for (int32_t t = 0; t < T; ++t) y[t * ldy + r] = dot_row_q8(w, r, x + t * ldx);
    return;
  }
  for (int32_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.row_ptr(r);
    for (int32_t t = 0; t < T; ++t) {
      const float* xt = x + t * ldx;
      float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
      int64_t c = 0;
      for (; c + 8 <= K; c += 8) {
        acc0 = vfmaq_f32(acc0, load4(row, w.dtype, c), vld1q_f32(xt + c));
        acc1 = vfmaq_f32(acc1, load4(row, w.dtype, c + 4), vld1q_f32(xt + c + 4));
      }
      float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
      for (; c < K; ++c) sum += element(row, w.dtype, c) * xt[c];
      y[t * ldy + r] = sum;
    }
  }
}

}  // namespace

const CpuKernels& cpu_kernels_neon() {
  static const CpuKernels k = {"neon", matmul_rows_neon, 0, nullptr, nullptr, dot_neon, axpy_neon, weighted_row_sum_neon,
                               weighted_row_sum_view_neon, narrow_row_neon, softmax_row_max, softmax_exp_scaled_sum,
                               group_scores_impl, group_values_impl};
  return k;
}

}  // namespace colm
#endif
