// Decode attention for a group of query heads that share one KV head (kernels.h: group_scores,
// group_values), written once on the portable vectors of simd/vec16.h and compiled by each
// kernel file for its instruction set, like softmax_body.h. F32 and BF16 caches, head_dim a
// multiple of 16 (the caller checks group_attention_supported).
//
// Why: one query row against a head's keys is a GEMV with rows of only head_dim (64-128)
// values, where a horizontal sum per key and a pass over K and V per query head cost more than
// the multiply-adds. Here each K and V row is read and widened once for the whole group, and the
// per-key sums of 16 keys are reduced together by a fixed tree of shuffles (a few operations a
// key instead of a horizontal sum each; the tree follows the target's vector width, so the
// instruction sets may differ in the last bits, as their GEMMs do). A head's score sums its own lanes in the same tree whatever
// keys share its block, and its output adds the value rows in key order whatever heads share its
// group, so the bits of a head do not depend on the group size (the nested-model invariants).
#pragma once
#include <cstdint>
#include <cstring>
#if defined(__AVX2__) || defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "../../simd/vec16.h"
#include "colm/tensor.h"

namespace colm {
namespace {

namespace group_attention {

using namespace simd;

// Everything here works on the target's own vectors (vn: 16, 8 or 4 floats), not on the 64-byte
// v16 of the trainer's elementwise loops: arrays of those live on the stack where the target's
// registers are narrower, and a shuffle of them is done a lane at a time.
constexpr int kW = COLM_VN_BYTES / 4;
typedef uint16_t vhn __attribute__((vector_size(COLM_VN_BYTES / 2), aligned(2)));
typedef uint32_t vun __attribute__((vector_size(COLM_VN_BYTES), aligned(4)));

// Loads and stores of kW floats. On x86 through the intrinsics: GCC copies a memcpy of an AVX2
// vector in two 16-byte halves through the stack, and the 32-byte load after them stalls.
COLM_INLINE vn load_vn(const float* p) {
#if COLM_VN_BYTES == 64 && defined(__AVX512F__)
  return (vn)_mm512_loadu_ps(p);
#elif COLM_VN_BYTES == 32 && defined(__AVX2__)
  return (vn)_mm256_loadu_ps(p);
#else
  vn v;
  std::memcpy(&v, p, sizeof v);
  return v;
#endif
}

COLM_INLINE void store_vn(float* p, vn v) {
#if COLM_VN_BYTES == 64 && defined(__AVX512F__)
  _mm512_storeu_ps(p, (__m512)v);
#elif COLM_VN_BYTES == 32 && defined(__AVX2__)
  _mm256_storeu_ps(p, (__m256)v);
#else
  std::memcpy(p, &v, sizeof v);
#endif
}

// kW values of a row from column c, widened to float32 (BF16: the bits shifted up, exact).
template <DType DT>
COLM_INLINE vn load_row(const uint8_t* row, int32_t c) {
  if constexpr (DT == DType::F32) {
    return load_vn(reinterpret_cast<const float*>(row) + c);
  } else {
    const uint8_t* p = row + 2 * int64_t(c);
    // x86: the widening instruction on a load (the portable form below goes through the stack).
#if COLM_VN_BYTES == 64 && defined(__AVX512F__)
    return (vn)_mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))), 16));
#elif COLM_VN_BYTES == 32 && defined(__AVX2__)
    return (vn)_mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))), 16));
#else
    vhn h;
    std::memcpy(&h, p, sizeof h);
    const vun w = __builtin_convertvector(h, vun) << 16;
    vn f;
    std::memcpy(&f, &w, sizeof f);
    return f;
#endif
  }
}

// out[i] = the lane sum of f[i], i < 16: groups of kW vectors transposed and added in halving
// steps. Each output sums only its own vector's lanes, in the same tree whatever its neighbours.
COLM_INLINE void reduce16(const vn* f, float* out) {
#if COLM_VN_BYTES == 64
  vn l1[8], l2[4], l3[2];
  for (int i = 0; i < 8; ++i) {
    const vn a = f[2 * i], b = f[2 * i + 1];
    l1[i] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +
            __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31);
  }
  for (int i = 0; i < 4; ++i) {
    const vn a = l1[2 * i], b = l1[2 * i + 1];
    l2[i] = __builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +
            __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
  }
  for (int i = 0; i < 2; ++i) {
    const vn a = l2[2 * i], b = l2[2 * i + 1];
    l3[i] = __builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +
            __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31);
  }
  const vn s = __builtin_shufflevector(l3[0], l3[1], 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +
               __builtin_shufflevector(l3[0], l3[1], 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  store_vn(out, s);
#elif COLM_VN_BYTES == 32
  for (int g = 0; g < 2; ++g) {  // keys 8g .. 8g + 7
    const vn* x = f + 8 * g;
    vn l1[4], l2[2];
    for (int i = 0; i < 4; ++i)
      l1[i] = __builtin_shufflevector(x[2 * i], x[2 * i + 1], 0, 1, 2, 3, 8, 9, 10, 11) +
              __builtin_shufflevector(x[2 * i], x[2 * i + 1], 4, 5, 6, 7, 12, 13, 14, 15);
    for (int i = 0; i < 2; ++i)
      l2[i] = __builtin_shufflevector(l1[2 * i], l1[2 * i + 1], 0, 1, 4, 5, 8, 9, 12, 13) +
              __builtin_shufflevector(l1[2 * i], l1[2 * i + 1], 2, 3, 6, 7, 10, 11, 14, 15);
    const vn s = __builtin_shufflevector(l2[0], l2[1], 0, 2, 4, 6, 8, 10, 12, 14) +
                 __builtin_shufflevector(l2[0], l2[1], 1, 3, 5, 7, 9, 11, 13, 15);
    store_vn(out + 8 * g, s);
  }
#else
  for (int g = 0; g < 4; ++g) {  // keys 4g .. 4g + 3
    const vn* x = f + 4 * g;
    const vn l0 = __builtin_shufflevector(x[0], x[1], 0, 1, 4, 5) + __builtin_shufflevector(x[0], x[1], 2, 3, 6, 7);
    const vn l1 = __builtin_shufflevector(x[2], x[3], 0, 1, 4, 5) + __builtin_shufflevector(x[2], x[3], 2, 3, 6, 7);
    const vn s = __builtin_shufflevector(l0, l1, 0, 2, 4, 6) + __builtin_shufflevector(l0, l1, 1, 3, 5, 7);
    store_vn(out + 4 * g, s);
  }
#endif
}

constexpr int kKeys = 16;  // keys reduced together

template <DType DT>
void scores(const float* q, int32_t G, int64_t ldq, const WeightView& keys, float* out, int64_t ldo) {
  const int32_t nv = keys.cols / kW, n = keys.rows;
  vn part[kKeys];
  for (int32_t r0 = 0; r0 < n; r0 += kKeys) {
    const int32_t nk = n - r0 < kKeys ? n - r0 : kKeys;
    for (int32_t g = 0; g < G; ++g) {
      const float* qg = q + g * ldq;
      for (int32_t i = 0; i < kKeys; ++i) {
        vn acc{};
        if (i < nk) {
          const uint8_t* row = keys.row_ptr(r0 + i);
          for (int32_t v = 0; v < nv; ++v) acc += load_row<DT>(row, v * kW) * load_vn(qg + v * kW);
        }
        part[i] = acc;
      }
      if (nk == kKeys) {
        reduce16(part, out + g * ldo + r0);
      } else {
        float s[kKeys];
        reduce16(part, s);
        for (int32_t i = 0; i < nk; ++i) out[g * ldo + r0 + i] = s[i];
      }
    }
  }
}

// Accumulators per pass over the value rows: kHeads heads x kBlock vectors, in registers.
#if COLM_VN_BYTES == 64
constexpr int kHeads = 4, kBlock = 4;  // AVX-512: 16 zmm accumulators, 64 output values a head
#elif COLM_VN_BYTES == 32
constexpr int kHeads = 4, kBlock = 2;  // AVX2: 8 ymm accumulators, 16 values a head
#else
constexpr int kHeads = 2, kBlock = 2;  // SSE, NEON: 4 accumulators, 8 values a head
#endif

template <DType DT, int NG, int NB>
void values_block(const float* p, int64_t ldp, const WeightView& rows, int32_t d0, float* out, int64_t ldo,
                  bool accumulate) {
  vn acc[NG][NB];
  for (int g = 0; g < NG; ++g)
    for (int b = 0; b < NB; ++b) acc[g][b] = accumulate ? load_vn(out + g * ldo + d0 + b * kW) : vn{};
  for (int32_t r = 0; r < rows.rows; ++r) {
    const uint8_t* row = rows.row_ptr(r);
    vn v[NB];
    for (int b = 0; b < NB; ++b) v[b] = load_row<DT>(row, d0 + b * kW);
    for (int g = 0; g < NG; ++g) {
      const vn w = vn{} + p[g * ldp + r];
      for (int b = 0; b < NB; ++b) acc[g][b] += w * v[b];
    }
  }
  for (int g = 0; g < NG; ++g)
    for (int b = 0; b < NB; ++b) store_vn(out + g * ldo + d0 + b * kW, acc[g][b]);
}

template <DType DT, int NG>
void values_heads(const float* p, int64_t ldp, const WeightView& rows, float* out, int64_t ldo, bool accumulate) {
  const int32_t nv = rows.cols / kW;
  int32_t v = 0;
  for (; v + kBlock <= nv; v += kBlock) values_block<DT, NG, kBlock>(p, ldp, rows, v * kW, out, ldo, accumulate);
  for (; v < nv; ++v) values_block<DT, NG, 1>(p, ldp, rows, v * kW, out, ldo, accumulate);
}

template <DType DT>
void values(const float* p, int32_t G, int64_t ldp, const WeightView& rows, float* out, int64_t ldo, bool accumulate) {
  int32_t g = 0;
  for (; g + kHeads <= G; g += kHeads) values_heads<DT, kHeads>(p + g * ldp, ldp, rows, out + g * ldo, ldo, accumulate);
  // The rest in one pass too (a group of 2 or 3 heads is common: 8 query heads over 4 KV heads).
  switch (G - g) {
    case 3: values_heads<DT, 3>(p + g * ldp, ldp, rows, out + g * ldo, ldo, accumulate); break;
    case 2: values_heads<DT, 2>(p + g * ldp, ldp, rows, out + g * ldo, ldo, accumulate); break;
    case 1: values_heads<DT, 1>(p + g * ldp, ldp, rows, out + g * ldo, ldo, accumulate); break;
    default: break;
  }
}

}  // namespace group_attention

// kernels.h group_scores: out[g * ldo + r] = q_g . K_r.
void group_scores_impl(const float* q, int32_t G, int64_t ldq, const WeightView& keys, float* out, int64_t ldo) {
  if (keys.dtype == DType::BF16) group_attention::scores<DType::BF16>(q, G, ldq, keys, out, ldo);
  else group_attention::scores<DType::F32>(q, G, ldq, keys, out, ldo);
}

// kernels.h group_values: out[g * ldo + d] (+)= sum over r of p[g * ldp + r] * V[r, d].
void group_values_impl(const float* p, int32_t G, int64_t ldp, const WeightView& rows, float* out, int64_t ldo,
                       bool accumulate) {
  if (rows.dtype == DType::BF16) group_attention::values<DType::BF16>(p, G, ldp, rows, out, ldo, accumulate);
  else group_attention::values<DType::F32>(p, G, ldp, rows, out, ldo, accumulate);
}

}  // namespace
}  // namespace colm
