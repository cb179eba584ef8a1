// Weights as the checkpoint stores them: a row-major matrix in F32, F16 or BF16 that the
// kernels widen to float32 in registers, or 8-bit block-quantized (Q8_0, docs/FORMAT-Q8.md):
// int8 values with one scale per 32 columns, which the kernels turn into float32 the same way.
// Nothing here owns memory: views point into the memory-mapped checkpoint (or, rarely, into an
// aligned copy the model owns).
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace colm {

// F32, F16, BF16 and I8 are how a tensor is stored in a file; Q8_0 is a weight view made of an
// I8 tensor (`.qweight`) and its scales (`.qscale`, F16 or F32), never a file dtype itself.
// Q4_0 and Q4_K are llama.cpp's 4-bit block layouts (docs/FORMAT-Q4.md, colm/quant_q4.h): a
// tensor of them is rows of whole blocks, the scales inside the blocks, as a GGUF file holds them.
enum class DType : uint8_t { F32 = 0, F16 = 1, BF16 = 2, I8 = 3, Q8_0 = 4, Q4_0 = 5, Q4_K = 6 };

// Bytes per element of the main data (for Q8_0: the int8 values; the scales are apart).
inline size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F16:
    case DType::BF16: return 2;
    default: return 1;
  }
}
inline bool dtype_is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }
inline bool dtype_is_q4(DType t) { return t == DType::Q4_0 || t == DType::Q4_K; }
// Bytes that n consecutive elements of a row take: n * dtype_size for the element dtypes; for
// the block dtypes n must be a multiple of the block (32 weights in 18 bytes for Q4_0, 256 in 144
// for Q4_K).
inline int64_t dtype_bytes(DType t, int64_t n) {
  if (t == DType::Q4_0) return n / 32 * 18;
  if (t == DType::Q4_K) return n / 256 * 144;
  return n * int64_t(dtype_size(t));
}
const char* dtype_name(DType t);

// Columns that share one scale in a Q8_0 row (FORMAT-Q8.md's block_size).
constexpr int32_t kQ8Block = 32;
inline int64_t q8_blocks(int64_t cols) { return (cols + kQ8Block - 1) / kQ8Block; }

// A (rows, cols) window of a row-major matrix whose rows are `ld` elements apart.
// For a chain block, cols is the block's K-extent cum_i: columns past it are never read.
struct WeightView {
  const void* data = nullptr;  // first element of the window, in `dtype`
  DType dtype = DType::F32;
  int32_t rows = 0;
  int32_t cols = 0;
  int64_t ld = 0;  // elements between the starts of two rows (Q4: a multiple of the block)

  // Q8_0 only: W[r, c] = int8 data[r, c] * scale[r, c / 32], the scales row-major in
  // `scale_dtype` (F16 or F32) with `scales_ld` scales between the starts of two rows. Blocks
  // start at column 0 of the view, so a chain block's prefix window keeps its scales aligned.
  const void* scales = nullptr;
  DType scale_dtype = DType::F32;
  int64_t scales_ld = 0;

  const uint8_t* row_ptr(int64_t r) const {
    return static_cast<const uint8_t*>(data) + r * dtype_bytes(dtype, ld);
  }
  const uint8_t* scale_row_ptr(int64_t r) const {
    return static_cast<const uint8_t*>(scales) + r * scales_ld * int64_t(dtype_size(scale_dtype));
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

// float32 -> IEEE binary16 bits, rounding to nearest even (subnormals kept, overflow to inf).
uint16_t f32_to_f16(float f);

// The scale of block b of a Q8_0 scale row (F16 or F32).
inline float q8_scale(const uint8_t* scale_row, DType scale_dtype, int64_t b) {
  if (scale_dtype == DType::F32) {
    float s;
    std::memcpy(&s, scale_row + 4 * b, 4);
    return s;
  }
  uint16_t h;
  std::memcpy(&h, scale_row + 2 * b, 2);
  return f16_to_f32(h);
}

// Widens n elements of `src` (in a float dtype t, or I8 as plain integers) to float32.
void widen_to_f32(const void* src, DType t, float* dst, int64_t n);

// Row r of any weight view as float32 (w.cols values): widened, or dequantized as
// float(q) * scale for Q8_0, or as gguf-py dequantizes Q4_0 / Q4_K blocks (bit for bit). The scalar reference kernels and the tests read weights this way.
void widen_row(const WeightView& w, int64_t r, float* dst);

// Quantizes n float32 values to Q8_0 blocks of 32 (the last one may be shorter): per block
// scale = absmax / 127 rounded to `scale_dtype` (F16 or F32), q = round(x / scale) to nearest
// (ties away from zero) clamped to [-127, 127]; an all-zero block gets scale 0. Writes n int8
// values and q8_blocks(n) scales. app/quantize does the same in TypeScript; this one serves the
// native tests and benchmarks.
void quantize_row_q8_0(const float* src, int64_t n, int8_t* q, void* scales, DType scale_dtype);

}  // namespace colm
