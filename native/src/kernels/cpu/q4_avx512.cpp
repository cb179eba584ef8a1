// Q4_0 / Q4_K weights times 8-bit activations with AVX-512 VNNI (vpdpbusd: unsigned x signed
// bytes, four products summed into each int32 lane in one instruction). 64 weights per
// instruction: half of a group of four Q4_0 blocks, or one Q4_K group of two sub-blocks; each
// lane is scaled by its own block's factor. Offered only on CPUs with AVX-512 F/BW/VL/DQ and VNNI.
#if defined(COLM_HAVE_AVX512)
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

// Four Q4_0 blocks (72 bytes from g) as unsigned nibbles: block i's low nibbles in 128-bit lane
// i of lo, its high nibbles in lane i of hi, the order of Q8Acts::halves.
struct Nibbles4 {
  __m512i lo, hi;
};
inline Nibbles4 nibbles4(const uint8_t* g) {
  __m512i q = _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 2)));
  q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 2 + kQ4_0Bytes)), 1);
  q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 2 + 2 * kQ4_0Bytes)), 2);
  q = _mm512_inserti32x4(q, _mm_loadu_si128(reinterpret_cast<const __m128i*>(g + 2 + 3 * kQ4_0Bytes)), 3);
  const __m512i m4 = _mm512_set1_epi8(0x0f);
  return {_mm512_and_si512(q, m4), _mm512_and_si512(_mm512_srli_epi16(q, 4), m4)};
}

// The four blocks' F16 scales as float, block i's in lanes 4i..4i+3 (as Q8Acts::d_lanes): one
// load of the group's first 64 bytes (scale i is word 9i) and one word permutation.
inline __m512 scales4(const uint8_t* g) {
  alignas(64) static const uint16_t kWord[32] = {0, 0, 0, 0, 9, 9, 9, 9, 18, 18, 18, 18, 27, 27, 27, 27};
  const __m512i words = _mm512_permutexvar_epi16(_mm512_load_si512(kWord), _mm512_loadu_si512(g));
  return _mm512_cvtph_ps(_mm512_castsi512_si256(words));
}

// N input rows against one weight row: each block is unpacked once for all N, and input t's
// lanes see exactly the operations they would alone (so a row's result is the same bits in
// prefill, with N > 1, as in decode). Whole groups of four blocks: vpdpbusd of the unsigned
// nibbles against Q8Acts::halves, started from minus8 (the "- 8"); the blocks after the last
// whole group one at a time with the sign trick. `ahead`: bytes from the row to prefetch.
template <int N>
void dot_q4_0(const uint8_t* row, int64_t K, const Q8Acts& x, int32_t t0, int64_t ahead, float* out) {
  const int64_t nb = K / kQ4_0Block, ng = nb / kQ4Group;
  constexpr int64_t kGroupBytes = kQ4Group * kQ4_0Bytes, kGroupActs = kQ4Group * kQ8ActBlock, kGroupLanes = 16;
  __m512 acc[N];
  // Each input's three arrays, advanced one group at a time (no index arithmetic in the loop).
  const int8_t* xh[N];
  const int32_t* m8[N];
  const float* dl[N];
  for (int t = 0; t < N; ++t) {
    acc[t] = _mm512_setzero_ps();
    const int64_t xt = int64_t(t0 + t) * x.ld;
    xh[t] = x.halves + xt;
    m8[t] = x.minus8 + xt / 8;
    dl[t] = x.d_lanes + xt / 8;
  }
  const uint8_t* gp = row;
  for (int64_t g = 0; g < ng; ++g, gp += kGroupBytes) {
    _mm_prefetch(reinterpret_cast<const char*>(gp + ahead), _MM_HINT_T0);
    const Nibbles4 n = nibbles4(gp);
    const __m512 dw = scales4(gp);
    for (int t = 0; t < N; ++t) {
      __m512i p = _mm512_loadu_si512(m8[t]);
      p = _mm512_dpbusd_epi32(p, n.lo, _mm512_loadu_si512(xh[t]));
      p = _mm512_dpbusd_epi32(p, n.hi, _mm512_loadu_si512(xh[t] + 64));
      const __m512 d = _mm512_mul_ps(dw, _mm512_loadu_ps(dl[t]));
      acc[t] = _mm512_fmadd_ps(d, _mm512_cvtepi32_ps(p), acc[t]);
      xh[t] += kGroupActs;
      m8[t] += kGroupLanes;
      dl[t] += kGroupLanes;
    }
  }
  for (int t = 0; t < N; ++t) out[t] = _mm512_reduce_add_ps(acc[t]);
  const __m128i m4s = _mm_set1_epi8(0x0f);
  for (int64_t b = ng * kQ4Group; b < nb; ++b) {
    const uint8_t* b0 = row + b * kQ4_0Bytes;
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2));
    const __m256i v = _mm256_sub_epi8(
        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(bytes, m4s)), _mm_and_si128(_mm_srli_epi16(bytes, 4), m4s), 1),
        _mm256_set1_epi8(8));
    const float d0 = f16_at(b0);
    for (int t = 0; t < N; ++t) {
      const int64_t xt = int64_t(t0 + t) * x.ld;
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.q + xt + b * 32));
      const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(v, v), _mm256_sign_epi8(y, v));
      const __m256 f = _mm256_mul_ps(_mm256_set1_ps(d0 * x.d[xt / kQ8ActBlock + b]), _mm256_cvtepi32_ps(p));
      __m128 s = _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));
      s = _mm_add_ps(s, _mm_movehl_ps(s, s));
      s = _mm_add_ss(s, _mm_movehdup_ps(s));
      out[t] += _mm_cvtss_f32(s);
    }
  }
}

// Q4_K: per block, the eight 6-bit scales and mins unpacked at once (q4k_scales_mins) into float
// vectors d * sc and dmin * m; per group of 64 weights (sub-blocks 2g and 2g+1) one vpdpbusd of the
// unsigned nibbles, whose int32 lanes are scaled by (d * sc_j) * d_x[j] permuted out of the
// 8-lane product (lanes 0..7 sub-block 2g, 8..15 sub-block 2g+1); the mins as one 8-lane fma per
// block against d_x[j] * sum_x[j].
template <int N>
void dot_q4_k(const uint8_t* row, int64_t K, const Q8Acts& x, int32_t t0, int64_t ahead, float* out) {
  const Q8ActRows<N> a(x, t0);
  const int8_t* const* qx = a.q;
  const float* const* dx = a.d;
  const int32_t* const* sx = a.sum;
  __m512 acc[N];
  __m256 mins[N];
  for (int t = 0; t < N; ++t) {
    acc[t] = _mm512_setzero_ps();
    mins[t] = _mm256_setzero_ps();
  }
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  const __m512i pair[4] = {_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
                           _mm512_set_epi32(3, 3, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2),
                           _mm512_set_epi32(5, 5, 5, 5, 5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 4, 4),
                           _mm512_set_epi32(7, 7, 7, 7, 7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6)};
  for (int64_t b = 0; b < K / kQ4KBlock; ++b) {
    const uint8_t* blk = row + b * kQ4KBytes;
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead + 64), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(blk + ahead + 128), _MM_HINT_T0);
    uint64_t sc, m;
    q4k_scales_mins(blk + 4, sc, m);
    const __m256 ds = _mm256_mul_ps(_mm256_set1_ps(f16_at(blk)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(sc)))));
    const __m256 dm = _mm256_mul_ps(_mm256_set1_ps(f16_at(blk + 2)), _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128(int64_t(m)))));
    __m512i v[4];
    for (int g = 0; g < 4; ++g) {
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * g));
      const __m256i lo = _mm256_and_si256(bytes, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4);
      // Sub-blocks 2g and 2g+1 are 64 consecutive weights, against 64 consecutive activations.
      v[g] = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    }
    for (int t = 0; t < N; ++t) {
      const __m256 dxb = _mm256_loadu_ps(dx[t] + b * 8);
      const __m512 f = _mm512_castps256_ps512(_mm256_mul_ps(ds, dxb));
      const int8_t* y = qx[t] + b * kQ4KBlock;
      for (int g = 0; g < 4; ++g) {
        const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v[g], _mm512_loadu_si512(y + 64 * g));
        acc[t] = _mm512_fmadd_ps(_mm512_permutexvar_ps(pair[g], f), _mm512_cvtepi32_ps(p), acc[t]);
      }
      const __m256 dxs = _mm256_mul_ps(dxb, _mm256_cvtepi32_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(sx[t] + b * 8))));
      mins[t] = _mm256_fmadd_ps(dm, dxs, mins[t]);
    }
  }
  for (int t = 0; t < N; ++t) {
    const __m256 mv = mins[t];
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(mv), _mm256_extractf128_ps(mv, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    out[t] = _mm512_reduce_add_ps(acc[t]) - _mm_cvtss_f32(s);
  }
}

void matmul_rows_q4_avx512_vnni(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y, int64_t ldy) {
  q4_rows_loop<dot_q4_0<1>, dot_q4_0<4>, dot_q4_k<1>, dot_q4_k<4>>(w, r0, r1, x, T, y, ldy);
}

// std::round (nearest, ties away from zero) of 16 floats of magnitude < 2^22, exactly: truncate,
// then step away from zero where the dropped fraction is at least one half.
inline __m512 round_half_away(__m512 y) {
  const __m512 t = _mm512_roundscale_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  const __m512 sign = _mm512_set1_ps(-0.0f);
  const __mmask16 up = _mm512_cmp_ps_mask(_mm512_andnot_ps(sign, _mm512_sub_ps(y, t)), _mm512_set1_ps(0.5f), _CMP_GE_OQ);
  const __m512 step = _mm512_or_ps(_mm512_and_ps(y, sign), _mm512_set1_ps(1.0f));  // +-1 with y's sign
  return _mm512_mask_add_ps(t, up, t, step);
}

// quantize_acts_q8 then group_acts_q8 in one pass, 32 activations (two vectors) a block; the same
// bits as the scalar steps (the same float operations per element; max and integer sums exact).
void quantize_acts_avx512(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum, int8_t* halves, int32_t* minus8,
                          float* d_lanes) {
  const __m512 sign = _mm512_set1_ps(-0.0f), lim = _mm512_set1_ps(127.0f), neg_lim = _mm512_set1_ps(-127.0f);
  const int64_t whole_groups = K / (kQ4Group * kQ8ActBlock);
  for (int64_t b = 0; b < K / kQ8ActBlock; ++b) {
    const __m512 lo = _mm512_loadu_ps(x + b * kQ8ActBlock), hi = _mm512_loadu_ps(x + b * kQ8ActBlock + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_andnot_ps(sign, lo), _mm512_andnot_ps(sign, hi)));
    const float scale = amax / 127.0f, inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    const __m512 vinv = _mm512_set1_ps(inv);
    const __m512i ilo = _mm512_cvtps_epi32(_mm512_max_ps(neg_lim, _mm512_min_ps(lim, round_half_away(_mm512_mul_ps(lo, vinv)))));
    const __m512i ihi = _mm512_cvtps_epi32(_mm512_max_ps(neg_lim, _mm512_min_ps(lim, round_half_away(_mm512_mul_ps(hi, vinv)))));
    const __m128i qlo = _mm512_cvtepi32_epi8(ilo), qhi = _mm512_cvtepi32_epi8(ihi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQ8ActBlock), qlo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(q + b * kQ8ActBlock + 16), qhi);
    d[b] = scale;
    sum[b] = _mm512_reduce_add_epi32(_mm512_add_epi32(ilo, ihi));
    const int64_t g = b / kQ4Group, i = b % kQ4Group;
    if (g >= whole_groups) continue;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(halves + g * kQ4Group * kQ8ActBlock + i * 16), qlo);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(halves + g * kQ4Group * kQ8ActBlock + 64 + i * 16), qhi);
    // Lane j: the sum of elements 4j..4j+3 of each half (bytes times 1, four to a lane).
    const __m128i ones = _mm_set1_epi8(1);
    const __m128i s4 = _mm_dpbusd_epi32(_mm_dpbusd_epi32(_mm_setzero_si128(), ones, qlo), ones, qhi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(minus8 + g * 16 + i * 4), _mm_sub_epi32(_mm_setzero_si128(), _mm_slli_epi32(s4, 3)));
    _mm_storeu_ps(d_lanes + g * 16 + i * 4, _mm_set1_ps(scale));
  }
}

}  // namespace

const Q4Kernels& q4_kernels_avx512_vnni() {
  static const Q4Kernels k = {"avx512-vnni", matmul_rows_q4_avx512_vnni, quantize_acts_avx512};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX512
