// Q4_0 / Q4_K weights times 8-bit activations with AVX-512 VNNI (vpdpbusd: unsigned x signed
// bytes, four products summed into each int32 lane in one instruction). 64 weights per
// instruction: two Q4_0 blocks, or one Q4_K group of two sub-blocks; the lanes of each half are
// scaled by their own block's factor. Offered only on CPUs with AVX-512 F/BW/VL/DQ and VNNI.
#if defined(COLM_HAVE_AVX512)
#include <immintrin.h>

#include "colm/quant_q4.h"

namespace colm {

namespace {

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  __builtin_memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// 16 lanes: a in the low 8, b in the high 8.
inline __m512 two_scales(float a, float b) {
  return _mm512_insertf32x8(_mm512_castps256_ps512(_mm256_set1_ps(a)), _mm256_set1_ps(b), 1);
}

// Signed x signed bytes with the sign trick: |x| (unsigned) times y carrying x's sign.
inline __m512i dot_i8(__m512i x, __m512i y) {
  const __m512i sy = _mm512_mask_sub_epi8(y, _mm512_movepi8_mask(x), _mm512_setzero_si512(), y);
  return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_abs_epi8(x), sy);
}

// N input rows against one weight row: each block is unpacked once for all N, and input t's
// lanes see exactly the operations they would alone (so a row's result is the same bits in
// prefill, with N > 1, as in decode).
template <int N>
void dot_q4_0(const uint8_t* row, int64_t K, const int8_t* const* qx, const float* const* dx, float* out) {
  __m512 acc[N];
  for (int t = 0; t < N; ++t) acc[t] = _mm512_setzero_ps();
  const int64_t nb = K / kQ4_0Block;
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) {
    const uint8_t* b0 = row + b * kQ4_0Bytes;
    const uint8_t* b1 = b0 + kQ4_0Bytes;
    const __m256i qs = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2))),
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b1 + 2)), 1);
    const __m256i lo = _mm256_and_si256(qs, m4), hi = _mm256_and_si256(_mm256_srli_epi16(qs, 4), m4);
    // [lo b0, lo b1, hi b0, hi b1] -> [lo b0, hi b0, lo b1, hi b1]: the two blocks in element order.
    __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
    v = _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0));
    v = _mm512_sub_epi8(v, _mm512_set1_epi8(8));
    const float d0 = f16_at(b0), d1 = f16_at(b1);
    for (int t = 0; t < N; ++t) {
      const __m512i p = dot_i8(v, _mm512_loadu_si512(qx[t] + b * 32));
      acc[t] = _mm512_fmadd_ps(two_scales(d0 * dx[t][b], d1 * dx[t][b + 1]), _mm512_cvtepi32_ps(p), acc[t]);
    }
  }
  for (int t = 0; t < N; ++t) out[t] = _mm512_reduce_add_ps(acc[t]);
  if (b < nb) {
    const uint8_t* b0 = row + b * kQ4_0Bytes;
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2));
    const __m128i m4s = _mm_set1_epi8(0x0f);
    const __m256i v = _mm256_sub_epi8(
        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(bytes, m4s)), _mm_and_si128(_mm_srli_epi16(bytes, 4), m4s), 1),
        _mm256_set1_epi8(8));
    const float d0 = f16_at(b0);
    for (int t = 0; t < N; ++t) {
      const __m256i y = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qx[t] + b * 32));
      const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_sign_epi8(v, v), _mm256_sign_epi8(y, v));
      const __m256 f = _mm256_mul_ps(_mm256_set1_ps(d0 * dx[t][b]), _mm256_cvtepi32_ps(p));
      __m128 s = _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));
      s = _mm_add_ps(s, _mm_movehl_ps(s, s));
      s = _mm_add_ss(s, _mm_movehdup_ps(s));
      out[t] += _mm_cvtss_f32(s);
    }
  }
}

template <int N>
void dot_q4_k(const uint8_t* row, int64_t K, const int8_t* const* qx, const float* const* dx, const int32_t* const* sx,
              float* out) {
  __m512 acc[N];
  float mins[N];
  for (int t = 0; t < N; ++t) {
    acc[t] = _mm512_setzero_ps();
    mins[t] = 0.0f;
  }
  const __m256i m4 = _mm256_set1_epi8(0x0f);
  for (int64_t b = 0; b < K / kQ4KBlock; ++b) {
    const uint8_t* blk = row + b * kQ4KBytes;
    const float d = f16_at(blk), dmin = f16_at(blk + 2);
    for (int g = 0; g < 4; ++g) {
      uint8_t sc0, m0, sc1, m1;
      q4k_scale_min(2 * g, blk + 4, sc0, m0);
      q4k_scale_min(2 * g + 1, blk + 4, sc1, m1);
      const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk + 16 + 32 * g));
      const __m256i lo = _mm256_and_si256(bytes, m4), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), m4);
      // Sub-blocks 2g and 2g+1 are 64 consecutive weights, against 64 consecutive activations.
      const __m512i v = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
      const float ds0 = d * float(sc0), ds1 = d * float(sc1), dm0 = dmin * float(m0), dm1 = dmin * float(m1);
      for (int t = 0; t < N; ++t) {
        const float* dxb = dx[t] + b * 8;
        const int32_t* sxb = sx[t] + b * 8;
        const __m512i p = _mm512_dpbusd_epi32(_mm512_setzero_si512(), v, _mm512_loadu_si512(qx[t] + b * kQ4KBlock + 64 * g));
        acc[t] = _mm512_fmadd_ps(two_scales(dxb[2 * g] * ds0, dxb[2 * g + 1] * ds1), _mm512_cvtepi32_ps(p), acc[t]);
        mins[t] += dxb[2 * g] * dm0 * float(sxb[2 * g]) + dxb[2 * g + 1] * dm1 * float(sxb[2 * g + 1]);
      }
    }
  }
  for (int t = 0; t < N; ++t) out[t] = _mm512_reduce_add_ps(acc[t]) - mins[t];
}

template <int N>
void rows_times_inputs(const WeightView& w, const uint8_t* row, const Q8Acts& x, int32_t t0, float* out) {
  const int64_t nbx = x.ld / kQ8ActBlock;
  const int8_t* qx[N];
  const float* dx[N];
  const int32_t* sx[N];
  for (int t = 0; t < N; ++t) {
    qx[t] = x.q + int64_t(t0 + t) * x.ld;
    dx[t] = x.d + int64_t(t0 + t) * nbx;
    sx[t] = x.sum + int64_t(t0 + t) * nbx;
  }
  if (w.dtype == DType::Q4_0)
    dot_q4_0<N>(row, w.cols, qx, dx, out);
  else
    dot_q4_k<N>(row, w.cols, qx, dx, sx, out);
}

void matmul_rows_q4_avx512_vnni(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y,
                                int64_t ldy) {
  for (int32_t r = r0; r < r1; ++r) {
    const uint8_t* row = w.row_ptr(r);
    if (r + 1 < r1) _mm_prefetch(reinterpret_cast<const char*>(w.row_ptr(r + 1)), _MM_HINT_T0);
    float out[4];
    int32_t t = 0;
    for (; t + 4 <= T; t += 4) {
      rows_times_inputs<4>(w, row, x, t, out);
      for (int i = 0; i < 4; ++i) y[int64_t(t + i) * ldy + r] = out[i];
    }
    for (; t < T; ++t) {
      rows_times_inputs<1>(w, row, x, t, out);
      y[int64_t(t) * ldy + r] = out[0];
    }
  }
}

}  // namespace

const Q4Kernels& q4_kernels_avx512_vnni() {
  static const Q4Kernels k = {"avx512-vnni", matmul_rows_q4_avx512_vnni};
  return k;
}

}  // namespace colm
#endif  // COLM_HAVE_AVX512
