// A register-tiled GEMM in GCC/Clang vector extensions: 12 rows x 32 columns of C live in 24
// vector accumulators while k walks the segments; each step loads 32 floats of one B row and
// broadcasts 12 values of A. On x86-64 the function is built for AVX-512, AVX2 and the
// baseline (target_clones) and the loader picks one; elsewhere the compiler lowers the 64-byte
// vectors to whatever the target has.
#include "train_gemm.h"
#include "train_vectors.h"

#include <algorithm>
#include <cstring>

namespace colm {
namespace train {

namespace {


constexpr int kNR = 32;        // columns of a tile
constexpr int kMR = 12;        // rows of a full tile
constexpr int64_t kMB = 48;    // rows per task
constexpr int64_t kNB = 256;   // columns per task
constexpr int64_t kKB = 256;   // k per block


// One tile: rows [i0, i0 + MR) of C and `ncols` (<= 32) columns, summing k in [0, K) of one
// segment: A(i, k) = a[k * a_col + i] when TRANS, a[i * a_row + k] otherwise; B row k at
// b + k * ldb (32 readable floats). With load_c the sum continues from C's values, which
// keeps the order of every element's additions the same however K is cut.
template <int MR, bool TRANS>
COLM_INLINE void tile(const float* a, int64_t a_step, const float* b, int64_t ldb, int64_t K, int64_t i0, float* c,
                      int64_t ldc, int ncols, bool load_c) {
  v16 acc0[MR], acc1[MR];
  for (int i = 0; i < MR; ++i) {
    float* ci = c + (i0 + i) * ldc;
    if (!load_c) {
      acc0[i] = acc1[i] = v16{};
    } else if (ncols == kNR) {
      acc0[i] = vload(ci);
      acc1[i] = vload(ci + 16);
    } else {
      float tmp[kNR] = {};
      for (int j = 0; j < ncols; ++j) tmp[j] = ci[j];
      acc0[i] = vload(tmp);
      acc1[i] = vload(tmp + 16);
    }
  }
  if (TRANS) {
    const float* ap = a + i0;
    for (int64_t k = 0; k < K; ++k) {
      const v16 b0 = vload(b + k * ldb), b1 = vload(b + k * ldb + 16);
      const float* ak = ap + k * a_step;
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        acc0[i] += ak[i] * b0;
        acc1[i] += ak[i] * b1;
      }
    }
  } else {
    const float* ap = a + i0 * a_step;
    for (int64_t k = 0; k < K; ++k) {
      const v16 b0 = vload(b + k * ldb), b1 = vload(b + k * ldb + 16);
#pragma GCC unroll 12
      for (int i = 0; i < MR; ++i) {
        const float x = ap[i * a_step + k];
        acc0[i] += x * b0;
        acc1[i] += x * b1;
      }
    }
  }
  for (int i = 0; i < MR; ++i) {
    float* ci = c + (i0 + i) * ldc;
    if (ncols == kNR) {
      vstore(ci, acc0[i]);
      vstore(ci + 16, acc1[i]);
    } else {
      float tmp[kNR];
      vstore(tmp, acc0[i]);
      vstore(tmp + 16, acc1[i]);
      for (int j = 0; j < ncols; ++j) ci[j] = tmp[j];
    }
  }
}

// Rows [m0, m1) and columns [n0, n1) of one job: segment by segment, K in blocks of kKB so a
// block of B (kKB rows of 32 floats) stays in L1 while every row tile of the task uses it.
template <bool TRANS>
COLM_INLINE void block(const GemmJob& job, int64_t m0, int64_t m1, int64_t n0, int64_t n1, std::vector<float>& pad) {
  bool load_c = job.accumulate;
  for (const KSegment& g : job.segs) {
    // TRANS: A(i, k) = a[k * a_col + i]; otherwise a[i * a_row + k] (a_col == 1).
    const int64_t a_step = TRANS ? g.a_col : g.a_row;
    for (int64_t k0 = 0; k0 < g.K; k0 += kKB) {
      const int64_t kc = std::min(kKB, g.K - k0);
      const float* a = TRANS ? g.a + k0 * g.a_col : g.a + k0;
      for (int64_t j0 = n0; j0 < n1; j0 += kNR) {
        const int ncols = int(std::min<int64_t>(kNR, n1 - j0));
        const float* b = g.b + k0 * g.ldb + j0;
        int64_t ldb = g.ldb;
        if (ncols < kNR) {
          // A narrow last strip: its columns copied into zero-padded rows of 32.
          if (pad.size() < size_t(kc) * kNR) pad.resize(size_t(kc) * kNR);
          for (int64_t k = 0; k < kc; ++k)
            for (int j = 0; j < kNR; ++j) pad[size_t(k) * kNR + size_t(j)] = j < ncols ? b[k * g.ldb + j] : 0.0f;
          b = pad.data();
          ldb = kNR;
        }
        float* c = job.c + j0;
        int64_t i = m0;
        for (; i + kMR <= m1; i += kMR) tile<kMR, TRANS>(a, a_step, b, ldb, kc, i, c, job.ldc, ncols, load_c);
        for (; i + 4 <= m1; i += 4) tile<4, TRANS>(a, a_step, b, ldb, kc, i, c, job.ldc, ncols, load_c);
        for (; i < m1; ++i) tile<1, TRANS>(a, a_step, b, ldb, kc, i, c, job.ldc, ncols, load_c);
      }
      load_c = true;
    }
  }
}

COLM_CLONES void gemm_block(const GemmJob& job, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  thread_local std::vector<float> pad;
  const bool trans = !job.segs.empty() && job.segs[0].a_row == 1 && job.segs[0].a_col != 1;
  if (job.segs.empty()) {
    if (!job.accumulate)
      for (int64_t i = m0; i < m1; ++i) std::fill(job.c + i * job.ldc + n0, job.c + i * job.ldc + n1, 0.0f);
    return;
  }
  if (trans) {
    block<true>(job, m0, m1, n0, n1, pad);
  } else {
    block<false>(job, m0, m1, n0, n1, pad);
  }
}

}  // namespace

void gemm_run(ThreadPool& pool, const std::vector<GemmJob>& jobs) {
  struct Task {
    int32_t job;
    int64_t m0, m1, n0, n1;
  };
  std::vector<Task> tasks;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const GemmJob& g = jobs[j];  // every segment of a job reads A the same way (transposed or not)
    for (int64_t m0 = 0; m0 < g.m; m0 += kMB)
      for (int64_t n0 = 0; n0 < g.n; n0 += kNB)
        tasks.push_back({int32_t(j), m0, std::min(g.m, m0 + kMB), n0, std::min(g.n, n0 + kNB)});
  }
  pool.run(int(tasks.size()), [&](int i) {
    const Task& t = tasks[size_t(i)];
    gemm_block(jobs[size_t(t.job)], t.m0, t.m1, t.n0, t.n1);
  });
}

void gemm_serial(const GemmJob& job) { gemm_block(job, 0, job.m, 0, job.n); }

}  // namespace train
}  // namespace colm
