// The scalar reference kernels: plain loops that every vector variant must agree with.
#include <cstring>
#include <vector>

#include "colm/kernels.h"
#include "decode_attention_body.h"
#include "softmax_body.h"

namespace colm {

uint16_t round_to_bf16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if ((b & 0x7fffffffu) > 0x7f800000u) return uint16_t((b >> 16) | 0x0040u);  // NaN: quiet, sign kept
  return uint16_t((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);  // to nearest even; a carry is right (to inf)
}

uint16_t round_to_f16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  // NaN as VCVTPS2PH gives it: quiet, sign and the top payload bits kept.
  if ((b & 0x7fffffffu) > 0x7f800000u) return uint16_t(((b >> 16) & 0x8000u) | 0x7e00u | ((b & 0x7fffffu) >> 13));
  return f32_to_f16(f);
}

namespace {

float dot_scalar(const float* a, const float* b, int32_t n) {
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy_scalar(float a, const float* x, float* y, int32_t n) {
  for (int32_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void matmul_rows_scalar(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                        float* y, int64_t ldy, int32_t T, float* scratch) {
  for (int32_t r = r0; r < r1; ++r) {
    // Widen (or dequantize) the row once, then reuse it for every input row t.
    const float* row;
    if (w.dtype == DType::F32) {
      row = reinterpret_cast<const float*>(w.row_ptr(r));
    } else {
      widen_row(w, r, scratch);
      row = scratch;
    }
    for (int32_t t = 0; t < T; ++t) y[t * ldy + r] = dot_scalar(x + t * ldx, row, w.cols);
  }
}

void weighted_row_sum_scalar(const float* weights, int32_t n, const float* rows, int64_t ld, int32_t width, float* out,
                             bool accumulate) {
  if (!accumulate)
    for (int32_t d = 0; d < width; ++d) out[d] = 0.0f;
  for (int32_t p = 0; p < n; ++p) axpy_scalar(weights[p], rows + p * ld, out, width);
}

// The reference for every variant: widen a row (widen_row), then the float32 sum above.
void weighted_row_sum_view_scalar(const float* weights, int32_t n, const WeightView& rows, float* out, bool accumulate) {
  if (rows.dtype == DType::F32) {
    weighted_row_sum_scalar(weights, n, static_cast<const float*>(rows.data), rows.ld, rows.cols, out, accumulate);
    return;
  }
  thread_local std::vector<float> row;
  row.resize(size_t(rows.cols));
  if (!accumulate)
    for (int32_t d = 0; d < rows.cols; ++d) out[d] = 0.0f;
  for (int32_t p = 0; p < n; ++p) {
    widen_row(rows, p, row.data());
    axpy_scalar(weights[p], row.data(), out, rows.cols);
  }
}

void narrow_row_scalar(const float* src, int32_t n, DType t, uint16_t* dst) {
  if (t == DType::F16)
    for (int32_t i = 0; i < n; ++i) dst[i] = round_to_f16(src[i]);
  else
    for (int32_t i = 0; i < n; ++i) dst[i] = round_to_bf16(src[i]);
}

}  // namespace

const CpuKernels& cpu_kernels_scalar() {
  static const CpuKernels k = {"scalar", matmul_rows_scalar, 0, nullptr, nullptr, dot_scalar, axpy_scalar,
                               weighted_row_sum_scalar, weighted_row_sum_view_scalar, narrow_row_scalar, softmax_row_max, softmax_exp_scaled_sum,
                               group_scores_impl, group_values_impl};
  return k;
}

}  // namespace colm
