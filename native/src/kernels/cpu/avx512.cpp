// AVX-512 (F, BW, VL, DQ) + F16C kernels. Same structure as avx2.cpp at twice the width;
// remainders use masked loads instead of scalar tails. Compiled with those sets enabled and
// offered only when the CPU (and the OS, for the wide registers) supports them.
#include <immintrin.h>

#include "colm/kernels.h"

namespace colm {

namespace {

inline __mmask16 tail_mask(int64_t n) { return __mmask16((1u << n) - 1u); }

// 16 elements from element i (or the first n < 16 of them under `m`, the rest zero).
inline __m512 load16(const uint8_t* base, DType t, int64_t i, __mmask16 m = 0xffff) {
  switch (t) {
    case DType::F32:
      return _mm512_maskz_loadu_ps(m, reinterpret_cast<const float*>(base) + i);
    case DType::F16:
      return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, base + 2 * i));
    case DType::BF16:
    default:
      return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, base + 2 * i)), 16));
  }
}

float dot_avx512(const float* a, const float* b, int32_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int32_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
  }
  return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

void axpy_avx512(float a, const float* x, float* y, int32_t n) {
  const __m512 va = _mm512_set1_ps(a);
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

// ---- decode ----

template <int R>
void gemv_rows(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const uint8_t* rows[R];
  for (int j = 0; j < R; ++j) rows[j] = w.row_ptr(r + j);
  __m512 acc0[R], acc1[R];
  for (int j = 0; j < R; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
  int64_t c = 0;
  for (; c + 32 <= K; c += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + c), x1 = _mm512_loadu_ps(x + c + 16);
    for (int j = 0; j < R; ++j) {
      acc0[j] = _mm512_fmadd_ps(load16(rows[j], w.dtype, c), x0, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(load16(rows[j], w.dtype, c + 16), x1, acc1[j]);
    }
  }
  for (; c < K; c += 16) {
    const __mmask16 m = K - c >= 16 ? __mmask16(0xffff) : tail_mask(K - c);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + c);
    for (int j = 0; j < R; ++j) acc0[j] = _mm512_fmadd_ps(load16(rows[j], w.dtype, c, m), xv, acc0[j]);
  }
  for (int j = 0; j < R; ++j) y[r + j] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[j], acc1[j]));
}

// ---- prefill ----

// Columns per pass: a tile's weight rows and input rows for one pass stay in L1, so the input
// rows stream from L2 once per pass instead of from further away.
constexpr int64_t kKBlock = 256;

// Adds the partial dot products over columns [c0, c1) to y (or stores them when c0 == 0).
template <int RB, int TB>
void gemm_tile(const float* const* wrow, const float* x, int64_t ldx, int64_t c0, int64_t c1, float* y, int64_t ldy) {
  __m512 acc[RB][TB];
  for (int j = 0; j < RB; ++j)
    for (int t = 0; t < TB; ++t) acc[j][t] = _mm512_setzero_ps();
  for (int64_t c = c0; c < c1; c += 16) {
    const __mmask16 m = c1 - c >= 16 ? __mmask16(0xffff) : tail_mask(c1 - c);
    __m512 wv[RB];
    for (int j = 0; j < RB; ++j) wv[j] = _mm512_maskz_loadu_ps(m, wrow[j] + c);
    for (int t = 0; t < TB; ++t) {
      const __m512 xv = _mm512_maskz_loadu_ps(m, x + t * ldx + c);
      for (int j = 0; j < RB; ++j) acc[j][t] = _mm512_fmadd_ps(wv[j], xv, acc[j][t]);
    }
  }
  for (int j = 0; j < RB; ++j)
    for (int t = 0; t < TB; ++t) {
      const float part = _mm512_reduce_add_ps(acc[j][t]);
      y[t * ldy + j] = c0 == 0 ? part : y[t * ldy + j] + part;
    }
}

template <int RB>
void gemm_rows(const float* const* wrow, const float* x, int64_t ldx, int64_t K, float* y, int64_t ldy, int32_t T) {
  for (int64_t c0 = 0; c0 < K; c0 += kKBlock) {
    const int64_t c1 = c0 + kKBlock < K ? c0 + kKBlock : K;
    int32_t t = 0;
    for (; t + 6 <= T; t += 6) gemm_tile<RB, 6>(wrow, x + t * ldx, ldx, c0, c1, y + t * ldy, ldy);
    for (; t < T; ++t) gemm_tile<RB, 1>(wrow, x + t * ldx, ldx, c0, c1, y + t * ldy, ldy);
  }
}

void matmul_rows_avx512(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                        float* y, int64_t ldy, int32_t T, float* scratch) {
  if (T == 1) {
    int32_t r = r0;
    for (; r + 4 <= r1; r += 4) gemv_rows<4>(w, r, x, y);
    for (; r < r1; ++r) gemv_rows<1>(w, r, x, y);
    return;
  }
  const int64_t K = w.cols;
  constexpr int RB = 4;
  for (int32_t r = r0; r < r1; r += RB) {
    const int rb = r1 - r < RB ? r1 - r : RB;
    const float* rows[RB];
    for (int j = 0; j < rb; ++j) {
      if (w.dtype == DType::F32) {
        rows[j] = reinterpret_cast<const float*>(w.row_ptr(r + j));
      } else {
        float* dst = scratch + j * K;
        const uint8_t* src = w.row_ptr(r + j);
        for (int64_t c = 0; c < K; c += 16) {
          const __mmask16 m = K - c >= 16 ? __mmask16(0xffff) : tail_mask(K - c);
          _mm512_mask_storeu_ps(dst + c, m, load16(src, w.dtype, c, m));
        }
        rows[j] = dst;
      }
    }
    switch (rb) {
      case 4: gemm_rows<4>(rows, x, ldx, K, y + r, ldy, T); break;
      case 3: gemm_rows<3>(rows, x, ldx, K, y + r, ldy, T); break;
      case 2: gemm_rows<2>(rows, x, ldx, K, y + r, ldy, T); break;
      default: gemm_rows<1>(rows, x, ldx, K, y + r, ldy, T); break;
    }
  }
}

}  // namespace

const CpuKernels& cpu_kernels_avx512() {
  static const CpuKernels k = {"avx512", matmul_rows_avx512, dot_avx512, axpy_avx512};
  return k;
}

}  // namespace colm
