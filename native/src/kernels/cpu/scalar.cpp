// The scalar reference kernels: plain loops that every vector variant must agree with.
#include "colm/kernels.h"

namespace colm {

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

}  // namespace

const CpuKernels& cpu_kernels_scalar() {
  static const CpuKernels k = {"scalar", matmul_rows_scalar, 0, nullptr, nullptr, dot_scalar, axpy_scalar,
                               weighted_row_sum_scalar};
  return k;
}

}  // namespace colm
