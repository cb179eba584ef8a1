// Q4_0 / Q4_K weights times 8-bit activations with AVX2 integer dot products (colm/quant_q4.h).
// Q4_0: the nibbles q stay unsigned for maddubs (unsigned x signed bytes) and the "- 8" comes in
// through the activations' minus8 lanes (colm/quant_q4.h); madd with ones sums pairs to int32.
// Q4_K: the nibbles are unsigned already, maddubs takes them as they are and the mins go through
// the activation block sums. Each block's int32 lanes become float32 and are scaled into lane
// accumulators, summed at the end of the row. Compiled with AVX2 + FMA + F16C only for this file.
#if defined(COLM_HAVE_AVX2)
#include <immintrin.h>

#include "colm/quant_q4.h"
#include "q4_rows_loop.h"

namespace colm {

namespace {

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline float hsum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  lo = _mm_add_ps(lo, _mm256_extractf128_ps(v, 1));
  __m128 shuf = _mm_movehdup_ps(lo);
  __m128 sums = _mm_add_ps(lo, shuf);
  shuf = _mm_movehl_ps(shuf, sums);
  return _mm_cvtss_f32(_mm_add_ss(sums, shuf));
}

// The 32 weights of a Q4_0 block as signed bytes q - 8, in element order.
inline __m256i q4_0_block(const uint8_t* qs) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i m4 = _mm_set1_epi8(0x0f);
  const __m128i lo = _mm_and_si128(bytes, m4), hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), m4);
  return _mm256_sub_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1), _mm256_set1_epi8(8));
}

// Signed x signed bytes, summed in 8 int32 lanes.
inline __m256i dot_i8(__m256i x, __m256i y) {
  const __m256i p16 = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x));
  return _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
}

// Unsigned x signed bytes, summed in 8 int32 lanes (no overflow: 2 * 15 * 127 < 32767).
inline __m256i dot_u8i8(__m256i u, __m256i y) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, y), _mm256_set1_epi16(1));
}

// The F16 scales of four Q4_0 blocks (72 bytes from g) as float: [d0, d1, d2, d3].
inline __m128 scales4(const uint8_t* g) {
  uint16_t h[4];
  for (int i = 0; i < 4; ++i) __builtin_memcpy(&h[i], g + i * kQ4_0Bytes, 2);
  uint64_t packed;
  __builtin_memcpy(&packed, h, 8);
  return _mm_cvtph_ps(_mm_cvtsi64_si128(int64_t(packed)));
}

// N input rows against one weight row: each block is unpacked once for all N, and input t's
// lanes see exactly the operations they would alone (so a row's result is the same bits in
// prefill, with N > 1, as in decode). Whole groups of four blocks, two blocks at a time: the
// unsigned nibbles (block i's low ones in 128-bit lane i % 2 of lo, high ones of hi) against
// Q8Acts::halves, with maddubs, the low and high products added as int16 (at most
// 2 * 2 * 15 * 127), madd to int32 lanes, then minus8 added (the "- 8"); the blocks after the
// last whole group one at a time with the sign trick. `ahead`: bytes from the row to prefetch.
template <int N>
void dot_q4_0(const uint8_t* row, int64_t K, const Q8Acts& x, int32_t t0, int64_t ahead, float* out) {
  const int64_t nb = K / kQ4_0Block, ng = nb / kQ4Group;
  constexpr int64_t kGroupBytes = kQ4Group * kQ4_0Bytes, kGroupActs = kQ4Group * kQ8ActBlock, kGroupLanes = 16;
  const __m256i m4 = _mm256_set1_epi8(0x0f), ones = _mm256_set1_epi16(1);
  const __m256i first_pair = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1), second_pair = _mm256_setr_epi32(2, 2, 2, 2, 3, 3, 3, 3);
  __m256 acc0[N], acc1[N];
  // Each input's three arrays, advanced one group at a time (no index arithmetic in the loop).
  const int8_t* xh[N];
  const int32_t* m8s[N];
  const float* dls[N];
  for (int t = 0; t < N; ++t) {
    acc0[t] = acc1[t] = _mm256_setzero_ps();
    const int64_t xt = int64_t(t0 + t) * x.ld;
    xh[t] = x.halves + xt;
    m8s[t] = x.minus8 + xt / 8;
    dls[t] = x.d_lanes + xt / 8;
  }
  const uint8_t* gp = row;
  for (int64_t g = 0; g < ng; ++g, gp += kGroupBytes) {
    _mm_prefetch(reinterpret_cast<const char*>(gp + ahead), _MM_HINT_T0);
    const __m256 d4 = _mm256_castps128_ps256(scales4(gp));
    const __m256 dw[2] = {_mm256_permutevar8x32_ps(d4, first_pair), _mm256_permutevar8x32_ps(d4, second_pair)};
    __m256i lo[2], hi[2];
    for (int h = 0; h < 2; ++h) {
      const uint8_t* b0 = gp + 2 * h * kQ4_0Bytes + 2;
      const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0))),
                                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + kQ4_0Bytes)), 1);
      lo[h] = _mm256_and_si256(q, m4);
      hi[h] = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
    }
    for (int t = 0; t < N; ++t) {
      const int8_t* xg = xh[t];
      const int32_t* m8 = m8s[t];
      const float* dl = dls[t];
      xh[t] += kGroupActs;
      m8s[t] += kGroupLanes;
      dls[t] += kGroupLanes;
      __m256 * const acc[2] = {&acc0[t], &acc1[t]};
      for (int h = 0; h < 2; ++h) {
        const __m256i xlo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg + 32 * h));
        const __m256i xhi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xg + 64 + 32 * h));
        const __m256i p16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo[h], xlo), _mm256_maddubs_epi16(hi[h], xhi));
        const __m256i p = _mm256_add_epi32(_mm256_madd_epi16(p16, ones), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(m8 + 8 * h)));
        const __m256 d = _mm256_mul_ps(dw[h], _mm256_loadu_ps(dl + 8 * h));
        *acc[h] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(p), *acc[h]);
      }
    }
  }
  for (int64_t b = ng * kQ4Group; b < nb; ++b) {
    const uint8_t* b0 = row + b * kQ4_0Bytes;
    const __m256i w0 = q4_0_block(b0 + 2);
    const float d0 = f16_at(b0);
    for (int t = 0; t < N; ++t) {
      const int64_t xt = int64_t(t0 + t) * x.ld;
      const __m256i p0 = dot_i8(w0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + xt + b * 32)));
      acc0[t] = _mm256_fmadd_ps(_mm256_set1_ps(d0 * x.d[xt / kQ8ActBlock + b]), _mm256_cvtepi32_ps(p0), acc0[t]);
    }
  }
  for (int t = 0; t < N; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t]));
}

// Q4_K: per block, the eight 6-bit scales and mins unpacked at once (q4k_scales_mins) into float
// vectors d * sc and dmin * m; per sub-block j, its 32 unsigned nibbles against its activations in
// 8 int32 lanes, scaled by (d * sc_j) * d_x[j] broadcast out of the 8-lane product; the mins as
// one 8-lane fma per block against d_x[j] * sum_x[j].
template <int N>
void dot_q4_k(const uint8_t* row, int64_t K, const Q8Acts& x, int32_t t0, int64_t ahead, float* out) {
  const Q8ActRows<N> a(x, t0);
  const int8_t* const* qx = a.q;
  const float* const* dx = a.d;
  const int32_t* const* sx = a.sum;
  __m256 acc0[N], acc1[N], mins[N];
  for (int t = 0; t < N; ++t) acc0[t] = acc1[t] = mins[t] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < K / kQ4KBlock; ++b) {
    const uint8_t* blk = row + b * kQ4KBytes;
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead + 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead + 128), _MM_HINT_T0);
    uint64_t sc, m;
    q4k_scales_mins(blk + 4, sc, m);
    const __m256 ds = _mm256_mul_ps(_mm256_set1_ps(f16_at(blk)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(sc)))));
    const __m256 dm = _mm256_mul_ps(_mm256_set1_ps(f16_at(blk + 2)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(m)))));
    __m256i lo[4], hi[4];
    for (int g = 0; g < 4; ++g) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * g));
      lo[g] = _mm256_and_si256(bytes, m4);
      hi[g] = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4);
    }
    for (int t = 0; t < N; ++t) {
      const __m256 dxb = _mm256_loadu_ps(dx[t] + b * 8);
      const __m256 f = _mm256_mul_ps(ds, dxb);
      const int8_t* y = qx[t] + b * kQ4KBlock;
      for (int g = 0; g < 4; ++g) {
        const __m256i p0 = dot_u8i8(lo[g], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + 64 * g)));
        const __m256i p1 = dot_u8i8(hi[g], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(y + 64 * g + 32)));
        acc0[t] = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(f, _mm256_set1_epi32(2 * g)), _mm256_cvtepi32_ps(p0), acc0[t]);
        acc1[t] = _mm256_fmadd_ps(_mm256_permutevar8x32_ps(f, _mm256_set1_epi32(2 * g + 1)), _mm256_cvtepi32_ps(p1), acc1[t]);
      }
      const __m256 dxs = _mm256_mul_ps(dxb, _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sx[t] + b * 8))));
      mins[t] = _mm256_fmadd_ps(dm, dxs, mins[t]);
    }
  }
  for (int t = 0; t < N; ++t) out[t] = hsum(_mm256_add_ps(acc0[t], acc1[t])) - hsum(mins[t]);
}

void matmul_rows_q4_avx2(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y, int64_t ldy) {
  q4_rows_loop<dot_q4_0<1>, dot_q4_0<4>, dot_q4_k<1>, dot_q4_k<4>>(w, r0, r1, x, T, y, ldy);
}

// std::round (nearest, ties away from zero) of 8 floats of magnitude < 2^22, exactly: truncate,
// then step away from zero where the dropped fraction is at least one half.
inline __m256 round_half_away(__m256 y) {
  const __m256 t = _mm256_round_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 up = _mm256_cmp_ps(_mm256_andnot_ps(sign, _mm256_sub_ps(y, t)), _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  const __m256 step = _mm256_or_ps(_mm256_and_ps(y, sign), _mm256_set1_ps(1.0f));  // +-1 with y's sign
  return _mm256_add_ps(t, _mm256_and_ps(up, step));
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// quantize_acts_q8 then group_acts_q8 in one pass, 32 activations (four vectors) a block; the same
// bits as the scalar steps (the same float operations per element; max and integer sums exact).
void quantize_acts_avx2(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum, int8_t* halves, int32_t* minus8,
                        float* d_lanes) {
  const __m256 sign = _mm256_set1_ps(-0.0f), lim = _mm256_set1_ps(127.0f), neg_lim = _mm256_set1_ps(-127.0f);
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  const int64_t whole_groups = K / (kQ4Group * kQ8ActBlock);
  for (int64_t b = 0; b < K / kQ8ActBlock; ++b) {
    __m256 v[4];
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(x + b * kQ8ActBlock + 8 * k);
      m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
    }
    const float amax = hmax(m);
    const float scale = amax / 127.0f, inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    const __m256 vinv = _mm256_set1_ps(inv);
    __m256i iv[4];
    for (int k = 0; k < 4; ++k)
      iv[k] = _mm256_cvtps_epi32(_mm256_max_ps(neg_lim, _mm256_min_ps(lim, round_half_away(_mm256_mul_ps(v[k], vinv)))));
    // int32 -> int8 (in range, so saturation never bites); the packs interleave 128-bit lanes,
    // the permutation puts the 32 bytes back in element order.
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(iv[0], iv[1]), _mm256_packs_epi32(iv[2], iv[3]));
    const __m256i qb = _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + b * kQ8ActBlock), qb);
    d[b] = scale;
    const __m256i s8 = _mm256_add_epi32(_mm256_add_epi32(iv[0], iv[1]), _mm256_add_epi32(iv[2], iv[3]));
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(s8), _mm256_extracti128_si256(s8, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    sum[b] = _mm_cvtsi128_si32(s);
    const int64_t g = b / kQ4Group, i = b % kQ4Group;
    if (g >= whole_groups) continue;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(halves + g * kQ4Group * kQ8ActBlock + i * 16), _mm256_castsi256_si128(qb));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(halves + g * kQ4Group * kQ8ActBlock + 64 + i * 16), _mm256_extracti128_si256(qb, 1));
    // Lanes 0..3: sums of elements 4j..4j+3 of the first half, lanes 4..7 of the second.
    const __m256i s4 = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, qb), ones16);
    const __m128i both = _mm_add_epi32(_mm256_castsi256_si128(s4), _mm256_extracti128_si256(s4, 1));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(minus8 + g * 16 + i * 4), _mm_sub_epi32(_mm_setzero_si128(), _mm_slli_epi32(both, 3)));
    _mm_storeu_ps(d_lanes + g * 16 + i * 4, _mm_set1_ps(scale));
  }
}

}  // namespace

const Q4Kernels& q4_kernels_avx2() {
  static const Q4Kernels k = {"avx2", matmul_rows_q4_avx2, quantize_acts_avx2};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX2
