// The scalar reference for Q4_0 / Q4_K weights times 8-bit activations (colm/quant_q4.h): per
// block an exact integer sum, then the block's float32 term added in order.
#include <cstring>

#include "colm/quant_q4.h"

namespace colm {

namespace {

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

float dot_q4_0(const uint8_t* row, int64_t K, const int8_t* qx, const float* dx) {
  float acc = 0.0f;
  for (int64_t b = 0; b < K / kQ4_0Block; ++b) {
    const uint8_t* blk = row + b * kQ4_0Bytes;
    const int8_t* y = qx + b * kQ4_0Block;
    int32_t isum = 0;
    for (int i = 0; i < 16; ++i) isum += (int(blk[2 + i] & 15) - 8) * y[i] + (int(blk[2 + i] >> 4) - 8) * y[i + 16];
    acc += (f16_at(blk) * dx[b]) * float(isum);
  }
  return acc;
}

float dot_q4_k(const uint8_t* row, int64_t K, const int8_t* qx, const float* dx, const int32_t* sx) {
  float acc = 0.0f;
  for (int64_t b = 0; b < K / kQ4KBlock; ++b) {
    const uint8_t* blk = row + b * kQ4KBytes;
    const float d = f16_at(blk), dmin = f16_at(blk + 2);
    const uint8_t* qs = blk + 16;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      q4k_scale_min(j, blk + 4, sc, m);
      const int8_t* y = qx + b * kQ4KBlock + 32 * j;
      const int shift = (j & 1) * 4;
      int32_t isum = 0;
      for (int i = 0; i < 32; ++i) isum += int((qs[32 * (j / 2) + i] >> shift) & 15) * y[i];
      const int64_t xb = b * 8 + j;
      acc += dx[xb] * ((d * float(sc)) * float(isum) - (dmin * float(m)) * float(sx[xb]));
    }
  }
  return acc;
}

void matmul_rows_q4_scalar(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y,
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

const Q4Kernels& q4_kernels_scalar() {
  static const Q4Kernels k = {"scalar", matmul_rows_q4_scalar, quantize_acts_scalar};
  return k;
}

}  // namespace colm
