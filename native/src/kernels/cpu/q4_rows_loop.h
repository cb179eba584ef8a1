// The loop over rows and inputs that the x86 Q4 variants share (q4_avx2.cpp, q4_avx512.cpp), each
// with its own dot products, per block type: one row against one input, or against four, both
// with the same operations per (row, input), so decode and prefill give the same bits.
//   decode (T < 4): each row once, streamed, the next row's start prefetched and, for the dot
//     products to prefetch as they go, the same bytes two rows ahead (hardware prefetchers stop
//     at page boundaries, and a chain window's rows are not contiguous); nothing past the last row;
//   prefill: blocks of kRowBlock rows (their weights stay in L2) against four inputs at a time
//     (their activations stay in L1), so neither side is streamed from further out per row or
//     per input.
// Included by x86 kernel files only, after <immintrin.h>.
#pragma once
#include <cstdint>

#include "colm/quant_q4.h"

namespace colm {

// row: the weight row's first block; K: the window's columns; t0: the first input; ahead: bytes
// from the row to prefetch (0: none); out: one result per input.
using Q4Dot = void (*)(const uint8_t* row, int64_t K, const Q8Acts& x, int32_t t0, int64_t ahead, float* out);

template <Q4Dot One, Q4Dot Four>
void q4_rows_loop_of(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y, int64_t ldy) {
  const int64_t row_bytes = w.ld / q4_block_weights(w.dtype) * (w.dtype == DType::Q4_0 ? kQ4_0Bytes : kQ4KBytes);
  float out[4];
  if (T < 4) {
    for (int32_t r = r0; r < r1; ++r) {
      const uint8_t* row = w.row_ptr(r);
      if (r + 1 < r1) _mm_prefetch(reinterpret_cast<const char*>(w.row_ptr(r + 1)), _MM_HINT_T0);
      const int64_t ahead = r + 2 < r1 ? 2 * row_bytes : 0;
      for (int32_t t = 0; t < T; ++t) {
        One(row, w.cols, x, t, ahead, out);
        y[int64_t(t) * ldy + r] = out[0];
      }
    }
    return;
  }
  constexpr int32_t kRowBlock = 32;
  for (int32_t rb = r0; rb < r1; rb += kRowBlock) {
    const int32_t re = r1 - rb < kRowBlock ? r1 : rb + kRowBlock;
    int32_t t = 0;
    for (; t + 4 <= T; t += 4)
      for (int32_t r = rb; r < re; ++r) {
        Four(w.row_ptr(r), w.cols, x, t, 0, out);
        for (int i = 0; i < 4; ++i) y[int64_t(t + i) * ldy + r] = out[i];
      }
    for (; t < T; ++t)
      for (int32_t r = rb; r < re; ++r) {
        One(w.row_ptr(r), w.cols, x, t, 0, out);
        y[int64_t(t) * ldy + r] = out[0];
      }
  }
}

// The block type picks the pair once per call.
template <Q4Dot OneQ4_0, Q4Dot FourQ4_0, Q4Dot OneQ4_K, Q4Dot FourQ4_K>
void q4_rows_loop(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y, int64_t ldy) {
  if (w.dtype == DType::Q4_0)
    q4_rows_loop_of<OneQ4_0, FourQ4_0>(w, r0, r1, x, T, y, ldy);
  else
    q4_rows_loop_of<OneQ4_K, FourQ4_K>(w, r0, r1, x, T, y, ldy);
}

}  // namespace colm
