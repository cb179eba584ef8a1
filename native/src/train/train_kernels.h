// The trainer's kernels per instruction set, behind one table, as the engine's CPU kernels are
// (colm/kernels.h): train_isa_scalar.cpp (the reference, built for the baseline target),
// train_isa_avx2.cpp and train_isa_avx512.cpp (only these files are compiled for their wider
// sets, x86-64) and train_isa_neon.cpp (aarch64). Each is train_isa_body.h compiled once with
// its own vector type and GEMM tile. The trainer uses the table of the engine's active kernel
// variant (cpu_kernels(): the best this CPU runs, or the one --kernels / COLM_KERNELS chose), so
// choosing "avx2" runs the trainer's AVX2 code too.
//
// Every GEMM output element is one chain of fused multiply-adds in segment then k order on every
// table: the products are bit-identical across instruction sets, tiles and thread counts. The
// elementwise kernels keep a fixed order too, but the compiler may fuse their multiply-adds
// where the set has FMA, so they may differ in the last bits between sets (never between runs
// or thread counts on one set).
#pragma once
#include <cstdint>
#include <vector>

#include "train_gemm.h"
#include "train_ops.h"

namespace colm {
namespace train {

struct TrainKernels {
  const char* name;  // "scalar", "avx2", "avx512", "neon"
  int32_t tile_rows, tile_cols;  // the GEMM's register tile of C (0, 0 for the scalar reference)

  // Rows [m0, m1), columns [n0, n1) of C (+)= sum over the segments of A B (train_gemm.h).
  void (*gemm_block)(const KSegment* segs, int32_t n_segs, float* c, int64_t ldc, bool accumulate, int64_t m0,
                     int64_t m1, int64_t n0, int64_t n1);

  float (*vec_sum)(const float* x, int64_t n);
  float (*vec_max)(const float* x, int64_t n);
  float (*vec_dot)(const float* a, const float* b, int64_t n);
  void (*vec_axpy)(float a, const float* x, float* y, int64_t n);
  void (*vec_add)(const float* x, float* y, int64_t n);
  void (*vec_scale)(float a, float* x, int64_t n);
  float (*vec_exp_shifted)(float* x, int64_t n, float shift);
  void (*transpose)(const float* src, int64_t rows, int64_t cols, int64_t ld_src, float* dst, int64_t ld_dst);
  void (*chain_norm_forward)(const float* x, const float* w, const int32_t* cum, int32_t n, float eps, float* out,
                             float* rstd);
  void (*chain_norm_backward)(const float* x, const float* w, const int32_t* cum, int32_t n, const float* rstd,
                              const float* dy, float* dx, float* dw);
  void (*swiglu_forward)(const float* g, const float* u, float* act, int64_t n);
  void (*swiglu_backward)(const float* g, const float* u, const float* d_act, float* dg, float* du, int64_t n);
  void (*rope_rows)(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* cos_t,
                    const float* sin_t, bool inverse);
  float (*softmax_row)(float* s, int64_t n, float scale);
  void (*softmax_backward_row)(float* s, float* dp, int64_t n, float scale, float lse, float delta);
  void (*multi_chain_loss_row)(float* c, int32_t n, int64_t V, int32_t target, const float* weight,
                               float smoothing, double* loss, float* running);
  void (*adamw_update)(float* w, const float* g, float* m, float* v, int64_t n, const AdamStep& s, bool decay);
  double (*sum_squares)(const float* x, int64_t n);
};

const TrainKernels& train_kernels_scalar();
// The tables compiled in that this CPU runs, best first; the scalar one is always last.
std::vector<const TrainKernels*> train_kernels_available();
// The table of the engine's active kernel variant (cpu_kernels()).
const TrainKernels& train_kernels();

// gemm_run / gemm_serial with a given table instead of the active one.
void gemm_run(ThreadPool& pool, const std::vector<GemmJob>& jobs, const TrainKernels& k);
void gemm_serial(const GemmJob& job, const TrainKernels& k);

}  // namespace train
}  // namespace colm
