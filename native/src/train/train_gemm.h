// The backward pass's products, C (+)= A B, where B's rows are contiguous along C's columns:
//   input gradient   dX = dY W          A = dY (rows: positions), B = W (rows: outputs)
//   weight gradient  dW = dY^T X        A = dY read transposed, B = X (rows: positions)
// so neither needs a transposed copy of anything. A sum may run over several K segments in
// turn (the stored blocks of a chain linear that an input chain feeds) and stays in registers
// across them. Each output element is one lane summing in segment then k order, whatever the
// thread split: results are bit-identical for any thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "colm/thread_pool.h"

namespace colm {
namespace train {

// A(i, k) = a[i * a_row + k * a_col]; B(k, j) = b[k * ldb + j], for k in [0, K).
struct KSegment {
  const float* a;
  int64_t a_row, a_col;
  const float* b;
  int64_t ldb;
  int64_t K;
};

// C(i, j) = c[i * ldc + j] for i < m, j < n: set (or, with accumulate, increased) to the sum
// over segments of A B.
struct GemmJob {
  std::vector<KSegment> segs;
  float* c;
  int64_t ldc;
  int64_t m, n;
  bool accumulate;
};

// Runs every job in one parallel region.
void gemm_run(ThreadPool& pool, const std::vector<GemmJob>& jobs);

// Runs one job on the calling thread (inside a task of a parallel region).
void gemm_serial(const GemmJob& job);

}  // namespace train
}  // namespace colm
