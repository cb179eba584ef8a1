// AVX-512 (F, BW, VL, DQ) + F16C kernels. Same structure as avx2.cpp at twice the width;
// remainders use masked loads instead of scalar tails. Q8_0 weights: a 32-column block is two
// vectors of 16, widened int8 -> int32 -> float32 and scaled once per block. Compiled with those sets enabled and
// offered only when the CPU (and the OS, for the wide registers) supports them.
// Compiled only where CMake enables it (x86-64); on other CPUs this file is empty.
#if defined(COLM_HAVE_AVX512)
#include <immintrin.h>

#include <algorithm>

#include "colm/kernels.h"
#include "pack.h"
#include "decode_attention_body.h"
#include "softmax_body.h"

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

// ---- Q8_0 (docs/FORMAT-Q8.md): int8 -> int32 -> float32, times the scale of the 32-column block ----

// 16 int8 weights (or the first n < 16 under `m`, the rest zero) as float32.
inline __m512 load16_i8(const int8_t* p, __mmask16 m = 0xffff) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, p)));
}

inline float q8_scale_at(const uint8_t* scale_row, DType scale_dtype, int64_t b) {
  if (scale_dtype == DType::F32) return reinterpret_cast<const float*>(scale_row)[b];
  uint16_t h;
  __builtin_memcpy(&h, scale_row + 2 * b, 2);
  return _cvtsh_ss(h);
}

// 16 weights of row r from column c (a multiple of 16, so inside one block), as float32.
inline __m512 load16_row(const WeightView& w, int32_t r, int64_t c, __mmask16 m) {
  if (w.dtype != DType::Q8_0) return load16(w.row_ptr(r), w.dtype, c, m);
  const float s = q8_scale_at(w.scale_row_ptr(r), w.scale_dtype, c / kQ8Block);
  return _mm512_mul_ps(load16_i8(reinterpret_cast<const int8_t*>(w.row_ptr(r)) + c, m), _mm512_set1_ps(s));
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

// Output columns in chunks of 64 (4 registers) kept in registers while the rows stream by.
void weighted_row_sum_avx512(const float* weights, int32_t n, const float* rows, int64_t ld, int32_t width, float* out,
                             bool accumulate) {
  for (int32_t d = 0; d < width; d += 64) {
    const int32_t left = width - d;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xffff) : tail_mask(left);
    const __mmask16 m1 = left >= 32 ? __mmask16(0xffff) : left > 16 ? tail_mask(left - 16) : __mmask16(0);
    const __mmask16 m2 = left >= 48 ? __mmask16(0xffff) : left > 32 ? tail_mask(left - 32) : __mmask16(0);
    const __mmask16 m3 = left >= 64 ? __mmask16(0xffff) : left > 48 ? tail_mask(left - 48) : __mmask16(0);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    if (accumulate) {
      a0 = _mm512_maskz_loadu_ps(m0, out + d);
      if (m1) a1 = _mm512_maskz_loadu_ps(m1, out + d + 16);
      if (m2) a2 = _mm512_maskz_loadu_ps(m2, out + d + 32);
      if (m3) a3 = _mm512_maskz_loadu_ps(m3, out + d + 48);
    }
    for (int32_t p = 0; p < n; ++p) {
      const __m512 w = _mm512_set1_ps(weights[p]);
      const float* r = rows + p * ld + d;
      a0 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m0, r), a0);
      if (m1) a1 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m1, r + 16), a1);
      if (m2) a2 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m2, r + 32), a2);
      if (m3) a3 = _mm512_fmadd_ps(w, _mm512_maskz_loadu_ps(m3, r + 48), a3);
    }
    _mm512_mask_storeu_ps(out + d, m0, a0);
    _mm512_mask_storeu_ps(out + d + 16, m1, a1);
    _mm512_mask_storeu_ps(out + d + 32, m2, a2);
    _mm512_mask_storeu_ps(out + d + 48, m3, a3);
  }
}

// ---- the KV cache in a narrow type: value rows widened in registers, rows rounded on store ----

// 16 values of row p from column c (a multiple of 16, so inside one Q8_0 block; the first n < 16
// under `m`), as widen_row gives them: Q8_0 as float(q) * scale.
template <DType DT>
inline __m512 kv_load16(const WeightView& v, int32_t p, int64_t c, __mmask16 m) {
  if (DT == DType::Q8_0) {
    const float s = q8_scale_at(v.scale_row_ptr(p), v.scale_dtype, c / kQ8Block);
    return _mm512_mul_ps(load16_i8(reinterpret_cast<const int8_t*>(v.row_ptr(p)) + c, m), _mm512_set1_ps(s));
  }
  return load16(v.row_ptr(p), DT, c, m);
}

// weighted_row_sum_avx512's loops over a narrow view: same chunks, same order of FMAs per lane.
template <DType DT>
void weighted_row_sum_narrow(const float* weights, int32_t n, const WeightView& v, float* out, bool accumulate) {
  const int32_t width = v.cols;
  for (int32_t d = 0; d < width; d += 64) {
    const int32_t left = width - d;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xffff) : tail_mask(left);
    const __mmask16 m1 = left >= 32 ? __mmask16(0xffff) : left > 16 ? tail_mask(left - 16) : __mmask16(0);
    const __mmask16 m2 = left >= 48 ? __mmask16(0xffff) : left > 32 ? tail_mask(left - 32) : __mmask16(0);
    const __mmask16 m3 = left >= 64 ? __mmask16(0xffff) : left > 48 ? tail_mask(left - 48) : __mmask16(0);
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
    if (accumulate) {
      a0 = _mm512_maskz_loadu_ps(m0, out + d);
      if (m1) a1 = _mm512_maskz_loadu_ps(m1, out + d + 16);
      if (m2) a2 = _mm512_maskz_loadu_ps(m2, out + d + 32);
      if (m3) a3 = _mm512_maskz_loadu_ps(m3, out + d + 48);
    }
    for (int32_t p = 0; p < n; ++p) {
      const __m512 w = _mm512_set1_ps(weights[p]);
      a0 = _mm512_fmadd_ps(w, kv_load16<DT>(v, p, d, m0), a0);
      if (m1) a1 = _mm512_fmadd_ps(w, kv_load16<DT>(v, p, d + 16, m1), a1);
      if (m2) a2 = _mm512_fmadd_ps(w, kv_load16<DT>(v, p, d + 32, m2), a2);
      if (m3) a3 = _mm512_fmadd_ps(w, kv_load16<DT>(v, p, d + 48, m3), a3);
    }
    _mm512_mask_storeu_ps(out + d, m0, a0);
    _mm512_mask_storeu_ps(out + d + 16, m1, a1);
    _mm512_mask_storeu_ps(out + d + 32, m2, a2);
    _mm512_mask_storeu_ps(out + d + 48, m3, a3);
  }
}

void weighted_row_sum_view_avx512(const float* weights, int32_t n, const WeightView& rows, float* out, bool accumulate) {
  switch (rows.dtype) {
    case DType::F16: weighted_row_sum_narrow<DType::F16>(weights, n, rows, out, accumulate); return;
    case DType::BF16: weighted_row_sum_narrow<DType::BF16>(weights, n, rows, out, accumulate); return;
    case DType::Q8_0: weighted_row_sum_narrow<DType::Q8_0>(weights, n, rows, out, accumulate); return;
    default:
      weighted_row_sum_avx512(weights, n, static_cast<const float*>(rows.data), rows.ld, rows.cols, out, accumulate);
  }
}

// F16 through VCVTPS2PH (round to nearest even); BF16 by adding 0x7fff plus the kept lowest bit,
// as round_to_bf16 does, NaN lanes blended in quiet. The tail runs masked.
void narrow_row_avx512(const float* src, int32_t n, DType t, uint16_t* dst) {
  const __m512i bias = _mm512_set1_epi32(0x7fff), one = _mm512_set1_epi32(1), quiet = _mm512_set1_epi32(0x40);
  for (int32_t i = 0; i < n; i += 16) {
    const __mmask16 m = n - i >= 16 ? __mmask16(0xffff) : tail_mask(n - i);
    const __m512 v = _mm512_maskz_loadu_ps(m, src + i);
    __m256i h;
    if (t == DType::F16) {
      h = _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    } else {
      const __m512i b = _mm512_castps_si512(v);
      const __m512i hi = _mm512_srli_epi32(b, 16);
      __m512i r = _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(bias, _mm512_and_si512(hi, one))), 16);
      r = _mm512_mask_blend_epi32(_mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), r, _mm512_or_si512(hi, quiet));
      h = _mm512_cvtepi32_epi16(r);
    }
    _mm256_mask_storeu_epi16(dst + i, m, h);
  }
}

// ---- decode ----

// DT is a template argument so each dtype gets its own loop: with the dtype a run-time value the
// compiler kept a branch per load and spilled an accumulator (F16 decode was 12% slower).
template <int R, DType DT>
void gemv_rows(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const uint8_t* rows[R];
  for (int j = 0; j < R; ++j) rows[j] = w.row_ptr(r + j);
  __m512 acc0[R], acc1[R];
  for (int j = 0; j < R; ++j) acc0[j] = acc1[j] = _mm512_setzero_ps();
  // Four rows stream at once, each on its own pages (a 2048-wide BF16 row is one 4 KiB page, and
  // the prefix rows of sub-model k's LM head are short strided pieces): hardware prefetchers stop
  // at page boundaries, so fetch the same columns two groups of rows ahead while this group is
  // summed. Measured: dense-1b decode 89 -> 78 ms/token, air4-500m k = 1 8.7 -> 7.5 ms/token.
  const size_t es = dtype_size(DT);
  const int64_t ahead = 2 * int64_t(R) * w.ld * int64_t(es);
  int64_t c = 0;
  for (; c + 32 <= K; c += 32) {
    const __m512 x0 = _mm512_loadu_ps(x + c), x1 = _mm512_loadu_ps(x + c + 16);
    for (int j = 0; j < R; ++j) {
      _mm_prefetch(reinterpret_cast<const char*>(rows[j] + ahead + c * int64_t(es)), _MM_HINT_T0);
      acc0[j] = _mm512_fmadd_ps(load16(rows[j], DT, c), x0, acc0[j]);
      acc1[j] = _mm512_fmadd_ps(load16(rows[j], DT, c + 16), x1, acc1[j]);
    }
  }
  for (; c < K; c += 16) {
    const __mmask16 m = K - c >= 16 ? __mmask16(0xffff) : tail_mask(K - c);
    const __m512 xv = _mm512_maskz_loadu_ps(m, x + c);
    for (int j = 0; j < R; ++j) acc0[j] = _mm512_fmadd_ps(load16(rows[j], DT, c, m), xv, acc0[j]);
  }
  for (int j = 0; j < R; ++j) y[r + j] = _mm512_reduce_add_ps(_mm512_add_ps(acc0[j], acc1[j]));
}

template <DType DT>
void gemv_all(const WeightView& w, int32_t r0, int32_t r1, const float* x, float* y) {
  int32_t r = r0;
  for (; r + 4 <= r1; r += 4) gemv_rows<4, DT>(w, r, x, y);
  for (; r < r1; ++r) gemv_rows<1, DT>(w, r, x, y);
}

// Q8_0 rows against x: per 32-column block the int8 products are summed in float32, then
// scaled once and added into the row's accumulator. Scales come 16 blocks at a time as float32
// (F16 ones widened into `chunk` once per 16 blocks), so each block's scale is one broadcast
// from memory. The last, shorter block uses masked loads (of x too: whatever lies past K in x
// must not meet a zero weight as inf or NaN).
template <int R, DType SD>
void gemv_rows_q8(const WeightView& w, int32_t r, const float* x, float* y) {
  const int64_t K = w.cols;
  const int8_t* rows[R];
  const uint8_t* scales[R];
  for (int j = 0; j < R; ++j) {
    rows[j] = reinterpret_cast<const int8_t*>(w.row_ptr(r + j));
    scales[j] = w.scale_row_ptr(r + j);
  }
  __m512 acc[R];
  for (int j = 0; j < R; ++j) acc[j] = _mm512_setzero_ps();
  // As gemv_rows: the same columns two groups of rows ahead, since hardware prefetchers stop at
  // page boundaries and each row of a group streams from its own pages.
  const int64_t ahead = 2 * int64_t(R) * w.ld;
  const int64_t whole = K / kQ8Block;
  alignas(64) float chunk[R][16];
  for (int64_t b0 = 0; b0 < whole; b0 += 16) {
    const int64_t nb = std::min<int64_t>(16, whole - b0);
    const float* sc[R];
    for (int j = 0; j < R; ++j) {
      if (SD == DType::F32) {
        sc[j] = reinterpret_cast<const float*>(scales[j]) + b0;
      } else {
        const __m256i h = _mm256_maskz_loadu_epi16(tail_mask(nb), scales[j] + 2 * b0);
        _mm512_store_ps(chunk[j], _mm512_cvtph_ps(h));
        sc[j] = chunk[j];
      }
    }
    for (int64_t i = 0; i < nb; ++i) {
      const int64_t c = (b0 + i) * kQ8Block;
      const __m512 x0 = _mm512_loadu_ps(x + c), x1 = _mm512_loadu_ps(x + c + 16);
      for (int j = 0; j < R; ++j) {
        if ((i & 1) == 0) _mm_prefetch(reinterpret_cast<const char*>(rows[j] + ahead + c), _MM_HINT_T0);
        const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + c));
        const __m128i q1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(rows[j] + c + 16));
        __m512 sum = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q)), x0);
        sum = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q1)), x1, sum);
        acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(sc[j][i]), sum, acc[j]);
      }
    }
  }
  const int64_t c = whole * kQ8Block;
  if (c < K) {
    const int64_t left = K - c;
    const __mmask16 m0 = left >= 16 ? __mmask16(0xffff) : tail_mask(left);
    const __mmask16 m1 = left > 16 ? tail_mask(left - 16) : __mmask16(0);
    const __m512 x0 = _mm512_maskz_loadu_ps(m0, x + c), x1 = _mm512_maskz_loadu_ps(m1, x + c + 16);
    for (int j = 0; j < R; ++j) {
      __m512 sum = _mm512_mul_ps(load16_i8(rows[j] + c, m0), x0);
      if (m1) sum = _mm512_fmadd_ps(load16_i8(rows[j] + c + 16, m1), x1, sum);
      acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(q8_scale_at(scales[j], SD, whole)), sum, acc[j]);
    }
  }
  for (int j = 0; j < R; ++j) y[r + j] = _mm512_reduce_add_ps(acc[j]);
}

template <DType SD>
void gemv_all_q8(const WeightView& w, int32_t r0, int32_t r1, const float* x, float* y) {
  int32_t r = r0;
  for (; r + 4 <= r1; r += 4) gemv_rows_q8<4, SD>(w, r, x, y);
  for (; r < r1; ++r) gemv_rows_q8<1, SD>(w, r, x, y);
}

// ---- prefill ----
//
// The same BLIS-style GEMM as avx2.cpp at twice the width (see the loop nest and the prefetches
// there): inputs packed once per product in tiles of 12 rows per K block; weights widened (Q8_0 dequantized) into the
// scratch one block of kNC rows x kKC columns at a time, as slivers of 32 rows stored
// column-major (sliver[c][0..32)). The micro-kernel keeps a 12 x 32 block of Y in 24 zmm
// accumulators; per column it loads 2 sliver vectors, broadcasts 12 inputs and issues 24 FMAs.
// It starts from zero on the first K block and from the stored Y afterwards, so each output
// (t, row) is one lane summing its products in column order from 0: a row's result is the same
// whichever block, sliver or tile it lands in, and whatever rows or threads share the work.

constexpr int kNR = 32;       // weight rows per sliver: 2 zmm
constexpr int kXTile = 12;    // input rows per tile (MR): 24 accumulators + 2 sliver vectors + broadcasts
constexpr int64_t kKC = 256;  // columns per K block: a 32 x 256 sliver is 32 KiB (from L1, or L2 where L1 is 32 KiB)
constexpr int kNC = 256;      // weight rows per packed block, at most (also bounded by the scratch)
constexpr int kMCTiles = 10;  // input tiles per chunk: 120 rows x 256 columns = 120 KiB

// In-register transpose of a 16 x 16 block: r[i] holds row i on entry, column i on exit.
inline void transpose16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // Now lane L of r[4i + j] will hold rows 4i..4i+3 of column 4L + j.
  for (int i = 0; i < 4; ++i) {
    const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
    r[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    r[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    r[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    r[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  // Gather lane L of the four row groups into column 4L + j.
  __m512 out[16];
  for (int j = 0; j < 4; ++j) {
    const __m512 a = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88), b = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
    const __m512 a2 = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xdd), b2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xdd);
    out[j] = _mm512_shuffle_f32x4(a, b, 0x88);
    out[8 + j] = _mm512_shuffle_f32x4(a, b, 0xdd);
    out[4 + j] = _mm512_shuffle_f32x4(a2, b2, 0x88);
    out[12 + j] = _mm512_shuffle_f32x4(a2, b2, 0xdd);
  }
  for (int i = 0; i < 16; ++i) r[i] = out[i];
}

// sliver[c * 32 + j] = W[r + j][k0 + c] as float32 for c < kc (zero for j >= rows), 16 x 16
// blocks at a time through an in-register transpose. k0 is a multiple of 32, so 16 columns
// from a multiple of 16 lie in one Q8_0 scale block. DT is a template argument so that the
// loads carry no per-load dtype branch.
template <DType DT>
void pack_sliver_dt(const WeightView& w, int32_t r, int rows, int64_t k0, int64_t kc, float* sliver) {
  for (int half = 0; half < 2; ++half) {
    for (int64_t c = 0; c < kc; c += 16) {
      const __mmask16 m = kc - c >= 16 ? __mmask16(0xffff) : tail_mask(kc - c);
      __m512 block[16];
      for (int i = 0; i < 16; ++i) {
        const int j = half * 16 + i;
        if (j >= rows) {
          block[i] = _mm512_setzero_ps();
        } else if (DT == DType::Q8_0) {
          // Q8_0 rows are dequantized here, into the float sliver.
          const float s = q8_scale_at(w.scale_row_ptr(r + j), w.scale_dtype, (k0 + c) / kQ8Block);
          block[i] = _mm512_mul_ps(load16_i8(reinterpret_cast<const int8_t*>(w.row_ptr(r + j)) + k0 + c, m), _mm512_set1_ps(s));
        } else {
          block[i] = load16(w.row_ptr(r + j), DT, k0 + c, m);
        }
      }
      transpose16(block);
      const int64_t n = kc - c >= 16 ? 16 : kc - c;
      for (int64_t i = 0; i < n; ++i) _mm512_storeu_ps(sliver + (c + i) * kNR + half * 16, block[i]);
    }
  }
}

void pack_sliver(const WeightView& w, int32_t r, int rows, int64_t k0, int64_t kc, float* sliver) {
  switch (w.dtype) {
    case DType::F32: pack_sliver_dt<DType::F32>(w, r, rows, k0, kc, sliver); return;
    case DType::F16: pack_sliver_dt<DType::F16>(w, r, rows, k0, kc, sliver); return;
    case DType::Q8_0: pack_sliver_dt<DType::Q8_0>(w, r, rows, k0, kc, sliver); return;
    default: pack_sliver_dt<DType::BF16>(w, r, rows, k0, kc, sliver); return;
  }
}

// Y[t][j] (+)= sum over c < kc of xt[c * 12 + t] * sliver[c * 32 + j], t < MR, for the lanes j
// in masks m0 (j < 16) and m1 (j >= 16); y rows are ldy apart. Starts from zero when `first`,
// else from Y. The accumulators are named registers, not arrays: with arrays GCC 12 stored
// them back to the stack on every column (see avx2.cpp). The row steps are macros so that
// MR < 12 drops rows at compile time.
#define COLM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
template <int MR>
COLM_NOINLINE void micro_kernel(const float* sliver, const float* xt, int64_t kc, float* y, int64_t ldy, bool first,
                                __mmask16 m0, __mmask16 m1) {
  const __m512 zero = _mm512_setzero_ps();
  __m512 a0_0 = zero, a0_1 = zero, a1_0 = zero, a1_1 = zero, a2_0 = zero, a2_1 = zero, a3_0 = zero, a3_1 = zero;
  __m512 a4_0 = zero, a4_1 = zero, a5_0 = zero, a5_1 = zero, a6_0 = zero, a6_1 = zero, a7_0 = zero, a7_1 = zero;
  __m512 a8_0 = zero, a8_1 = zero, a9_0 = zero, a9_1 = zero, a10_0 = zero, a10_1 = zero, a11_0 = zero, a11_1 = zero;
#define COLM_LOAD(i)                                          \
  if (MR > i && !first) {                                     \
    a##i##_0 = _mm512_maskz_loadu_ps(m0, y + i * ldy);        \
    a##i##_1 = _mm512_maskz_loadu_ps(m1, y + i * ldy + 16);   \
  }
#define COLM_STEP(i)                                          \
  if (MR > i) {                                               \
    const __m512 xv = _mm512_set1_ps(xt[i]);                  \
    a##i##_0 = _mm512_fmadd_ps(w0, xv, a##i##_0);             \
    a##i##_1 = _mm512_fmadd_ps(w1, xv, a##i##_1);             \
  }
#define COLM_STORE(i)                                         \
  if (MR > i) {                                               \
    _mm512_mask_storeu_ps(y + i * ldy, m0, a##i##_0);         \
    _mm512_mask_storeu_ps(y + i * ldy + 16, m1, a##i##_1);    \
  }
  COLM_ROWS(COLM_LOAD)
  for (int64_t c = 0; c < kc; ++c) {
    const __m512 w0 = _mm512_loadu_ps(sliver), w1 = _mm512_loadu_ps(sliver + 16);
    COLM_ROWS(COLM_STEP)
    sliver += kNR;
    xt += kXTile;
  }
  COLM_ROWS(COLM_STORE)
#undef COLM_LOAD
#undef COLM_STEP
#undef COLM_STORE
}
#undef COLM_ROWS

// One tile of n_t <= 12 input rows against one sliver whose first `rows` rows are real.
void tile_times_sliver(const float* sliver, const float* xt, int64_t kc, float* y, int64_t ldy, int n_t, int rows, bool first) {
  const __mmask16 m0 = rows >= 16 ? __mmask16(0xffff) : tail_mask(rows);
  const __mmask16 m1 = rows >= 32 ? __mmask16(0xffff) : rows > 16 ? tail_mask(rows - 16) : __mmask16(0);
  switch (n_t) {
    case 12: micro_kernel<12>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 11: micro_kernel<11>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 10: micro_kernel<10>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 9: micro_kernel<9>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 8: micro_kernel<8>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 7: micro_kernel<7>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 6: micro_kernel<6>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 5: micro_kernel<5>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 4: micro_kernel<4>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 3: micro_kernel<3>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    case 2: micro_kernel<2>(sliver, xt, kc, y, ldy, first, m0, m1); return;
    default: micro_kernel<1>(sliver, xt, kc, y, ldy, first, m0, m1); return;
  }
}

void pack_x_avx512(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp, int32_t tile0, int32_t tile1) {
  pack_x_blocks<kXTile, kKC>(x, ldx, K, T, xp, tile0, tile1);
}

// `scratch` holds kMatmulScratchRows * w.cols floats: the packed weight block.
void matmul_rows_packed_avx512(const WeightView& w, int32_t r0, int32_t r1, const float* xp, int64_t k_packed,
                               float* y, int64_t ldy, int32_t T, float* scratch) {
  const int64_t K = w.cols;
  if (K <= 0) {
    for (int32_t t = 0; t < T; ++t)
      for (int32_t r = r0; r < r1; ++r) y[t * ldy + r] = 0.0f;
    return;
  }
  const int64_t kc_max = K < kKC ? K : kKC;
  int64_t nc = int64_t(kMatmulScratchRows) * K / kc_max;  // rows whose K block fits the scratch (>= 32)
  if (nc > kNC) nc = kNC;
  nc = nc / kNR * kNR;
  const int32_t n_tiles = (T + kXTile - 1) / kXTile;
  BlockPrefetch prefetch_w, prefetch_x;
  for (int32_t rb = r0; rb < r1; rb += int32_t(nc)) {
    const int rows_b = r1 - rb < nc ? r1 - rb : int(nc);
    const int n_slivers = (rows_b + kNR - 1) / kNR;
    for (int64_t k0 = 0; k0 < K; k0 += kc_max) {
      const int64_t kc = K - k0 < kc_max ? K - k0 : kc_max;
      for (int s = 0; s < n_slivers; ++s)
        pack_sliver(w, rb + s * kNR, rows_b - s * kNR < kNR ? rows_b - s * kNR : kNR, k0, kc, scratch + s * kNR * kc);
      // While this block is multiplied, fetch the next one: the next K block of these rows, or
      // the first K block of the next rows.
      const int64_t calls = int64_t(n_slivers) * n_tiles;
      if (k0 + kc < K) {
        prefetch_w.start_weights(w, rb, rows_b, k0 + kc, K - (k0 + kc) < kc_max ? K - (k0 + kc) : kc_max, calls);
      } else if (rb + nc < r1) {
        prefetch_w.start_weights(w, rb + int32_t(nc), r1 - (rb + nc) < nc ? r1 - (rb + int32_t(nc)) : int(nc), 0, kc_max, calls);
      } else {
        prefetch_w.stop();
      }
      for (int32_t b0 = 0; b0 < n_tiles; b0 += kMCTiles) {
        const int32_t b1 = n_tiles - b0 < kMCTiles ? n_tiles : b0 + kMCTiles;
        // And the next input chunk: the next tiles of this K block, or the first of the next one.
        {
          int64_t nk0 = k0;
          int32_t nb0 = b1;
          if (nb0 >= n_tiles) {
            nk0 = k0 + kc < K ? k0 + kc : 0;
            nb0 = 0;
          }
          const int64_t nkc = K - nk0 < kc_max ? K - nk0 : kc_max;
          const int32_t nb1 = n_tiles - nb0 < kMCTiles ? n_tiles : nb0 + kMCTiles;
          if (nk0 == 0 && nb0 == 0 && rb + nc >= r1) {
            prefetch_x.stop();
          } else {
            // The chunk is one stretch of memory: tiles [nb0, nb1) of one K block.
            const float* first = packed_x_tile<kXTile, kKC>(xp, k_packed, n_tiles, nb0, nk0);
            const float* last = packed_x_tile<kXTile, kKC>(xp, k_packed, n_tiles, nb1 - 1, nk0) + nkc * kXTile;
            prefetch_x.start(first, 0, (last - first) * 4, 1, int64_t(n_slivers) * (b1 - b0));
          }
        }
        for (int s = 0; s < n_slivers; ++s) {
          const float* sliver = scratch + s * kNR * kc;
          const int rows = rows_b - s * kNR < kNR ? rows_b - s * kNR : kNR;
          for (int32_t b = b0; b < b1; ++b) {
            prefetch_w.step();
            prefetch_x.step();
            const int32_t t = b * kXTile;
            const int n_t = T - t < kXTile ? T - t : kXTile;
            tile_times_sliver(sliver, packed_x_tile<kXTile, kKC>(xp, k_packed, n_tiles, b, k0), kc, y + t * ldy + rb + s * kNR, ldy, n_t, rows,
                              k0 == 0);
          }
        }
      }
    }
  }
}

void matmul_rows_avx512(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                        float* y, int64_t ldy, int32_t T, float* scratch) {
  if (T == 1 && w.dtype == DType::Q8_0) {
    if (w.scale_dtype == DType::F32)
      gemv_all_q8<DType::F32>(w, r0, r1, x, y);
    else
      gemv_all_q8<DType::F16>(w, r0, r1, x, y);
    return;
  }
  if (T == 1) {
    switch (w.dtype) {
      case DType::F32: gemv_all<DType::F32>(w, r0, r1, x, y); return;
      case DType::F16: gemv_all<DType::F16>(w, r0, r1, x, y); return;
      default: gemv_all<DType::BF16>(w, r0, r1, x, y); return;
    }
  }
  // Without a shared packed input (direct calls): pack it here, after the weight block's scratch.
  float* xp = scratch + int64_t(kMatmulScratchRows) * w.cols;
  pack_x_avx512(x, ldx, w.cols, T, xp, 0, (T + kXTile - 1) / kXTile);
  matmul_rows_packed_avx512(w, r0, r1, xp, w.cols, y, ldy, T, scratch);
}

}  // namespace

const CpuKernels& cpu_kernels_avx512() {
  static const CpuKernels k = {"avx512",     matmul_rows_avx512, kXTile, pack_x_avx512, matmul_rows_packed_avx512,
                               dot_avx512, axpy_avx512, weighted_row_sum_avx512, weighted_row_sum_view_avx512,
                               narrow_row_avx512, softmax_row_max, softmax_exp_scaled_sum,
                               group_scores_impl, group_values_impl};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX512
