// AVX2 + FMA + F16C kernels (x86-64 from Haswell / Zen on). This file alone is compiled with
// those instruction sets enabled; cpu_kernels_available() offers it only when the CPU has them.
//
// matmul_rows has two paths:
// - decode (T == 1), memory-bound: stream each weight row once, widening F16/BF16 in
//   registers, 4 rows at a time with 2 accumulators each to hide FMA latency; Q8_0 rows widen
//   int8 -> int32 -> float32 and take their block's scale once per 32 columns;
// - prefill (T > 1), compute-bound: a blocked GEMM on packed operands with an outer-product
//   micro-kernel (Q8_0 weights are dequantized into the float32 slivers, so the micro-kernel is
//   the same); see "prefill" below.
// A row's result never depends on which other rows share its tile, so a row computes the same
// bits whatever the thread split (the nested-model tests compare bit for bit).
// Compiled only where CMake enables it (x86-64); on other CPUs this file is empty.
#if defined(COLM_HAVE_AVX2)
#include <immintrin.h>

#include <algorithm>

#include "colm/kernels.h"
#include "pack.h"
#include "decode_attention_body.h"
#include "softmax_body.h"

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
// Scales come 8 blocks at a time as float32 (F16 ones widened into `chunk` once per 8 blocks), so
// each block's scale is one broadcast from memory.
template <int R, DType SD>
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
  // As gemv_rows: the same columns two groups of rows ahead, since hardware prefetchers stop at
  // page boundaries and each row of a group streams from its own pages.
  const int64_t ahead = 2 * int64_t(R) * w.ld;
  const int64_t whole = K / kQ8Block;
  alignas(32) float chunk[R][8];
  for (int64_t b0 = 0; b0 < whole; b0 += 8) {
    const int64_t nb = std::min<int64_t>(8, whole - b0);
    const float* sc[R];
    for (int j = 0; j < R; ++j) {
      if (SD == DType::F32) {
        sc[j] = reinterpret_cast<const float*>(scales[j]) + b0;
      } else {
        if (nb == 8)
          _mm256_store_ps(chunk[j], _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales[j] + 2 * b0))));
        else
          for (int64_t i = 0; i < nb; ++i) chunk[j][i] = q8_scale_at(scales[j], SD, b0 + i);
        sc[j] = chunk[j];
      }
    }
    for (int64_t i = 0; i < nb; ++i) {
      const int64_t c = (b0 + i) * kQ8Block;
      const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
      const __m256 x2 = _mm256_loadu_ps(x + c + 16), x3 = _mm256_loadu_ps(x + c + 24);
      for (int j = 0; j < R; ++j) {
        if ((i & 1) == 0) _mm_prefetch(reinterpret_cast<const char*>(rows[j] + ahead + c), _MM_HINT_T0);
        __m256 sum = _mm256_mul_ps(load8_i8(rows[j] + c), x0);
        sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 8), x1, sum);
        sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 16), x2, sum);
        sum = _mm256_fmadd_ps(load8_i8(rows[j] + c + 24), x3, sum);
        acc[j] = _mm256_fmadd_ps(_mm256_broadcast_ss(sc[j] + i), sum, acc[j]);
      }
    }
  }
  const int64_t c = whole * kQ8Block;
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
      total += q8_scale_at(scales[j], SD, whole) * tail;
    }
    y[r + j] = total;
  }
}

template <DType SD>
void gemv_all_q8(const WeightView& w, int32_t r0, int32_t r1, const float* x, float* y) {
  int32_t r = r0;
  for (; r + 4 <= r1; r += 4) gemv_rows_q8<4, SD>(w, r, x, y);
  for (; r < r1; ++r) gemv_rows_q8<1, SD>(w, r, x, y);
}

// ---- prefill: many input rows ----
//
// A GEMM in the style of BLIS on packed operands. The inputs are packed once per product
// (pack_x, shared by the threads): per K block of kKC columns, tiles of 6 rows, each column of a
// tile 6 consecutive floats, so a chunk of tiles of one K block is one stretch of memory. The
// weights are widened (Q8_0 dequantized) into the float32 scratch one block at a time: kNC rows
// x kKC columns, stored as slivers of 16 rows, column-major inside a sliver (sliver[c][0..16)).
//
//   for each block of kNC weight rows                       (the task's rows, in blocks)
//     for each K block of kKC columns: pack the block       (256 KiB: stays in L2)
//       for each chunk of kMCTiles input tiles              (126 x 256 floats: stays in L2)
//         for each sliver of 16 weight rows                 (16 KiB: stays in L1)
//           for each tile of 6 input rows in the chunk      (streams from L2)
//             micro-kernel: a 6 x 16 block of Y += tile x sliver over the kKC columns
//
// While a block is multiplied, the next weight block and the next input chunk are prefetched a
// few lines per micro-kernel call (BlockPrefetch): weight rows are pages apart and would
// otherwise be packed straight from DRAM.
//
// The micro-kernel keeps the 6 x 16 block in 12 ymm accumulators; per column it loads 2 sliver
// vectors, broadcasts 6 inputs and issues 12 FMAs (15 of the 16 registers). A last tile of 1 to
// 3 rows takes two slivers at once (micro_kernel_pair) so it still has 6 to 12 independent
// accumulators. The kernel starts from zero on the first K block and from the stored Y
// afterwards, so every output (t, row) is one lane summing its products in column order from 0:
// a row gets the same bits whatever the blocking, the tile or sliver it lands in, the rows
// beside it or the thread split.

constexpr int kNR = 16;       // weight rows per sliver: 2 ymm
constexpr int kXTile = 6;     // input rows per tile (MR): 12 accumulators + 2 sliver vectors + 1 broadcast
constexpr int64_t kKC = 256;  // columns per K block: a 16 x 256 sliver is 16 KiB (Zen 3's L1 is 32 KiB)
constexpr int kNC = 256;      // weight rows per packed block, at most (also bounded by the scratch)
constexpr int kMCTiles = 21;  // input tiles per chunk: 126 rows x 256 columns = 126 KiB

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

// sliver[c * 16 + j] = W[r + j][k0 + c] as float32 for c < kc (zero for j >= rows), 8 x 8
// blocks at a time through an in-register transpose. k0 is a multiple of 32, so a Q8_0 group of
// 8 columns never straddles two scale blocks. DT is a template argument so that the loads of
// whole groups carry no per-load dtype branch.
template <DType DT>
void pack_sliver_dt(const WeightView& w, int32_t r, int rows, int64_t k0, int64_t kc, float* sliver) {
  const int64_t full = kc / 8 * 8;
  for (int half = 0; half < 2; ++half) {
    const uint8_t* row[8];
    for (int i = 0; i < 8; ++i) row[i] = half * 8 + i < rows ? w.row_ptr(r + half * 8 + i) : nullptr;
    for (int64_t c = 0; c < kc; c += 8) {
      __m256 block[8];
      for (int i = 0; i < 8; ++i) {
        if (row[i] == nullptr) {
          block[i] = _mm256_setzero_ps();
        } else if (c < full) {
          if (DT == DType::Q8_0) {
            // Q8_0 rows are dequantized here, into the float sliver
            const float s = q8_scale_at(w.scale_row_ptr(r + half * 8 + i), w.scale_dtype, (k0 + c) / kQ8Block);
            block[i] = _mm256_mul_ps(load8_i8(reinterpret_cast<const int8_t*>(row[i]) + k0 + c), _mm256_set1_ps(s));
          } else {
            block[i] = load8(row[i], DT, k0 + c);
          }
        } else {
          alignas(32) float buf[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          for (int64_t e = 0; e < kc - c; ++e) buf[e] = element_row(w, r + half * 8 + i, k0 + c + e);
          block[i] = _mm256_load_ps(buf);
        }
      }
      transpose8(block);
      const int64_t n = kc - c >= 8 ? 8 : kc - c;
      for (int64_t i = 0; i < n; ++i) _mm256_storeu_ps(sliver + (c + i) * kNR + half * 8, block[i]);
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

// Y[t][0..16) (+)= sum over c < kc of xt[c * 6 + t] * sliver[c * 16 + 0..16), t < MR; y rows
// are ldy apart. Starts from zero when `first`, else from Y.
// The accumulators are named registers, not arrays: with `__m256 acc[6][2]` GCC 12 stored every
// accumulator back to the stack on each column, which halved the kernel's speed (54 against 108
// GFLOP/s, one Zen 5 core). The row steps are macros so that MR < 6 drops rows at compile time.
#define COLM_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5)
template <int MR>
COLM_NOINLINE void micro_kernel(const float* sliver, const float* xt, int64_t kc, float* y, int64_t ldy,
                                            bool first) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 a00 = zero, a01 = zero, a10 = zero, a11 = zero, a20 = zero, a21 = zero;
  __m256 a30 = zero, a31 = zero, a40 = zero, a41 = zero, a50 = zero, a51 = zero;
#define COLM_LOAD(i)                                  \
  if (MR > i && !first) {                             \
    a##i##0 = _mm256_loadu_ps(y + i * ldy);           \
    a##i##1 = _mm256_loadu_ps(y + i * ldy + 8);       \
  }
#define COLM_STEP(i)                                  \
  if (MR > i) {                                       \
    const __m256 xv = _mm256_broadcast_ss(xt + i);    \
    a##i##0 = _mm256_fmadd_ps(w0, xv, a##i##0);       \
    a##i##1 = _mm256_fmadd_ps(w1, xv, a##i##1);       \
  }
#define COLM_STORE(i)                                 \
  if (MR > i) {                                       \
    _mm256_storeu_ps(y + i * ldy, a##i##0);           \
    _mm256_storeu_ps(y + i * ldy + 8, a##i##1);       \
  }
  COLM_ROWS(COLM_LOAD)
  for (int64_t c = 0; c < kc; ++c) {
    const __m256 w0 = _mm256_loadu_ps(sliver), w1 = _mm256_loadu_ps(sliver + 8);
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

// A short tile (MR <= 3 input rows) against two neighbouring full slivers at once: 4 x MR
// accumulators instead of 2 x MR, so the FMAs do not wait on each other's latency. Each lane
// sums in the same order as in micro_kernel, so the bits are the same.
#define COLM_ROWS(X) X(0) X(1) X(2)
template <int MR>
COLM_NOINLINE void micro_kernel_pair(const float* sliver0, const float* sliver1, const float* xt, int64_t kc, float* y,
                                     int64_t ldy, bool first) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 a00 = zero, a01 = zero, a02 = zero, a03 = zero, a10 = zero, a11 = zero, a12 = zero, a13 = zero;
  __m256 a20 = zero, a21 = zero, a22 = zero, a23 = zero;
#define COLM_LOAD(i)                                   \
  if (MR > i && !first) {                              \
    a##i##0 = _mm256_loadu_ps(y + i * ldy);            \
    a##i##1 = _mm256_loadu_ps(y + i * ldy + 8);        \
    a##i##2 = _mm256_loadu_ps(y + i * ldy + 16);       \
    a##i##3 = _mm256_loadu_ps(y + i * ldy + 24);       \
  }
#define COLM_STEP(i)                                   \
  if (MR > i) {                                        \
    const __m256 xv = _mm256_broadcast_ss(xt + i);     \
    a##i##0 = _mm256_fmadd_ps(w0, xv, a##i##0);        \
    a##i##1 = _mm256_fmadd_ps(w1, xv, a##i##1);        \
    a##i##2 = _mm256_fmadd_ps(w2, xv, a##i##2);        \
    a##i##3 = _mm256_fmadd_ps(w3, xv, a##i##3);        \
  }
#define COLM_STORE(i)                                  \
  if (MR > i) {                                        \
    _mm256_storeu_ps(y + i * ldy, a##i##0);            \
    _mm256_storeu_ps(y + i * ldy + 8, a##i##1);        \
    _mm256_storeu_ps(y + i * ldy + 16, a##i##2);       \
    _mm256_storeu_ps(y + i * ldy + 24, a##i##3);       \
  }
  COLM_ROWS(COLM_LOAD)
  for (int64_t c = 0; c < kc; ++c) {
    const __m256 w0 = _mm256_loadu_ps(sliver0), w1 = _mm256_loadu_ps(sliver0 + 8);
    const __m256 w2 = _mm256_loadu_ps(sliver1), w3 = _mm256_loadu_ps(sliver1 + 8);
    COLM_ROWS(COLM_STEP)
    sliver0 += kNR;
    sliver1 += kNR;
    xt += kXTile;
  }
  COLM_ROWS(COLM_STORE)
#undef COLM_LOAD
#undef COLM_STEP
#undef COLM_STORE
}
#undef COLM_ROWS

// One tile of n_t <= 6 input rows against one sliver whose first `rows` rows are real. A full
// tile works on Y in place; an edge tile goes through a 6 x 16 buffer so nothing outside the
// rows asked for is read or written.
void tile_times_sliver(const float* sliver, const float* xt, int64_t kc, float* y, int64_t ldy, int n_t, int rows, bool first) {
  if (rows == kNR) {
    switch (n_t) {
      case 6: micro_kernel<6>(sliver, xt, kc, y, ldy, first); return;
      case 5: micro_kernel<5>(sliver, xt, kc, y, ldy, first); return;
      case 4: micro_kernel<4>(sliver, xt, kc, y, ldy, first); return;
      case 3: micro_kernel<3>(sliver, xt, kc, y, ldy, first); return;
      case 2: micro_kernel<2>(sliver, xt, kc, y, ldy, first); return;
      default: micro_kernel<1>(sliver, xt, kc, y, ldy, first); return;
    }
  }
  alignas(32) float buf[kXTile * kNR] = {};
  if (!first)
    for (int t = 0; t < n_t; ++t)
      for (int j = 0; j < rows; ++j) buf[t * kNR + j] = y[t * ldy + j];
  micro_kernel<kXTile>(sliver, xt, kc, buf, kNR, first);
  for (int t = 0; t < n_t; ++t)
    for (int j = 0; j < rows; ++j) y[t * ldy + j] = buf[t * kNR + j];
}

void pack_x_avx2(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp, int32_t tile0, int32_t tile1) {
  pack_x_blocks<kXTile, kKC>(x, ldx, K, T, xp, tile0, tile1);
}

// `scratch` holds kMatmulScratchRows * w.cols floats: the packed weight block.
void matmul_rows_packed_avx2(const WeightView& w, int32_t r0, int32_t r1, const float* xp, int64_t k_packed,
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
          // Two full slivers side by side: a last tile of <= 3 rows takes them both at once.
          const bool pair = s % 2 == 0 && rows_b - s * kNR >= 2 * kNR;
          for (int32_t b = b0; b < b1; ++b) {
            prefetch_w.step();
            prefetch_x.step();
            const int32_t t = b * kXTile;
            const int n_t = T - t < kXTile ? T - t : kXTile;
            const float* xt = packed_x_tile<kXTile, kKC>(xp, k_packed, n_tiles, b, k0);
            float* yt = y + t * ldy + rb + s * kNR;
            if (n_t <= 3 && (s % 2 == 1 ? rows == kNR : rows_b - s * kNR >= 2 * kNR)) {
              // This short tile goes through micro_kernel_pair on the even sliver of the pair.
              if (!pair) continue;
              const float* next = sliver + kNR * kc;
              if (n_t == 3) micro_kernel_pair<3>(sliver, next, xt, kc, yt, ldy, k0 == 0);
              else if (n_t == 2) micro_kernel_pair<2>(sliver, next, xt, kc, yt, ldy, k0 == 0);
              else micro_kernel_pair<1>(sliver, next, xt, kc, yt, ldy, k0 == 0);
              continue;
            }
            tile_times_sliver(sliver, xt, kc, yt, ldy, n_t, rows, k0 == 0);
          }
        }
      }
    }
  }
}

void matmul_rows_avx2(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
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
  pack_x_avx2(x, ldx, w.cols, T, xp, 0, (T + kXTile - 1) / kXTile);
  matmul_rows_packed_avx2(w, r0, r1, xp, w.cols, y, ldy, T, scratch);
}

}  // namespace

const CpuKernels& cpu_kernels_avx2() {
  static const CpuKernels k = {"avx2",    matmul_rows_avx2, kXTile, pack_x_avx2, matmul_rows_packed_avx2,
                               dot_avx2, axpy_avx2, weighted_row_sum_avx2, weighted_row_sum_view_avx2,
                               narrow_row_avx2, softmax_row_max, softmax_exp_scaled_sum,
                               group_scores_impl, group_values_impl};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX2
