// Opt-in precision mode (never chosen by default): decode with BF16 weights takes the AVX512-BF16
// dot product, which needs the activations rounded to BF16 too. Each weight row meets x in pairs
// (vdpbf16ps), accumulating in float32. Everything else (other dtypes, prefill, attention) runs
// the float32 AVX-512 kernels. Its error against float32 is measured by the native tests and by
// test/integration/precision-bf16.test.ts.
#if defined(COLM_HAVE_AVX512BF16)
#include <immintrin.h>

#include <vector>

#include "colm/kernels.h"

namespace colm {

const CpuKernels& cpu_kernels_avx512();

namespace {

// x rounded to BF16 (round to nearest even), zero-padded to a multiple of 32 elements.
void round_x_to_bf16(const float* x, int64_t K, std::vector<uint16_t>& out) {
  const int64_t padded = (K + 31) / 32 * 32;
  out.assign(size_t(padded), 0);
  for (int64_t c = 0; c < K; c += 32) {
    const int64_t left = K - c;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1u);
    const __mmask16 m1 = left >= 32 ? __mmask16(0xffff) : left > 16 ? __mmask16((1u << (left - 16)) - 1u) : __mmask16(0);
    const __m512 lo = _mm512_maskz_loadu_ps(m0, x + c);
    const __m512 hi = _mm512_maskz_loadu_ps(m1, x + c + 16);
    _mm512_storeu_si512(out.data() + c, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
}

template <int R>
void dot_rows_bf16(const WeightView& w, int32_t r, const uint16_t* xb, float* y) {
  const int64_t K = w.cols;
  __m512 acc[R];
  for (int j = 0; j < R; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t c = 0; c < K; c += 32) {
    const int64_t left = K - c;
    const __mmask32 m = left >= 32 ? __mmask32(0xffffffffu) : __mmask32((1u << left) - 1u);
    const __m512bh xv = (__m512bh)_mm512_loadu_si512(xb + c);
    for (int j = 0; j < R; ++j) {
      const __m512bh wv = (__m512bh)_mm512_maskz_loadu_epi16(m, w.row_ptr(r + j) + 2 * c);
      acc[j] = _mm512_dpbf16_ps(acc[j], wv, xv);
    }
  }
  for (int j = 0; j < R; ++j) y[r + j] = _mm512_reduce_add_ps(acc[j]);
}

void matmul_rows_bf16dot(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                         float* y, int64_t ldy, int32_t T, float* scratch) {
  if (T != 1 || w.dtype != DType::BF16) {
    cpu_kernels_avx512().matmul_rows(w, r0, r1, x, ldx, y, ldy, T, scratch);
    return;
  }
  thread_local std::vector<uint16_t> xb;
  round_x_to_bf16(x, w.cols, xb);
  int32_t r = r0;
  for (; r + 4 <= r1; r += 4) dot_rows_bf16<4>(w, r, xb.data(), y);
  for (; r < r1; ++r) dot_rows_bf16<1>(w, r, xb.data(), y);
}

}  // namespace

const CpuKernels& cpu_kernels_avx512_bf16() {
  static const CpuKernels k = [] {
    CpuKernels t = cpu_kernels_avx512();
    t.name = "avx512-bf16";
    t.matmul_rows = matmul_rows_bf16dot;
    // Prefill keeps the float32 packed path: x_tile / pack_x / matmul_rows_packed as in avx512.
    return t;
  }();
  return k;
}

}  // namespace colm
#endif
