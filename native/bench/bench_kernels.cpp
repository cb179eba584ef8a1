// Kernel benchmark (not a test): chain GEMV/GEMM against this engine's dense kernel of the
// same shape (and OpenBLAS's sgemm/sgemv when built with it), plus the triad bandwidth of this
// machine measured in the same run. Prints one JSON object; bench/main.ts makes the table.
//
//   colm_bench_kernels [--threads N] [--quick]
//   colm_bench_kernels --gemm [--kernels NAME] [--quick]
//
// --gemm: the prefill GEMM of one kernel set (NAME, default the active one) against OpenBLAS's
// sgemm, F32 4096x4096 weights, at 1 and 2 threads; ours and OpenBLAS alternate inside one loop
// and each keeps its best time, so a noisy neighbour slows both alike (on 1 thread the time is
// the thread's CPU time, see time_once). OpenBLAS picks its own kernel from OPENBLAS_CORETYPE
// (bench/main.ts sets the one that matches the kernel set).
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "colm/kernels.h"
#include "colm/thread_pool.h"

#ifdef COLM_BENCH_OPENBLAS
#include <cblas.h>
#endif

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Best time over repetitions, each at least min_seconds long in total.
template <class F>
double best_time(F&& f, double min_seconds) {
  f();  // warm-up
  double best = 1e30, total = 0;
  int reps = 0;
  while (total < min_seconds || reps < 3) {
    auto t0 = Clock::now();
    f();
    double s = seconds_since(t0);
    best = std::min(best, s);
    total += s;
    ++reps;
  }
  return best;
}

struct Weights {
  std::vector<uint8_t> bytes;
  colm::DType dtype;
  int64_t rows, cols;
};

// Normal random values (no denormals: they would measure the CPU's microcode assists instead).
Weights random_weights(colm::DType t, int64_t rows, int64_t cols) {
  Weights w{std::vector<uint8_t>(size_t(rows * cols) * colm::dtype_size(t)), t, rows, cols};
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  for (int64_t i = 0; i < rows * cols; ++i) {
    float v = normal(rng);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    if (t == colm::DType::F32) {
      std::memcpy(&w.bytes[size_t(i) * 4], &v, 4);
    } else if (t == colm::DType::BF16) {
      uint16_t h = uint16_t(bits >> 16);
      std::memcpy(&w.bytes[size_t(i) * 2], &h, 2);
    } else {
      // |v| < 1 and not tiny: a plain f16 encoding without rounding is good enough here.
      int32_t e = int32_t((bits >> 23) & 0xff) - 127 + 15;
      uint16_t h = uint16_t(((bits >> 16) & 0x8000u) | (e > 0 ? (uint32_t(e) << 10) | ((bits >> 13) & 0x3ffu) : 0u));
      std::memcpy(&w.bytes[size_t(i) * 2], &h, 2);
    }
  }
  return w;
}

// Chain blocks of a D_in -> D_out chain linear with ratios C over one whole (masked) matrix.
std::vector<colm::MatmulBlock> chain_blocks(const Weights& w, const std::vector<int>& chains) {
  int s = 0;
  for (int c : chains) s += c;
  std::vector<colm::MatmulBlock> blocks;
  int64_t out = 0, cum_in = 0;
  for (int c : chains) {
    const int64_t rows = w.rows * c / s;
    cum_in += w.cols * c / s;
    colm::WeightView v{w.bytes.data() + size_t(out * w.cols) * colm::dtype_size(w.dtype), w.dtype, int32_t(rows), int32_t(cum_in), w.cols};
    blocks.push_back({v, int32_t(out)});
    out += rows;
  }
  return blocks;
}

double ideal_ratio(const std::vector<int>& chains) {
  double s = 0, cum = 0, sum = 0;
  for (int c : chains) s += c;
  for (int c : chains) {
    cum += c;
    sum += c * cum;
  }
  return sum / (s * s);
}

// STREAM-style triad over arrays far larger than any last-level cache (3 x 256 MiB), so it
// measures DRAM, as a decode of a real model does.
double triad_gbps(int threads) {
  const size_t n = size_t(1) << 26;
  std::vector<float> a(n, 1), b(n, 2), c(n, 3);
  colm::ThreadPool pool(threads);
  const int parts = threads * 4;
  double t = best_time([&] {
    pool.run(parts, [&](int p) {
      const size_t lo = n * size_t(p) / size_t(parts), hi = n * size_t(p + 1) / size_t(parts);
      for (size_t i = lo; i < hi; ++i) a[i] = b[i] + 0.5f * c[i];
    });
  }, 1.0);
  return 3.0 * double(n) * 4 / t / 1e9;
}

// ---- --gemm: ours against OpenBLAS, interleaved ----

#ifdef COLM_BENCH_OPENBLAS
extern "C" char* openblas_get_corename(void);
#endif

// Seconds of `f`: on one thread the CPU time of this thread (both libraries then run on the
// calling thread), so that time slices lost to other processes on a shared machine do not
// count; on several threads the wall time.
template <class F>
double time_once(F&& f, int threads) {
#if defined(_WIN32)
  (void)threads;
#else
  if (threads == 1) {
    timespec a, b;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
    f();
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
    return double(b.tv_sec - a.tv_sec) + 1e-9 * double(b.tv_nsec - a.tv_nsec);
  }
#endif
  auto t0 = Clock::now();
  f();
  return seconds_since(t0);
}

int gemm_main(const char* kernels, bool quick) {
  if (kernels && !colm::set_cpu_kernels(kernels)) {
    std::fprintf(stderr, "kernel set %s is not available on this CPU\n", kernels);
    return 2;
  }
  const int64_t N = 4096, K = 4096;
  Weights w = random_weights(colm::DType::F32, N, K);
  const float* a = reinterpret_cast<const float*>(w.bytes.data());
  struct Case {
    const char* name;
    std::vector<int> chains;
    int T;
  };
  const Case cases[] = {{"dense", {1}, 128}, {"dense", {1}, 512}, {"chains", {1, 1, 1, 1}, 128}, {"chains", {1, 1, 1, 1}, 512}};
  const int rounds = quick ? 3 : 9;
#ifdef COLM_BENCH_OPENBLAS
  const char* ob_core = openblas_get_corename();
#else
  const char* ob_core = "";
#endif
  std::printf("{\n  \"kernels\": \"%s\", \"openblas\": \"%s\", \"results\": [\n", colm::cpu_kernels().name, ob_core);
  bool first = true;
  for (int threads : {1, 2}) {
    colm::ThreadPool pool(threads);
#ifdef COLM_BENCH_OPENBLAS
    openblas_set_num_threads(threads);
#endif
    for (const Case& c : cases) {
      std::vector<float> x(size_t(c.T * K)), y(size_t(c.T * N));
      std::mt19937 rng(7);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (float& v : x) v = normal(rng);
      auto blocks = chain_blocks(w, c.chains);
      double flops = 0;
      for (const auto& b : blocks) flops += 2.0 * b.w.rows * b.w.cols * c.T;
      auto ours = [&] { colm::matmul_blocks(blocks.data(), int32_t(blocks.size()), x.data(), K, y.data(), N, c.T, pool); };
      // OpenBLAS does the same useful work: one sgemm per chain block over its own K-extent.
      auto theirs = [&] {
#ifdef COLM_BENCH_OPENBLAS
        for (const auto& b : blocks)
          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c.T, b.w.rows, b.w.cols, 1.0f, x.data(), int(K),
                      a + int64_t(b.out_offset) * K, int(K), 0.0f, y.data() + b.out_offset, int(N));
#endif
      };
      ours();
      theirs();
      double best_ours = 1e30, best_theirs = 1e30;
      for (int r = 0; r < rounds; ++r) {
        best_ours = std::min(best_ours, time_once(ours, threads));
        best_theirs = std::min(best_theirs, time_once(theirs, threads));
      }
      std::string cs;
      for (size_t i = 0; i < c.chains.size(); ++i) cs += (i ? "," : "") + std::to_string(c.chains[i]);
#ifdef COLM_BENCH_OPENBLAS
      const double ob = flops / best_theirs / 1e9;
#else
      const double ob = 0;
#endif
      std::printf("%s    {\"case\": \"%s\", \"rows\": %lld, \"cols\": %lld, \"T\": %d, \"chains\": [%s], \"threads\": %d, "
                  "\"clock\": \"%s\", \"ours_gflops\": %.2f, \"openblas_gflops\": %.2f}",
                  first ? "" : ",\n", c.name, (long long)N, (long long)K, c.T, cs.c_str(), threads,
#if defined(_WIN32)
                  "wall",
#else
                  threads == 1 ? "thread-cpu" : "wall",
#endif
                  flops / best_ours / 1e9, ob);
      std::fflush(stdout);
      first = false;
    }
  }
  std::printf("\n  ]\n}\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = colm::default_thread_count();
  bool quick = false, gemm = false;
  const char* kernels = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--threads") && i + 1 < argc) threads = std::atoi(argv[++i]);
    if (!std::strcmp(argv[i], "--kernels") && i + 1 < argc) kernels = argv[++i];
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    if (!std::strcmp(argv[i], "--gemm")) gemm = true;
  }
  if (gemm) return gemm_main(kernels, quick);
  if (kernels && !colm::set_cpu_kernels(kernels)) {
    std::fprintf(stderr, "kernel set %s is not available on this CPU\n", kernels);
    return 2;
  }
  const double min_s = quick ? 0.05 : 0.3;
  colm::ThreadPool pool(threads);
  std::printf("{\n  \"kernels\": \"%s\", \"threads\": %d, \"triad_gbps\": %.2f,\n  \"results\": [\n",
              colm::cpu_kernels().name, threads, triad_gbps(threads));
  const int64_t shapes[][2] = {{2048, 2048}, {2048, 8192}, {4096, 4096}};
  const std::vector<std::vector<int>> chain_sets = {{1}, {1, 1}, {1, 1, 1, 1}, {4, 4, 8}};
  const colm::DType dtypes[] = {colm::DType::F32, colm::DType::BF16, colm::DType::F16};
  const int Ts[] = {1, 128};
  bool first = true;
  for (const auto& sh : shapes) {
    for (colm::DType dt : dtypes) {
      Weights w = random_weights(dt, sh[0], sh[1]);
      for (int T : Ts) {
        if (quick && T > 1 && dt != colm::DType::F32) continue;
        std::vector<float> x(size_t(T * sh[1]), 0.01f), y(size_t(T * sh[0]));
        double dense_s = 0;
        for (const auto& chains : chain_sets) {
          auto blocks = chain_blocks(w, chains);
          double s = best_time([&] {
            colm::matmul_blocks(blocks.data(), int32_t(blocks.size()), x.data(), sh[1], y.data(), sh[0], T, pool);
          }, min_s);
          if (chains.size() == 1) dense_s = s;
          const double stored = double(sh[0]) * double(sh[1]) * ideal_ratio(chains);
          std::string cs;
          for (size_t i = 0; i < chains.size(); ++i) cs += (i ? "," : "") + std::to_string(chains[i]);
          std::printf("%s    {\"rows\": %lld, \"cols\": %lld, \"dtype\": \"%s\", \"T\": %d, \"chains\": [%s], "
                      "\"ms\": %.4f, \"gflops\": %.2f, \"gbps\": %.2f, \"ratio\": %.4f, \"ideal\": %.4f}",
                      first ? "" : ",\n", (long long)sh[0], (long long)sh[1], colm::dtype_name(dt), T, cs.c_str(), s * 1e3,
                      2.0 * stored * T / s / 1e9, stored * colm::dtype_size(dt) / s / 1e9, s / dense_s, ideal_ratio(chains));
          first = false;
        }
#ifdef COLM_BENCH_OPENBLAS
        if (dt == colm::DType::F32) {
          openblas_set_num_threads(threads);
          const float* a = reinterpret_cast<const float*>(w.bytes.data());
          double s = best_time([&] {
            if (T == 1) cblas_sgemv(CblasRowMajor, CblasNoTrans, int(sh[0]), int(sh[1]), 1.0f, a, int(sh[1]), x.data(), 1, 0.0f, y.data(), 1);
            else cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, int(sh[0]), int(sh[1]), 1.0f, x.data(), int(sh[1]), a, int(sh[1]), 0.0f, y.data(), int(sh[0]));
          }, min_s);
          std::printf(",\n    {\"rows\": %lld, \"cols\": %lld, \"dtype\": \"F32\", \"T\": %d, \"openblas\": true, \"ms\": %.4f, "
                      "\"gflops\": %.2f, \"gbps\": %.2f, \"ratio\": %.4f}",
                      (long long)sh[0], (long long)sh[1], T, s * 1e3, 2.0 * sh[0] * sh[1] * T / s / 1e9,
                      double(sh[0]) * sh[1] * 4 / s / 1e9, s / dense_s);
        }
#endif
      }
    }
  }
  std::printf("\n  ]\n}\n");
  return 0;
}
