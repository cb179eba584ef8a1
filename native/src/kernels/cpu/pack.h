// Packing input rows for the prefill micro-kernels, and prefetching the blocks they read next
// (shared by the x86 variants).
#pragma once
#include <xmmintrin.h>  // _mm_prefetch

#include <cstdint>

#include "colm/tensor.h"

#if defined(_MSC_VER)
#define COLM_NOINLINE __declspec(noinline)
#else
#define COLM_NOINLINE __attribute__((noinline))
#endif

namespace colm {

// The packed inputs (see CpuKernels::pack_x): K blocks of kKB columns (the last one shorter),
// each holding all ceil(T / kTile) tiles; a tile holds its block's columns one after another,
// each column as kTile consecutive floats (zero for rows past T). Tiles [tile0, tile1) only.
template <int kTile, int64_t kKB>
void pack_x_blocks(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp, int32_t tile0, int32_t tile1) {
  const int64_t n_tiles = (T + kTile - 1) / kTile;
  for (int64_t k0 = 0; k0 < K; k0 += kKB) {
    const int64_t kw = K - k0 < kKB ? K - k0 : kKB;
    for (int32_t b = tile0; b < tile1; ++b) {
      float* tile = xp + k0 * n_tiles * kTile + int64_t(b) * kw * kTile;
      for (int i = 0; i < kTile; ++i) {
        const int32_t t = b * kTile + i;
        if (t < T) {
          const float* row = x + t * ldx + k0;
          for (int64_t c = 0; c < kw; ++c) tile[c * kTile + i] = row[c];
        } else {
          for (int64_t c = 0; c < kw; ++c) tile[c * kTile + i] = 0.0f;
        }
      }
    }
  }
}

// Tile b of the K block starting at column k0 (a multiple of kKB) in inputs packed with
// k_packed columns and n_tiles tiles.
template <int kTile, int64_t kKB>
inline const float* packed_x_tile(const float* xp, int64_t k_packed, int32_t n_tiles, int32_t b, int64_t k0) {
  const int64_t kw = k_packed - k0 < kKB ? k_packed - k0 : kKB;
  return xp + k0 * n_tiles * kTile + int64_t(b) * kw * kTile;
}

// Fetches the next block of an operand (the next weight block: rows x columns [k0, k0 + kc) of
// W; the next chunk of packed inputs) toward the caches a few lines per micro-kernel call while
// the current block is multiplied, so that packing the weights reads from L2 instead of DRAM
// (weight rows are pages apart, and the hardware prefetchers do not follow 16 to 32 short
// streams across pages) and the first pass over an input chunk does not wait on L3.
struct BlockPrefetch {
  const uint8_t* first = nullptr;  // the region's first byte
  int64_t stride = 0;              // bytes between two pieces
  int64_t bytes = 0;               // bytes of one piece
  int pieces = 0;
  int64_t per_call = 0;  // lines to fetch per step()
  int piece = 0;
  int64_t offset = 0;

  // `pieces` runs of `bytes` bytes, `stride` bytes apart; `calls`: how many step()s the current
  // block will make.
  void start(const void* region, int64_t piece_stride, int64_t piece_bytes, int n_pieces, int64_t calls) {
    first = static_cast<const uint8_t*>(region);
    stride = piece_stride;
    bytes = piece_bytes;
    pieces = n_pieces;
    const int64_t lines = int64_t(n_pieces) * ((piece_bytes + 63) / 64);
    per_call = calls > 0 ? (lines + calls - 1) / calls : 0;
    piece = 0;
    offset = 0;
  }
  // Rows [r, r + n_rows) of W, columns [k0, k0 + kc).
  void start_weights(const WeightView& w, int32_t r, int n_rows, int64_t k0, int64_t kc, int64_t calls) {
    const int64_t es = int64_t(dtype_size(w.dtype));
    start(w.row_ptr(r) + k0 * es, w.ld * es, kc * es, n_rows, calls);
  }
  void stop() { pieces = 0; }
  void step() {
    for (int64_t i = 0; i < per_call && piece < pieces; ++i) {
      _mm_prefetch(reinterpret_cast<const char*>(first + piece * stride + offset), _MM_HINT_T1);
      offset += 64;
      if (offset >= bytes) {
        offset = 0;
        ++piece;
      }
    }
  }
};

}  // namespace colm
