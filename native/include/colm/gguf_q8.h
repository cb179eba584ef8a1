// A GGUF's Q8_0 blocks ({F16 d; int8 q[32]}, 34 bytes each) split into the engine's Q8_0 layout
// (docs/FORMAT-Q8.md: the int8 values in order, one F16 scale per 32) by the model loader, from
// the mapped file (TensorSpec::q8_part): no copy of the blocks in JavaScript.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace colm {

constexpr int64_t kQ8_0BlockBytes = 34;

// n blocks (unaligned) -> 32 n int8 values and n F16 scales (2 bytes each, as stored).
void split_q8_0_blocks(const uint8_t* blocks, int64_t n, int8_t* q, uint8_t* scales_f16);

// rows x cols (cols a multiple of 32) of blocks, row after row, into q (rows x cols int8) and
// scales_f16 (rows x cols / 32 F16), with llama.cpp's q/k row permutation undone when heads > 0:
// within each head's rows, output row s * half + p comes from input row 2 p + s (half = rows /
// heads / 2; rows a multiple of 2 heads), as the GGUF reader's unpermuteRows.
void split_q8_0_rows(const uint8_t* blocks, int64_t rows, int64_t cols, int32_t heads, int8_t* q, uint8_t* scales_f16);

// Zeroed memory for a split tensor, in huge pages where the system allows them (a 1 GB tensor is
// a quarter of a million page faults in 4 KiB pages). Throws colm::Error when it cannot.
std::shared_ptr<uint8_t> alloc_split_bytes(size_t n);


}  // namespace colm
