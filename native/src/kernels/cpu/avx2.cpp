// AVX2 + FMA + F16C kernels (x86-64 from Haswell / Zen on). This file alone is compiled with
// those instruction sets enabled; cpu_kernels_available() offers it only when the CPU has them.
//
// matmul_rows has two paths:
// - decode (T == 1), memory-bound: stream each weight row once, widening F16/BF16 in
//   registers, 4 rows at a time with 2 accumulators each to hide FMA latency;
// - prefill (T > 1), compute-bound: widen a tile of 3 rows once into scratch, then a 3 x 4
//   register tile (3 rows by 4 input rows, 12 accumulators) walks K.
// A row's result never depends on which other rows share its tile, so a row computes the same
// bits whatever the thread split (the nested-model tests compare bit for bit).
#include <immintrin.h>

#include "colm/kernels.h"

namespace colm {

namespace {

inline __m256 load8(const uint8_t* base, DType t, int64_t i) {
  switch (t) {
    case DType::F32:
      return _mm256_loadu_ps(reinterpret_cast<const float*>(base) + i);
    case DType::F16:
      return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 2 * i)));
    case DType::BF16:
    default:
      return _mm256_castsi256_ps(_mm256_slli_epi32(
          _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(base + 2 * i))), 16));
  }
}

inline float element(const uint8_t* base, DType t, int64_t i) {
  if (t == DType::F32) return reinterpret_cast<const float*>(base)[i];
  uint16_t h;
  __builtin_memcpy(&h, base + 2 * i, 2);
  return t == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
}

inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  sums = _mm_add_ss(sums, shuf);
  return _mm_cvtss_f32(sums);
}

float dot_avx2(const float* a, const float* b, int32_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int32_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  float sum = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy_avx2(float a, const float* x, float* y, int32_t n) {
  const __m256 va = _mm256_set1_ps(a);
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  for (; i < n; ++i) y[i] += a * x[i];
}

// ---- decode: one input row ----

// One weight row against x: the same reduction order whether the row runs alone or in a group.
template <int R>
void gemv_rows(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const uint8_t* rows[R];
  for (int j = 0; j < R; ++j) rows[j] = w.row_ptr(r + j);
  __m256 acc0[R], acc1[R];
  for (int j = 0; j < R; ++j) acc0[j] = acc1[j] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + 16 <= K; c += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
    for (int j = 0; j < R; ++j) {
      acc0[j] = _mm256_fmadd_ps(load8(rows[j], w.dtype, c), x0, acc0[j]);
      acc1[j] = _mm256_fmadd_ps(load8(rows[j], w.dtype, c + 8), x1, acc1[j]);
    }
  }
  if (c + 8 <= K) {
    const __m256 x0 = _mm256_loadu_ps(x + c);
    for (int j = 0; j < R; ++j) acc0[j] = _mm256_fmadd_ps(load8(rows[j], w.dtype, c), x0, acc0[j]);
    c += 8;
  }
  for (int j = 0; j < R; ++j) {
    float sum = hsum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t cc = c; cc < K; ++cc) sum += element(rows[j], w.dtype, cc) * x[cc];
    y[r + j] = sum;
  }
}

// ---- prefill: many input rows ----

// Columns per pass: a tile's weight rows and input rows for one pass stay in L1.
constexpr int64_t kKBlock = 256;

// y[t][j] (+)= dot over columns [c0, c1) of wrow[j] and x[t] for an RB x TB tile; rows are
// float32 (widened if needed); the first pass (c0 == 0) stores, later passes add.
template <int RB, int TB>
void gemm_tile(const float* const* wrow, const float* x, int64_t ldx, int64_t c0, int64_t c1, float* y, int64_t ldy) {
  __m256 acc[RB][TB];
  for (int j = 0; j < RB; ++j)
    for (int t = 0; t < TB; ++t) acc[j][t] = _mm256_setzero_ps();
  int64_t c = c0;
  for (; c + 8 <= c1; c += 8) {
    __m256 wv[RB];
    for (int j = 0; j < RB; ++j) wv[j] = _mm256_loadu_ps(wrow[j] + c);
    for (int t = 0; t < TB; ++t) {
      const __m256 xv = _mm256_loadu_ps(x + t * ldx + c);
      for (int j = 0; j < RB; ++j) acc[j][t] = _mm256_fmadd_ps(wv[j], xv, acc[j][t]);
    }
  }
  for (int j = 0; j < RB; ++j) {
    for (int t = 0; t < TB; ++t) {
      float sum = hsum(acc[j][t]);
      for (int64_t cc = c; cc < c1; ++cc) sum += wrow[j][cc] * x[t * ldx + cc];
      y[t * ldy + j] = c0 == 0 ? sum : y[t * ldy + j] + sum;
    }
  }
}

template <int RB>
void gemm_rows(const float* const* wrow, const float* x, int64_t ldx, int64_t K, float* y, int64_t ldy, int32_t T) {
  for (int64_t c0 = 0; c0 < K; c0 += kKBlock) {
    const int64_t c1 = c0 + kKBlock < K ? c0 + kKBlock : K;
    int32_t t = 0;
    for (; t + 4 <= T; t += 4) gemm_tile<RB, 4>(wrow, x + t * ldx, ldx, c0, c1, y + t * ldy, ldy);
    for (; t < T; ++t) gemm_tile<RB, 1>(wrow, x + t * ldx, ldx, c0, c1, y + t * ldy, ldy);
  }
}

void matmul_rows_avx2(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                      float* y, int64_t ldy, int32_t T, float* scratch) {
  if (T == 1) {
    int32_t r = r0;
    for (; r + 4 <= r1; r += 4) gemv_rows<4>(w, r, x, y);
    for (; r < r1; ++r) gemv_rows<1>(w, r, x, y);
    return;
  }
  const int64_t K = w.cols;
  constexpr int RB = 3;
  for (int32_t r = r0; r < r1; r += RB) {
    const int rb = r1 - r < RB ? r1 - r : RB;
    const float* rows[RB];
    for (int j = 0; j < rb; ++j) {
      if (w.dtype == DType::F32) {
        rows[j] = reinterpret_cast<const float*>(w.row_ptr(r + j));
      } else {
        float* dst = scratch + j * K;
        const uint8_t* src = w.row_ptr(r + j);
        int64_t c = 0;
        for (; c + 8 <= K; c += 8) _mm256_storeu_ps(dst + c, load8(src, w.dtype, c));
        for (; c < K; ++c) dst[c] = element(src, w.dtype, c);
        rows[j] = dst;
      }
    }
    if (rb == 3) gemm_rows<3>(rows, x, ldx, K, y + r, ldy, T);
    else if (rb == 2) gemm_rows<2>(rows, x, ldx, K, y + r, ldy, T);
    else gemm_rows<1>(rows, x, ldx, K, y + r, ldy, T);
  }
}

}  // namespace

const CpuKernels& cpu_kernels_avx2() {
  static const CpuKernels k = {"avx2", matmul_rows_avx2, dot_avx2, axpy_avx2};
  return k;
}

}  // namespace colm
