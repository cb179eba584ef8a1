// Packing input rows for the prefill micro-kernels (shared by the x86 variants).
#pragma once
#include <cstdint>

namespace colm {

// xp holds ceil(T / tile) tiles; tile b is (K, tile): xp[(b * K + c) * tile + i] = x[b*tile + i][c],
// zero for rows past T.
template <int kTile>
void pack_x_tiles(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp) {
  for (int32_t t0 = 0; t0 < T; t0 += kTile) {
    float* tile = xp + int64_t(t0 / kTile) * K * kTile;
    for (int i = 0; i < kTile; ++i) {
      const int32_t t = t0 + i;
      if (t < T) {
        const float* row = x + t * ldx;
        for (int64_t c = 0; c < K; ++c) tile[c * kTile + i] = row[c];
      } else {
        for (int64_t c = 0; c < K; ++c) tile[c * kTile + i] = 0.0f;
      }
    }
  }
}

}  // namespace colm
