// CPU kernels behind one interface. Every instruction-set variant (scalar reference, AVX2,
// AVX-512, NEON) fills a CpuKernels table; the best one this CPU supports is chosen at run
// time. Vector variants are tested against the scalar reference (native/tests).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "colm/tensor.h"
#include "colm/thread_pool.h"

namespace colm {

// Rows of a packed weight panel the prefill kernels may keep in their scratch.
constexpr int kMatmulScratchRows = 32;

// Floats of scratch matmul_rows needs for T input rows of `cols` columns: a weight panel, and
// room to pack the inputs when the caller did not.
inline size_t matmul_scratch_floats(int64_t cols, int32_t T) {
  return size_t(kMatmulScratchRows + T + 32) * size_t(cols);  // inputs packed in tiles of up to 32 rows
}

struct CpuKernels {
  const char* name;  // "scalar", "avx2", "avx512", "neon"

  // y[t*ldy + r] = sum over c < w.cols of x[t*ldx + c] * W[r, c], for rows r in [r0, r1) and
  // t in [0, T). Weights are widened to float32; the sum is float32. `scratch` holds at least
  // matmul_scratch_floats(w.cols, T) floats for the variant's own use. A row's result must not depend on which rows
  // share its call (the engine's nested-model invariants are checked bit for bit).
  void (*matmul_rows)(const WeightView& w, int32_t r0, int32_t r1, const float* x, int64_t ldx,
                      float* y, int64_t ldy, int32_t T, float* scratch);

  // The prefill path (T > 1) of variants that have one (x_tile > 0): the input rows are packed
  // once per product, shared read-only by every thread, into ceil(T / x_tile) * x_tile * K
  // floats laid out as the variant's micro-kernel reads them: by blocks of the variant's K block
  // size, then tiles of x_tile rows, then columns, then the x_tile rows of a column (zero rows
  // past T), so the micro-kernel reads x_tile inputs of one column from one cache line and one
  // K block of a chunk of tiles from one stretch of memory. pack_x packs tiles [tile0, tile1)
  // only (tile b holds input rows [b * x_tile, (b + 1) * x_tile)), so that threads can share it.
  int32_t x_tile;
  void (*pack_x)(const float* x, int64_t ldx, int64_t K, int32_t T, float* xp, int32_t tile0, int32_t tile1);
  // As matmul_rows, reading packed inputs `xp` whose tiles hold `k_packed` >= w.cols columns.
  void (*matmul_rows_packed)(const WeightView& w, int32_t r0, int32_t r1, const float* xp,
                             int64_t k_packed, float* y, int64_t ldy, int32_t T, float* scratch);

  float (*dot)(const float* a, const float* b, int32_t n);
  void (*axpy)(float a, const float* x, float* y, int32_t n);  // y += a * x
  // out[d] = sum over p < n of weights[p] * rows[p * ld + d], d < width (attention's P V for
  // one query: the output stays in registers while the value rows stream by). With `accumulate`
  // the sum starts from out[d] instead of 0 and adds the rows in the same order, so a run of rows
  // split in two calls (a sliding-window cache ring that wraps) gives the one call's bits exactly.
  void (*weighted_row_sum)(const float* weights, int32_t n, const float* rows, int64_t ld, int32_t width, float* out,
                           bool accumulate);

  // ---- the KV cache in a narrow type (session.h KvType) ----
  // weighted_row_sum over the first n rows of a view in F32, F16, BF16 or Q8_0 (rows.cols output
  // values, rows.ld elements apart): each element widened in registers exactly as widen_row does
  // (Q8_0: float(q) * scale), then summed as weighted_row_sum sums. Same split rule: a run of rows
  // in two calls (the second with `accumulate`) gives the one call's bits.
  void (*weighted_row_sum_view)(const float* weights, int32_t n, const WeightView& rows, float* out, bool accumulate);
  // Rounds n float32 values to F16 or BF16 bits, to nearest even (F16: as F16C's VCVTPS2PH with
  // round-to-nearest; NaN stays NaN). Every variant gives the scalar reference's bits exactly.
  void (*narrow_row)(const float* src, int32_t n, DType t, uint16_t* dst);

  // ---- attention's softmax (one source for every set: kernels/cpu/softmax_body.h) ----
  // The largest of x[0..n), n >= 1.
  float (*row_max)(const float* x, int32_t n);
  // x[i] = exp(x[i] * scale - shift) for i < n, within 2 ulp of the exact exp for arguments in
  // [-87, 88] (clamped there); returns their sum. Scores are scaled here, so the caller passes
  // shift = scale * max and never writes the scaled scores.
  float (*exp_scaled_sum)(float* x, int32_t n, float scale, float shift);

  // ---- decode attention for the G query heads that share one KV head (decode_attention_body.h) ----
  // F32 or BF16 rows whose cols are a multiple of 16 (group_attention_supported); every K and V
  // row is read once for the group. A head's results do not depend on G or on which keys share
  // its call. group_scores: out[g * ldo + r] = q_g . K_r for r < keys.rows (q_g = q + g * ldq).
  void (*group_scores)(const float* q, int32_t G, int64_t ldq, const WeightView& keys, float* out, int64_t ldo);
  // group_values: out[g * ldo + d] = sum over r < rows.rows of p[g * ldp + r] * V[r, d], the rows
  // in order; with `accumulate` from out's values (a run split in two calls gives one call's bits).
  void (*group_values)(const float* p, int32_t G, int64_t ldp, const WeightView& rows, float* out, int64_t ldo,
                       bool accumulate);
};

// The caches group_scores and group_values take; other types use the per-head kernels.
inline bool group_attention_supported(DType t, int32_t head_dim) {
  return (t == DType::F32 || t == DType::BF16) && head_dim % 16 == 0 && head_dim <= 256;
}

// The scalar rounding every narrow_row variant reproduces, one value at a time.
uint16_t round_to_bf16(float f);
uint16_t round_to_f16(float f);

const CpuKernels& cpu_kernels_scalar();
// Variants compiled in and supported by this CPU, best first; the scalar one is always last.
std::vector<const CpuKernels*> cpu_kernels_available();
// Opt-in variants this CPU supports that are never picked by default because they change the
// math: "avx512-bf16" rounds decode activations to BF16 for the AVX512-BF16 dot product.
std::vector<const CpuKernels*> cpu_kernels_opt_in();
// The active variant: the best available unless COLM_KERNELS=<name> or set_cpu_kernels chose one
// (by name, among the available and the opt-in variants).
const CpuKernels& cpu_kernels();
// Chooses a variant by name; returns false (and changes nothing) when it is not available.
bool set_cpu_kernels(const std::string& name);

// Y = X W^T over the thread pool, split over blocks of output rows. x: (T, ldx), y: (T, ldy).
void matmul(const WeightView& w, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T,
            ThreadPool& pool);

// One output block of a chain linear: rows of W go to y columns [out_offset, out_offset+rows).
struct MatmulBlock {
  WeightView w;
  int32_t out_offset;
};

// Several blocks in one parallel region (the chains of one chain linear): each block reads
// only its own K-extent w.cols, so structural zeros are never loaded or multiplied.
void matmul_blocks(const MatmulBlock* blocks, int32_t n_blocks, const float* x, int64_t ldx,
                   float* y, int64_t ldy, int32_t T, ThreadPool& pool);

// Several independent products in one parallel region (q, k and v of a layer; gate and up):
// one wake-up of the pool instead of one per product.
struct MatmulJob {
  const MatmulBlock* blocks;
  int32_t n_blocks;
  const float* x;
  int64_t ldx;
  float* y;
  int64_t ldy;
};
void matmul_jobs(const MatmulJob* jobs, int32_t n_jobs, int32_t T, ThreadPool& pool);

}  // namespace colm
