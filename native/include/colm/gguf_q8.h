// A GGUF's Q8_0 blocks ({F16 d; int8 q[32]}, 34 bytes each) split into the engine's Q8_0 layout
// (docs/FORMAT-Q8.md: the int8 values in order, one F16 scale per 32), in native code: the
// checkpoint reader hands over the two arrays as a .qweight/.qscale pair.
#pragma once
#include <cstdint>
#include <string>

namespace colm {

constexpr int64_t kQ8_0BlockBytes = 34;

// n blocks (unaligned) -> 32 n int8 values and n F16 scales (2 bytes each, as stored).
void split_q8_0_blocks(const uint8_t* blocks, int64_t n, int8_t* q, uint8_t* scales_f16);

// The blocks of `length` bytes at `offset` of the file at `path`, read through a memory map:
// q gets length / 34 * 32 bytes, scales_f16 length / 34 * 2. Throws colm::Error naming the file
// when it cannot be mapped, the range is not whole blocks, or it runs past the end.
void split_q8_0_file(const std::string& path, uint64_t offset, uint64_t length, int8_t* q, uint8_t* scales_f16);

}  // namespace colm
