// AVX2 + FMA + F16C kernels (x86-64 from Haswell / Zen on). This file alone is compiled with
// those instruction sets enabled; cpu_kernels_available() offers it only when the CPU has them.
//
// matmul_rows has two paths:
// - decode (T == 1), memory-bound: stream each weight row once, widening F16/BF16 in
//   registers, 4 rows at a time with 2 accumulators each to hide FMA latency; Q8_0 rows widen
//   int8 -> int32 -> float32 and take their block's scale once per 32 columns;
// - prefill (T > 1), compute-bound: packed operands and an outer-product micro-kernel (Q8_0
//   weights are dequantized into the float32 panel, so the micro-kernel is the same).
// A row's result never depends on which other rows share its tile, so a row computes the same
// bits whatever the thread split (the nested-model tests compare bit for bit).
// Compiled only where CMake enables it (x86-64); on other CPUs this file is empty.
#if defined(COLM_HAVE_AVX2)
#include <immintrin.h>

#include "colm/kernels.h"
#include "pack.h"

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

// ---- Q8_0 (docs/FORMAT-Q8.md): int8 -> int32 -> float32, times the scale of the 32-column block ----

// 8 int8 weights as float32.
inline __m256 load8_i8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// Scale of block b of a scale row; F16C widens an F16 scale in one instruction.
inline float q8_scale_at(const uint8_t* scale_row, DType scale_dtype, int64_t b) {
  if (scale_dtype == DType::F32) return reinterpret_cast<const float*>(scale_row)[b];
  uint16_t h;
  __builtin_memcpy(&h, scale_row + 2 * b, 2);
  return _cvtsh_ss(h);
}

// 8 weights of row r from column c (c a multiple of 8, all 8 inside the row), as float32.
inline __m256 load8_row(const WeightView& w, int32_t r, int64_t c) {
  if (w.dtype != DType::Q8_0) return load8(w.row_ptr(r), w.dtype, c);
  const float s = q8_scale_at(w.scale_row_ptr(r), w.scale_dtype, c / kQ8Block);
  return _mm256_mul_ps(load8_i8(reinterpret_cast<const int8_t*>(w.row_ptr(r)) + c), _mm256_set1_ps(s));
}

inline float element_row(const WeightView& w, int32_t r, int64_t c) {
  if (w.dtype != DType::Q8_0) return element(w.row_ptr(r), w.dtype, c);
  const int8_t q = reinterpret_cast<const int8_t*>(w.row_ptr(r))[c];
  return float(q) * q8_scale_at(w.scale_row_ptr(r), w.scale_dtype, c / kQ8Block);
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

// Output columns in chunks of 32 (4 registers) kept in registers while the rows stream by.
void weighted_row_sum_avx2(const float* weights, int32_t n, const float* rows, int64_t ld, int32_t width, float* out,
                           bool accumulate) {
  int32_t d = 0;
  for (; d + 32 <= width; d += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    if (accumulate) {
      a0 = _mm256_loadu_ps(out + d);
      a1 = _mm256_loadu_ps(out + d + 8);
      a2 = _mm256_loadu_ps(out + d + 16);
      a3 = _mm256_loadu_ps(out + d + 24);
    }
    for (int32_t p = 0; p < n; ++p) {
      const __m256 w = _mm256_broadcast_ss(weights + p);
      const float* r = rows + p * ld + d;
      a0 = _mm256_fmadd_ps(w, _mm256_loadu_ps(r), a0);
      a1 = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 8), a1);
      a2 = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 16), a2);
      a3 = _mm256_fmadd_ps(w, _mm256_loadu_ps(r + 24), a3);
    }
    _mm256_storeu_ps(out + d, a0);
    _mm256_storeu_ps(out + d + 8, a1);
    _mm256_storeu_ps(out + d + 16, a2);
    _mm256_storeu_ps(out + d + 24, a3);
  }
  for (; d + 8 <= width; d += 8) {
    __m256 a0 = accumulate ? _mm256_loadu_ps(out + d) : _mm256_setzero_ps();
    for (int32_t p = 0; p < n; ++p) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(weights + p), _mm256_loadu_ps(rows + p * ld + d), a0);
    _mm256_storeu_ps(out + d, a0);
  }
  for (; d < width; ++d) {
    float sum = accumulate ? out[d] : 0.0f;
    for (int32_t p = 0; p < n; ++p) sum += weights[p] * rows[p * ld + d];
    out[d] = sum;
  }
}

// ---- the KV cache in a narrow type: value rows widened in registers, rows rounded on store ----

// 8 values of row p from column c (c a multiple of 8, all 8 inside the row), as widen_row gives
// them: F16/BF16 widened, Q8_0 as float(q) * scale of the 32-column block.
template <DType DT>
inline __m256 kv_load8(const WeightView& v, int32_t p, int64_t c) {
  if (DT == DType::Q8_0) {
    const float s = q8_scale_at(v.scale_row_ptr(p), v.scale_dtype, c / kQ8Block);
    return _mm256_mul_ps(load8_i8(reinterpret_cast<const int8_t*>(v.row_ptr(p)) + c), _mm256_set1_ps(s));
  }
  return load8(v.row_ptr(p), DT, c);
}

// weighted_row_sum_avx2's loops over a narrow view: same chunks, same order of FMAs per lane.
template <DType DT>
void weighted_row_sum_narrow(const float* weights, int32_t n, const WeightView& v, float* out, bool accumulate) {
  const int32_t width = v.cols;
  int32_t d = 0;
  for (; d + 32 <= width; d += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    if (accumulate) {
      a0 = _mm256_loadu_ps(out + d);
      a1 = _mm256_loadu_ps(out + d + 8);
      a2 = _mm256_loadu_ps(out + d + 16);
      a3 = _mm256_loadu_ps(out + d + 24);
    }
    for (int32_t p = 0; p < n; ++p) {
      const __m256 w = _mm256_broadcast_ss(weights + p);
      a0 = _mm256_fmadd_ps(w, kv_load8<DT>(v, p, d), a0);
      a1 = _mm256_fmadd_ps(w, kv_load8<DT>(v, p, d + 8), a1);
      a2 = _mm256_fmadd_ps(w, kv_load8<DT>(v, p, d + 16), a2);
      a3 = _mm256_fmadd_ps(w, kv_load8<DT>(v, p, d + 24), a3);
    }
    _mm256_storeu_ps(out + d, a0);
    _mm256_storeu_ps(out + d + 8, a1);
    _mm256_storeu_ps(out + d + 16, a2);
    _mm256_storeu_ps(out + d + 24, a3);
  }
  for (; d + 8 <= width; d += 8) {
    __m256 a0 = accumulate ? _mm256_loadu_ps(out + d) : _mm256_setzero_ps();
    for (int32_t p = 0; p < n; ++p) a0 = _mm256_fmadd_ps(_mm256_broadcast_ss(weights + p), kv_load8<DT>(v, p, d), a0);
    _mm256_storeu_ps(out + d, a0);
  }
  for (; d < width; ++d) {
    float sum = accumulate ? out[d] : 0.0f;
    for (int32_t p = 0; p < n; ++p) sum += weights[p] * element_row(v, p, d);
    out[d] = sum;
  }
}

void weighted_row_sum_view_avx2(const float* weights, int32_t n, const WeightView& rows, float* out, bool accumulate) {
  switch (rows.dtype) {
    case DType::F16: weighted_row_sum_narrow<DType::F16>(weights, n, rows, out, accumulate); return;
    case DType::BF16: weighted_row_sum_narrow<DType::BF16>(weights, n, rows, out, accumulate); return;
    case DType::Q8_0: weighted_row_sum_narrow<DType::Q8_0>(weights, n, rows, out, accumulate); return;
    default:
      weighted_row_sum_avx2(weights, n, static_cast<const float*>(rows.data), rows.ld, rows.cols, out, accumulate);
  }
}

// F16 through F16C (round to nearest even); BF16 by adding 0x7fff plus the kept lowest bit, as
// round_to_bf16 does, NaN lanes blended in quiet.
void narrow_row_avx2(const float* src, int32_t n, DType t, uint16_t* dst) {
  int32_t i = 0;
  if (t == DType::F16) {
    for (; i + 8 <= n; i += 8)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    for (; i < n; ++i) dst[i] = _cvtss_sh(src[i], _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return;
  }
  const __m256i bias = _mm256_set1_epi32(0x7fff), one = _mm256_set1_epi32(1), quiet = _mm256_set1_epi32(0x40);
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(src + i);
    const __m256i b = _mm256_castps_si256(v);
    const __m256i hi = _mm256_srli_epi32(b, 16);
    __m256i r = _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(bias, _mm256_and_si256(hi, one))), 16);
    r = _mm256_blendv_epi8(r, _mm256_or_si256(hi, quiet), _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    // 8 values <= 0xffff: pack (per 128-bit lane), then gather the two lanes' low halves.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm256_castsi256_si128(packed));
  }
  for (; i < n; ++i) dst[i] = round_to_bf16(src[i]);
}

// ---- decode: one input row ----

// One weight row against x: the same reduction order whether the row runs alone or in a group.
// DT is a template argument so each dtype gets its own loop: with the dtype a run-time value the
// compiler kept a branch per load and spilled an accumulator (F16 decode was 12% slower).
template <int R, DType DT>
void gemv_rows(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const uint8_t* rows[R];
  for (int j = 0; j < R; ++j) rows[j] = w.row_ptr(r + j);
  __m256 acc0[R], acc1[R];
  for (int j = 0; j < R; ++j) acc0[j] = acc1[j] = _mm256_setzero_ps();
  // Prefetch the same columns two row groups ahead (page-bound streams; see avx512.cpp).
  const size_t es = dtype_size(DT);
  const int64_t ahead = 2 * int64_t(R) * w.ld * int64_t(es);
  int64_t c = 0;
  for (; c + 16 <= K; c += 16) {
    const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
    for (int j = 0; j < R; ++j) {
      if ((c & 31) == 0) _mm_prefetch(reinterpret_cast<const char*>(rows[j] + ahead + c * int64_t(es)), _MM_HINT_T0);
      acc0[j] = _mm256_fmadd_ps(load8(rows[j], DT, c), x0, acc0[j]);
      acc1[j] = _mm256_fmadd_ps(load8(rows[j], DT, c + 8), x1, acc1[j]);
    }
  }
  if (c + 8 <= K) {
    const __m256 x0 = _mm256_loadu_ps(x + c);
    for (int j = 0; j < R; ++j) acc0[j] = _mm256_fmadd_ps(load8(rows[j], DT, c), x0, acc0[j]);
    c += 8;
  }
  for (int j = 0; j < R; ++j) {
    float sum = hsum(_mm256_add_ps(acc0[j], acc1[j]));
    for (int64_t cc = c; cc < K; ++cc) sum += element(rows[j], DT, cc) * x[cc];
    y[r + j] = sum;
  }
}

template <DType DT>
void gemv_all(const WeightView& w, int32_t r0, int32_t r1, const float* x, float* y) {
  int32_t r = r0;
  for (; r + 4 <= r1; r += 4) gemv_rows<4, DT>(w, r, x, y);
  for (; r < r1; ++r) gemv_rows<1, DT>(w, r, x, y);
}

// Q8_0 rows against x: per 32-column block, the int8 products summed in float32, then scaled
// and added into the row's accumulator (one multiply by the scale per block, not per weight).
template <int R>
void gemv_rows_q8(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const int8_t* rows[R];
  const uint8_t* scales[R];
  for (int j = 0; j < R; ++j) {
    rows[j] = reinterpret_cast<const int8_t*>(w.row_ptr(r + j));
    scales[j] = w.scale_row_ptr(r + j);
  }
  __m256 acc[R];
  for (int j = 0; j < R; ++j) acc[j] = _mm256_setzero_ps();
  int64_t c = 0;
  for (; c + kQ8Block <= K; c += kQ8Block) {
    const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
    const __m256 x2 = _mm256_loadu_ps(x + c + 16), x3 = _mm256_loadu_ps(x + c + 24);
    const int64_t b = c / kQ8Block;
    for (int j = 0; j < R; ++j) {
      __m256 sum = _mm256_mul_ps(load8_i8(rows[j] + c), x0);
      sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 8), x1, sum);
      sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 16), x2, sum);
      sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 24), x3, sum);
      acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(q8_scale_at(scales[j], w.scale_dtype, b)), sum, acc[j]);
    }
  }
  for (int j = 0; j < R; ++j) {
    float total = hsum(acc[j]);
    if (c < K) {
      // The last, shorter block: whole groups of 8 in registers, the rest one by one (nothing
      // past the row's end is read: it may be the end of the mapped file).
      __m256 sum = _mm256_setzero_ps();
      int64_t cc = c;
      for (; cc + 8 <= K; cc += 8) sum = _mm256_fmadd_ps(load8_i8(rows[j] + cc), _mm256_loadu_ps(x + cc), sum);
      float tail = hsum(sum);
      for (; cc < K; ++cc) tail += float(rows[j][cc]) * x[cc];
      total += q8_scale_at(scales[j], w.scale_dtype, c / kQ8Block) * tail;
    }
    y[r + j] = total;
  }
}

// ---- prefill: many input rows ----
//
// Outer-product micro-kernel on packed operands, as in avx512.cpp: a panel of 16 weight rows
// widened and stored column-major (panel[c][0..16)), inputs packed in tiles of 6 rows; each
// column costs 2 panel loads, 6 broadcasts and 12 FMAs into register accumulators. Each output
// is one lane summing in column order, so a row computes the same bits in any panel or tile.

constexpr int kPanel = 16;
constexpr int kXTile = 6;  // 12 accumulators + 2 panel vectors + 1 broadcast of 16 registers

inline void transpose8(__m256* r) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xee);
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xee);
  }
  for (int i = 0; i < 4; ++i) {
    r[i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x20);
    r[4 + i] = _mm256_permute2f128_ps(u[i], u[4 + i], 0x31);
  }
}

// panel[c * 16 + j] = W[r + j][c] as float32 (zero past `rows` and in the column tail).
void pack_panel(const WeightView& w, int32_t r, int rows, float* panel) {
  const int64_t K = w.cols;
  for (int half = 0; half < 2; ++half) {
    for (int64_t c = 0; c < K; c += 8) {
      const int64_t n = K - c >= 8 ? 8 : K - c;
      __m256 block[8];
      for (int i = 0; i < 8; ++i) {
        const int j = half * 8 + i;
        if (j >= rows) {
          block[i] = _mm256_setzero_ps();
        } else if (n == 8) {
          block[i] = load8_row(w, r + j, c);  // Q8_0 rows are dequantized here, into the float panel
        } else {
          alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          for (int64_t e = 0; e < n; ++e) buf[e] = element_row(w, r + j, c + e);
          block[i] = _mm256_load_ps(buf);
        }
      }
      transpose8(block);
      for (int64_t i = 0; i < n; ++i) _mm256_storeu_ps(panel + (c + i) * kPanel + half * 8, block[i]);
    }
  }
}

// One (6 inputs) x (16 rows) tile; stores rows t < n_t and the first `rows` columns.
void panel_tile(const float* panel, const float* xt, int64_t K, float* y, int64_t ldy, int n_t, int rows) {
  __m256 acc0[kXTile], acc1[kXTile];
  for (int t = 0; t < kXTile; ++t) acc0[t] = acc1[t] = _mm256_setzero_ps();
  for (int64_t c = 0; c < K; ++c) {
    const __m256 w0 = _mm256_loadu_ps(panel + c * kPanel);
    const __m256 w1 = _mm256_loadu_ps(panel + c * kPanel + 8);
    const float* xc = xt + c * kXTile;
    for (int t = 0; t < kXTile; ++t) {
      const __m256 xv = _mm256_broadcast_ss(xc + t);
      acc0[t] = _mm256_fmadd_ps(w0, xv, acc0[t]);
      acc1[t] = _mm256_fmadd_ps(w1, xv, acc1[t]);
    }
  }
  for (int t = 0; t < n_t; ++t) {
    if (rows == kPanel) {
      _mm256_storeu_ps(y + t * ldy, acc0[t]);
      _mm256_storeu_ps(y + t * ldy + 8, acc1[t]);
    } else {
      alignas(32) float buf[16];
      _mm256_store_ps(buf, acc0[t]);
      _mm256_store_ps(buf + 8, acc1[t]);
      for (int j = 0; j < rows; ++j) y[t * ldy + j] = buf[j];
    }
  }
}

void pack_x_avx2(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp) { pack_x_tiles<kXTile>(x, ldx, K, T, xp); }

void matmul_rows_packed_avx2(const WeightView& w, int32_t r0, int32_t r1, const float* xp, int64_t k_packed,
                             float* y, int64_t ldy, int32_t T, float* scratch) {
  const int64_t K = w.cols;
  for (int32_t r = r0; r < r1; r += kPanel) {
    const int rows = r1 - r < kPanel ? r1 - r : kPanel;
    pack_panel(w, r, rows, scratch);
    for (int32_t t = 0; t < T; t += kXTile) {
      const int n_t = T - t < kXTile ? T - t : kXTile;
      panel_tile(scratch, xp + int64_t(t / kXTile) * k_packed * kXTile, K, y + t * ldy + r, ldy, n_t, rows);
    }
  }
}

void matmul_rows_avx2(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                      float* y, int64_t ldy, int32_t T, float* scratch) {
  if (T == 1 && w.dtype == DType::Q8_0) {
    int32_t r = r0;
    for (; r + 4 <= r1; r += 4) gemv_rows_q8<4>(w, r, x, y);
    for (; r < r1; ++r) gemv_rows_q8<1>(w, r, x, y);
    return;
  }
  if (T == 1) {
    switch (w.dtype) {
      case DType::F32: gemv_all<DType::F32>(w, r0, r1, x, y); return;
      case DType::F16: gemv_all<DType::F16>(w, r0, r1, x, y); return;
      default: gemv_all<DType::BF16>(w, r0, r1, x, y); return;
    }
  }
  float* xp = scratch + int64_t(kPanel) * w.cols;
  pack_x_avx2(x, ldx, w.cols, T, xp);
  matmul_rows_packed_avx2(w, r0, r1, xp, w.cols, y, ldy, T, scratch);
}

}  // namespace

const CpuKernels& cpu_kernels_avx2() {
  static const CpuKernels k = {"avx2",    matmul_rows_avx2, kXTile, pack_x_avx2, matmul_rows_packed_avx2,
                               dot_avx2, axpy_avx2, weighted_row_sum_avx2, weighted_row_sum_view_avx2,
                               narrow_row_avx2};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX2
