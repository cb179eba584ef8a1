// Weights as the checkpoint stores them: a row-major matrix in F32, F16 or BF16 that the
// kernels widen to float32 in registers. Nothing here owns memory: views point into the
// memory-mapped checkpoint (or, rarely, into an aligned copy the model owns).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace colm {

enum class DType : uint8_t { F32 = 0, F16 = 1, BF16 = 2 };

inline size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 2; }
const char* dtype_name(DType t);

// A (rows, cols) window of a row-major matrix whose rows are `ld` elements apart.
// For a chain block, cols is the block's K-extent cum_i: columns past it are never read.
struct WeightView {
  const void* data = nullptr;  // first element of the window, in `dtype`
  DType dtype = DType::F32;
  int32_t rows = 0;
  int32_t cols = 0;
  int64_t ld = 0;  // elements between the starts of two rows

  const uint8_t* row_ptr(int64_t r) const {
    return static_cast<const uint8_t*>(data) + r * ld * int64_t(dtype_size(dtype));
  }
};

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

inline float f16_to_f32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  uint32_t bits;
  if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);  // inf or NaN
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);  // normal: rebias 15 -> 127
  } else if (mant == 0) {
    bits = sign;  // signed zero
  } else {
    // subnormal: shift the mantissa up until its leading one becomes the implicit bit
    int e = -1;
    do {
      ++e;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    bits = sign | (uint32_t(112 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Widens n elements of `src` (in dtype t) to float32.
void widen_to_f32(const void* src, DType t, float* dst, int64_t n);

}  // namespace colm
