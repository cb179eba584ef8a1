// The backward GEMM's split into tasks; each task runs the active instruction set's register-
// tiled block (train_isa_body.h: AVX-512 12 x 32, AVX2 6 x 16, NEON 6 x 16, the scalar
// reference). Tasks are multiples of every tile's rows and columns.
#include "train_gemm.h"

#include <algorithm>

#include "train_kernels.h"

namespace colm {
namespace train {

namespace {
constexpr int64_t kMB = 48;    // rows per task
constexpr int64_t kNB = 256;   // columns per task

void block(const TrainKernels& k, const GemmJob& job, int64_t m0, int64_t m1, int64_t n0, int64_t n1) {
  k.gemm_block(job.segs.data(), int32_t(job.segs.size()), job.c, job.ldc, job.accumulate, m0, m1, n0, n1);
}
}  // namespace

void gemm_run(ThreadPool& pool, const std::vector<GemmJob>& jobs, const TrainKernels& k) {
  struct Task {
    int32_t job;
    int64_t m0, m1, n0, n1;
  };
  std::vector<Task> tasks;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const GemmJob& g = jobs[j];
    for (int64_t m0 = 0; m0 < g.m; m0 += kMB)
      for (int64_t n0 = 0; n0 < g.n; n0 += kNB)
        tasks.push_back({int32_t(j), m0, std::min(g.m, m0 + kMB), n0, std::min(g.n, n0 + kNB)});
  }
  pool.run(int(tasks.size()), [&](int i) {
    const Task& t = tasks[size_t(i)];
    block(k, jobs[size_t(t.job)], t.m0, t.m1, t.n0, t.n1);
  });
}

void gemm_serial(const GemmJob& job, const TrainKernels& k) { block(k, job, 0, job.m, 0, job.n); }

void gemm_run(ThreadPool& pool, const std::vector<GemmJob>& jobs) { gemm_run(pool, jobs, train_kernels()); }

void gemm_serial(const GemmJob& job) { gemm_serial(job, train_kernels()); }

}  // namespace train
}  // namespace colm
