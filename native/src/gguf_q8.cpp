// GGUF Q8_0 blocks -> the engine's Q8_0 layout (colm/gguf_q8.h).
#include "colm/gguf_q8.h"

#include <cstring>

#include "colm/model.h"
#include "colm/tensor.h"
#include "mapped_file.h"

namespace colm {

void split_q8_0_blocks(const uint8_t* blocks, int64_t n, int8_t* q, uint8_t* scales_f16) {
  for (int64_t b = 0; b < n; ++b) {
    const uint8_t* blk = blocks + b * kQ8_0BlockBytes;
    std::memcpy(scales_f16 + 2 * b, blk, 2);
    std::memcpy(q + b * kQ8Block, blk + 2, kQ8Block);
  }
}

void split_q8_0_file(const std::string& path, uint64_t offset, uint64_t length, int8_t* q, uint8_t* scales_f16) {
  if (length % kQ8_0BlockBytes != 0)
    throw Error(path + ": a Q8_0 tensor of " + std::to_string(length) + " bytes is not whole blocks of 34 bytes");
  const MappedFile file(path);
  if (offset > file.size() || length > file.size() - offset)
    throw Error(path + ": the Q8_0 tensor at offset " + std::to_string(offset) + " (" + std::to_string(length) +
                " bytes) runs past the end of the file (did it shrink?)");
  split_q8_0_blocks(file.data() + offset, int64_t(length / kQ8_0BlockBytes), q, scales_f16);
}

}  // namespace colm
