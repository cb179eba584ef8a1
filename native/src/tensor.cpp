#include "colm/tensor.h"

#include "colm/quant_q4.h"

#include <algorithm>
#include <cmath>

namespace colm {

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "F32";
    case DType::F16: return "F16";
    case DType::BF16: return "BF16";
    case DType::I8: return "I8";
    case DType::Q8_0: return "Q8_0";
    case DType::Q4_0: return "Q4_0";
    case DType::Q4_K: return "Q4_K";
  }
  return "?";
}

uint16_t f32_to_f16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000u;
  const uint32_t exp = (b >> 23) & 0xffu;
  uint32_t mant = b & 0x7fffffu;
  if (exp == 0xffu) return uint16_t(sign | 0x7c00u | (mant ? 0x200u : 0u));  // inf, quiet NaN
  const int32_t e = int32_t(exp) - 127 + 15;
  if (e >= 31) return uint16_t(sign | 0x7c00u);  // too large: infinity
  if (e <= 0) {
    // A subnormal half (or zero): make the implicit one explicit and shift it in, rounding.
    if (e < -10) return uint16_t(sign);
    mant |= 0x800000u;
    const int shift = 14 - e;
    uint32_t h = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rest > half || (rest == half && (h & 1u))) ++h;
    return uint16_t(sign | h);
  }
  uint32_t h = (uint32_t(e) << 10) | (mant >> 13);
  const uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // a carry into the exponent is right
  return uint16_t(sign | h);
}

void widen_to_f32(const void* src, DType t, float* dst, int64_t n) {
  const uint8_t* p = static_cast<const uint8_t*>(src);
  switch (t) {
    case DType::F32:
      std::memcpy(dst, src, size_t(n) * 4);
      return;
    case DType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = f16_to_f32(h);
      }
      return;
    case DType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        dst[i] = bf16_to_f32(h);
      }
      return;
    case DType::I8:
    case DType::Q8_0:  // the integers alone; widen_row applies the scales
      for (int64_t i = 0; i < n; ++i) dst[i] = float(int8_t(p[i]));
      return;
    case DType::Q4_0:  // whole blocks (n a multiple of 32)
      dequantize_row_q4_0(p, n, dst);
      return;
    case DType::Q4_K:  // whole blocks (n a multiple of 256)
      dequantize_row_q4_k(p, n, dst);
      return;
  }
}

void widen_row(const WeightView& w, int64_t r, float* dst) {
  if (w.dtype != DType::Q8_0) {
    widen_to_f32(w.row_ptr(r), w.dtype, dst, w.cols);
    return;
  }
  const int8_t* q = reinterpret_cast<const int8_t*>(w.row_ptr(r));
  const uint8_t* s = w.scale_row_ptr(r);
  for (int64_t c = 0; c < w.cols; ++c) dst[c] = float(q[c]) * q8_scale(s, w.scale_dtype, c / kQ8Block);
}

void quantize_row_q8_0(const float* src, int64_t n, int8_t* q, void* scales, DType scale_dtype) {
  uint8_t* out = static_cast<uint8_t*>(scales);
  for (int64_t b = 0; b * kQ8Block < n; ++b) {
    const int64_t c0 = b * kQ8Block, c1 = std::min<int64_t>(n, c0 + kQ8Block);
    float absmax = 0.0f;
    for (int64_t c = c0; c < c1; ++c) absmax = std::max(absmax, std::fabs(src[c]));
    // Quantize against the scale as stored, so the rounding of an F16 scale is accounted for.
    float scale = absmax / 127.0f;
    if (scale_dtype == DType::F16) {
      const uint16_t h = f32_to_f16(scale);
      std::memcpy(out + 2 * b, &h, 2);
      scale = f16_to_f32(h);
    } else {
      std::memcpy(out + 4 * b, &scale, 4);
    }
    for (int64_t c = c0; c < c1; ++c) {
      const float v = scale == 0.0f ? 0.0f : std::round(src[c] / scale);  // std::round: ties away from zero
      q[c] = int8_t(std::max(-127.0f, std::min(127.0f, v)));
    }
  }
}

}  // namespace colm
