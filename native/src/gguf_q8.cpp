// GGUF Q8_0 blocks -> the engine's Q8_0 layout (colm/gguf_q8.h).
#include "colm/gguf_q8.h"

#include <cstring>
#include <new>
#ifndef _WIN32
#include <sys/mman.h>
#include <unistd.h>
#endif

#include "colm/model.h"
#include "colm/tensor.h"

namespace colm {

void split_q8_0_blocks(const uint8_t* blocks, int64_t n, int8_t* q, uint8_t* scales_f16) {
  for (int64_t b = 0; b < n; ++b) {
    const uint8_t* blk = blocks + b * kQ8_0BlockBytes;
    std::memcpy(scales_f16 + 2 * b, blk, 2);
    std::memcpy(q + b * kQ8Block, blk + 2, kQ8Block);
  }
}

void split_q8_0_rows(const uint8_t* blocks, int64_t rows, int64_t cols, int32_t heads, int8_t* q, uint8_t* scales_f16) {
  const int64_t per_row = cols / kQ8Block;
  const int64_t head_rows = heads > 0 ? rows / heads : rows, half = head_rows / 2;
  for (int64_t r = 0; r < rows; ++r) {
    int64_t from = r;
    if (heads > 0) {
      const int64_t h = r / head_rows, w = r % head_rows, s = w / half, p = w % half;
      from = h * head_rows + 2 * p + s;
    }
    split_q8_0_blocks(blocks + from * per_row * kQ8_0BlockBytes, per_row, q + r * cols, scales_f16 + r * per_row * 2);
  }
}

std::shared_ptr<uint8_t> alloc_split_bytes(size_t n) {
  if (n == 0) n = 1;
#ifndef _WIN32
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw Error("out of memory: cannot allocate " + std::to_string(n) + " bytes for a Q8_0 tensor");
#ifdef MADV_HUGEPAGE
  madvise(p, n, MADV_HUGEPAGE);
#endif
  return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [n](uint8_t* q) { munmap(q, n); });
#else
  uint8_t* p = new (std::nothrow) uint8_t[n];
  if (!p) throw Error("out of memory: cannot allocate " + std::to_string(n) + " bytes for a Q8_0 tensor");
  return std::shared_ptr<uint8_t>(p, std::default_delete<uint8_t[]>());
#endif
}


}  // namespace colm
