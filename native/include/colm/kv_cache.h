// The K or V cache of a session in one of four element types: float32, or stored narrow and
// widened in registers by the attention kernels (the q.k dot through matmul_rows, the P V sum
// through weighted_row_sum_view).
//
//   F32   4 bytes per value: the reference.
//   BF16  2 bytes: float32 rounded to nearest even (8 significant bits). The default.
//   F16   2 bytes: IEEE half, rounded to nearest even (11 significant bits, range +-65504).
//   Q8_0  int8 values with one F16 scale per block of 32 values of a head (absmax / 127,
//         llama.cpp's block_q8_0): 34 bytes per 32 values, 0.27 of float32. A block never
//         crosses a head: a head of head_dim values has ceil(head_dim / 32) blocks, the last one
//         shorter when head_dim is not a multiple of 32 (a 16-wide head: one block of 16, 18
//         bytes). So a head's bytes depend on that head's values alone, which keeps the engine's
//         invariants exact (plain CoLM writes chain i's heads in separate passes).
//
// Rows are rounded once, when their position is evaluated; everything that reads the cache
// (attention in both paths, kv_cache() for tests) sees the rounded values.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "colm/tensor.h"

namespace colm {

enum class KvType : uint8_t { F32 = 0, BF16 = 1, F16 = 2, Q8_0 = 3 };

const char* kv_type_name(KvType t);  // "f32", "bf16", "f16", "q8_0"
// Parses a kv_type_name; false for anything else.
bool kv_type_parse(const std::string& name, KvType* out);
// Bytes one head of head_dim values takes in a row (Q8_0: its int8 values and F16 scales).
int64_t kv_head_bytes(KvType t, int32_t head_dim);

class KvCache {
 public:
  // rows of `heads` heads of head_dim values each, zero. Throws std::bad_alloc.
  void allocate(KvType type, int64_t rows, int32_t heads, int32_t head_dim);
  KvType type() const { return type_; }
  int64_t bytes() const { return int64_t(data_.size() + 2 * scales_.size()); }

  // Stores the first `heads` heads of a float32 row (heads * head_dim values) into row `row`,
  // rounded to the cache type; the other heads of the row are left alone.
  void store(int64_t row, const float* src, int32_t heads);
  // Head `head` of rows [row0, row0 + n) as a (n, head_dim) view for the kernels.
  WeightView view(int64_t row0, int32_t n, int32_t head) const;
  // Row `row`, every head, widened to float32 (heads * head_dim values).
  void widen(int64_t row, float* dst) const;
  // The float32 rows of an F32 cache (written in place by the forward pass); null otherwise.
  float* f32_rows() { return type_ == KvType::F32 ? reinterpret_cast<float*>(data_.data()) : nullptr; }

 private:
  KvType type_ = KvType::F32;
  int32_t heads_ = 0, head_dim_ = 0;
  int64_t row_elems_ = 0;         // heads * head_dim
  int32_t blocks_ = 0;            // Q8_0 scales per head
  std::vector<uint8_t> data_;     // (rows, heads * head_dim) in the element type (Q8_0: int8)
  std::vector<uint16_t> scales_;  // Q8_0: (rows, heads * blocks_) F16 scales
};

}  // namespace colm
