// 4-bit weights in llama.cpp's block layouts (docs/FORMAT-Q4.md), and the integer dot products
// that multiply them with 8-bit activations.
//
// Q4_0, 32 weights in 18 bytes:   { F16 d; uint8 qs[16]; }
//   w[i]      = (qs[i] & 15 - 8) * d     i < 16  (low nibbles: elements 0..15)
//   w[i + 16] = (qs[i] >> 4 - 8) * d              (high nibbles: elements 16..31)
// Q4_K, 256 weights in 144 bytes: { F16 d; F16 dmin; uint8 scales[12]; uint8 qs[128]; }
//   8 sub-blocks of 32 with 6-bit scale sc[j] and min m[j] packed in `scales` (q4k_scale_min);
//   qs holds 4 groups of 32 bytes, group g: low nibbles sub-block 2g, high nibbles sub-block 2g+1;
//   w = (d * sc[j]) * q - (dmin * m[j]), each product rounded to float32 (as gguf-py computes it).
//
// A Q4 WeightView: `data` is the first block of its first row, `ld` the stored row's width in
// weights (a multiple of the block), `cols` the window's K-extent, also a multiple of the block (a
// chain's prefix window is the first cols / block blocks of each row); no separate scales.
//
// The products: the activation row is quantized once per product to Q8 blocks of 32 (int8 and
// a float32 scale, plus the block's integer sum for Q4_K's mins), then every weight block meets
// its activation block in integer arithmetic:
//   Q4_0: y += (d_w * d_x) * sum_i (q_i - 8) * qx_i
//   Q4_K: y += d_x * ((d * sc_j) * sum_i q_i * qx_i - (dmin * m_j) * sum_i qx_i)
// The scalar reference sums those block terms in order in float32; vector variants sum them in
// lanes (float32 rounding apart, the same numbers).
#pragma once
#include <cstdint>
#include <vector>

#include "colm/kernels.h"
#include "colm/tensor.h"

namespace colm {

constexpr int32_t kQ4_0Block = 32, kQ4_0Bytes = 18;
constexpr int32_t kQ4KBlock = 256, kQ4KBytes = 144;
constexpr int32_t kQ8ActBlock = 32;

inline int32_t q4_block_weights(DType t) { return t == DType::Q4_K ? kQ4KBlock : kQ4_0Block; }

// Sub-block j's 6-bit scale and min of a Q4_K block's 12 scale bytes (llama.cpp get_scale_min_k4).
inline void q4k_scale_min(int j, const uint8_t* q, uint8_t& sc, uint8_t& m) {
  if (j < 4) {
    sc = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    sc = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = uint8_t((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// All eight at once, as bytes: byte j of `sc` is sub-block j's scale, of `m` its min (the same
// numbers as q4k_scale_min, unpacked as 32-bit words the way llama.cpp's kernels do).
inline void q4k_scales_mins(const uint8_t* q, uint64_t& sc, uint64_t& m) {
  uint32_t u0, u1, u2;
  __builtin_memcpy(&u0, q, 4);
  __builtin_memcpy(&u1, q + 4, 4);
  __builtin_memcpy(&u2, q + 8, 4);
  const uint32_t low6 = 0x3f3f3f3f, low4 = 0x0f0f0f0f, low2 = 0x03030303;
  const uint32_t sc_hi = (u2 & low4) | (((u0 >> 6) & low2) << 4);
  const uint32_t m_hi = ((u2 >> 4) & low4) | (((u1 >> 6) & low2) << 4);
  sc = uint64_t(u0 & low6) | (uint64_t(sc_hi) << 32);
  m = uint64_t(u1 & low6) | (uint64_t(m_hi) << 32);
}

// n weights (a multiple of the block) of consecutive blocks as float32, bit for bit as gguf-py.
void dequantize_row_q4_0(const uint8_t* blocks, int64_t n, float* dst);
void dequantize_row_q4_k(const uint8_t* blocks, int64_t n, float* dst);

// Quantizers (n a multiple of the block). Q4_0: llama.cpp's reference rule (d = signed absmax /
// -8, q = min(15, trunc(x / d + 8.5))), bit for bit as gguf-py's Q4_0.quantize. Q4_K: a plain
// min/max rule (per sub-block: min and range, then 6-bit scale and min against F16 d and dmin,
// q = round((x + dmin*m) / (d*sc)) clamped to [0, 15]); not llama.cpp's iterative search, but
// the same layout, so any Q4_K reader decodes it. The engine's tests and benchmarks use these;
// app/quantize does the same in TypeScript.
void quantize_row_q4_0(const float* src, int64_t n, uint8_t* blocks);
void quantize_row_q4_k(const float* src, int64_t n, uint8_t* blocks);

// ---- 8-bit activations ----

// T rows of K activations (K a multiple of 32) quantized per block of 32: d = absmax / 127,
// q = round(x / d) (nearest, ties away from zero), clamped to [-127, 127]; an all-zero block gets
// d = 0. sum = the block's integer sum (Q4_K's mins use it).
//
// Q4_0 kernels read the same numbers a second way, four blocks at a time, so that one 64-byte
// weight load (four blocks' nibbles) meets activations without shuffles (kQ4Group below):
//   halves: per group of 4 blocks, the first halves x_i[0..15] of blocks i = 0..3, then their
//           second halves x_i[16..31] (the low and the high nibbles of block i);
//   minus8: per group, 16 int32 lanes, lane 4i + j = -8 * (x_i[4j..4j+3] + x_i[16+4j..16+4j+3]):
//           Q4_0's "- 8" folded into the starting value of the integer dot product, whose lane
//           4i + j sums exactly those eight products (low and high nibbles), so the weights stay
//           unsigned nibbles;
//   d_lanes: per group, 16 floats, lane 4i + j = d of block i.
// Only whole groups are laid out; the blocks after the last whole group are read from q.
constexpr int32_t kQ4Group = 4;
struct Q8Acts {
  const int8_t* q = nullptr;    // (T, ld) int8
  const float* d = nullptr;     // (T, ld / 32)
  const int32_t* sum = nullptr;  // (T, ld / 32)
  const int8_t* halves = nullptr;   // (T, ld)
  const int32_t* minus8 = nullptr;  // (T, ld / 8)
  const float* d_lanes = nullptr;   // (T, ld / 8)
  int64_t ld = 0;               // a multiple of 32
};
void quantize_acts_q8(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum);
// The int8 rows, block scales and block sums of inputs t0 .. t0 + N - 1 of x, for kernels that
// index them per input.
template <int N>
struct Q8ActRows {
  const int8_t* q[N];
  const float* d[N];
  const int32_t* sum[N];
  Q8ActRows(const Q8Acts& x, int32_t t0) {
    for (int t = 0; t < N; ++t) {
      q[t] = x.q + int64_t(t0 + t) * x.ld;
      d[t] = x.d + int64_t(t0 + t) * (x.ld / kQ8ActBlock);
      sum[t] = x.sum + int64_t(t0 + t) * (x.ld / kQ8ActBlock);
    }
  }
};
// The grouped copies above of one row quantized by quantize_acts_q8 (K a multiple of 32).
void group_acts_q8(const int8_t* q, const float* d, int64_t K, int8_t* halves, int32_t* minus8, float* d_lanes);

// An owning buffer for Q8Acts.
struct Q8ActsBuffer {
  std::vector<int8_t> q, halves;
  std::vector<float> d, d_lanes;
  std::vector<int32_t> sum, minus8;
  Q8Acts view(int64_t ld) const {
    Q8Acts a;
    a.q = q.data();
    a.d = d.data();
    a.sum = sum.data();
    a.halves = halves.data();
    a.minus8 = minus8.data();
    a.d_lanes = d_lanes.data();
    a.ld = ld;
    return a;
  }
  // Quantizes rows [t0, t1) of x (ldx apart) into a buffer already sized for T rows of ld, with
  // `k`'s quantize_acts (the same bits whichever variant).
  void quantize_rows(const float* x, int64_t ldx, int64_t ld, int32_t t0, int32_t t1, const struct Q4Kernels* k = nullptr);
  void resize(int32_t T, int64_t ld);
};

// ---- kernels ----

struct Q4Kernels {
  const char* name;  // "scalar", "avx2", "avx512-vnni", "neon"
  // y[t*ldy + r] = sum over c < w.cols of W[r, c] * x[t, c] for r in [r0, r1), t < T, with W a
  // Q4_0 or Q4_K view and x the activations quantized as above (x.ld >= w.cols). Each (r, t)
  // is computed alone: a row's result does not depend on the rows or inputs beside it.
  void (*matmul_rows)(const WeightView& w, int32_t r0, int32_t r1, const Q8Acts& x, int32_t T, float* y, int64_t ldy);
  // One row of K activations (a multiple of 32) quantized and grouped: exactly quantize_acts_q8
  // then group_acts_q8, bit for bit (vector variants take the same steps in lanes).
  void (*quantize_acts)(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum, int8_t* halves, int32_t* minus8,
                        float* d_lanes);
};
// The scalar quantize_acts (quantize_acts_q8, then group_acts_q8).
void quantize_acts_scalar(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum, int8_t* halves, int32_t* minus8,
                          float* d_lanes);

const Q4Kernels& q4_kernels_scalar();
// Variants compiled in and supported by this CPU, best first; the scalar one is always last.
std::vector<const Q4Kernels*> q4_kernels_available();
// The variant that goes with the active float kernels (cpu_kernels()): the same instruction set
// (COLM_KERNELS=scalar gives the scalar one), the best integer dot product it has.
const Q4Kernels& q4_kernels();

// COLM_Q4_ACTIVATIONS=f32: Q4 products keep float32 activations (each weight row dequantized, then
// the scalar float dot), so a Q4 model computes exactly what its dequantized float model does (a
// slow mode for parity checks; the 8-bit activations move logits by about 1e-2).
bool q4_float_activations();

// matmul_jobs' step for Q4 blocks: the 8-bit activations of every job that has Q4 blocks (jobs
// sharing an input share them), quantized once over the pool; indexed by job, nullptr when no job
// has Q4 blocks. Valid until the calling thread's next call.
const Q8Acts* q4_prepare_acts(const MatmulJob* jobs, int32_t n_jobs, int32_t T, ThreadPool& pool);

}  // namespace colm
