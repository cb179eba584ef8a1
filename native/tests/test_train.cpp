// The trainer's own kernels: the backward GEMM against a naive double-precision product (both
// ways of reading A, several K segments, accumulation, row and column tails), bit-identical for
// any thread count, and every instruction set's tiled GEMM bit-identical to the scalar reference
// on odd sizes; the vectorised exp and softmax rows against libm; and a small Trainer whose
// weights after a few steps do not depend on the thread count, with every kernel set.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <random>
#include <vector>

#include "../src/train/train_gemm.h"
#include "../src/train/train_kernels.h"
#include "../src/train/train_ops.h"
#include "check.h"
#include "colm/kernels.h"
#include "colm/train.h"

namespace {

std::vector<float> random_vector(std::mt19937& rng, size_t n) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = normal(rng);
  return v;
}

struct Case {
  int64_t m, n;
  std::vector<int64_t> ks;  // K of each segment
  bool trans;
  bool accumulate;
};

// C (+)= sum over segments of A_s B_s with A_s read as TN or NN, against doubles.
void check_case(std::mt19937& rng, const Case& c) {
  const int64_t ldc = c.n + 3;
  std::vector<std::vector<float>> as, bs;
  colm::train::GemmJob job;
  std::vector<float> C = random_vector(rng, size_t(c.m) * ldc);
  std::vector<double> ref(size_t(c.m) * c.n);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) ref[size_t(i * c.n + j)] = c.accumulate ? C[size_t(i * ldc + j)] : 0.0;
  for (int64_t K : c.ks) {
    const int64_t lda = (c.trans ? c.m : K) + 5, ldb = c.n + 7;
    as.push_back(random_vector(rng, size_t((c.trans ? K : c.m) * lda)));
    bs.push_back(random_vector(rng, size_t(K * ldb)));
    const float* a = as.back().data();
    const float* b = bs.back().data();
    job.segs.push_back({a, c.trans ? 1 : lda, c.trans ? lda : 1, b, ldb, K});
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        double s = 0;
        for (int64_t k = 0; k < K; ++k) s += double(c.trans ? a[k * lda + i] : a[i * lda + k]) * b[k * ldb + j];
        ref[size_t(i * c.n + j)] += s;
      }
  }
  job.c = C.data();
  job.ldc = ldc;
  job.m = c.m;
  job.n = c.n;
  job.accumulate = c.accumulate;
  std::vector<float> C2 = C;
  colm::ThreadPool one(1), three(3);
  colm::train::gemm_run(one, {job});
  job.c = C2.data();
  colm::train::gemm_run(three, {job});
  double worst = 0;
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      const double got = C[size_t(i * ldc + j)], want = ref[size_t(i * c.n + j)];
      worst = std::max(worst, std::fabs(got - want) / (2e-4 + 1e-5 * std::fabs(want)));
      if (C2[size_t(i * ldc + j)] != C[size_t(i * ldc + j)]) worst = 1e9;  // thread count changed a bit
    }
  // float32 sums of up to ~1000 products of unit normals: |error| <= 2e-4 + 1e-5 |value|.
  CHECK(worst <= 1.0);
  if (!(worst <= 1.0))
    std::fprintf(stderr, "  gemm m=%lld n=%lld trans=%d acc=%d: worst %g\n", (long long)c.m, (long long)c.n, c.trans, c.accumulate, worst);
  // Padding columns past n stay untouched.
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = c.n; j < ldc; ++j) CHECK(C[size_t(i * ldc + j)] == C2[size_t(i * ldc + j)]);
}

}  // namespace

TEST(train_gemm_matches_naive_product) {
  std::mt19937 rng(11);
  const Case cases[] = {
      {1, 1, {1}, false, false},     {12, 32, {7}, false, false},    {13, 33, {300}, false, true},
      {50, 70, {5, 9, 300}, false, false}, {97, 256, {64}, true, false}, {5, 3, {600}, true, true},
      {48, 64, {257, 3}, true, false}, {130, 31, {33}, false, true},  {3, 100, {1000}, true, false},
  };
  for (const Case& c : cases) check_case(rng, c);
}

// Each instruction set's tile (AVX-512 12 x 32, AVX2 6 x 16, NEON 6 x 16) against the scalar
// reference: the same fused multiply-adds in the same order, so the same bits, on sizes that leave
// row and column tails of every tile, with K cut across blocks and segments, both ways of reading
// A, with and without accumulation, and for 1 and 3 threads.
TEST(train_gemm_every_instruction_set_equals_the_scalar_reference) {
  std::mt19937 rng(29);
  const Case cases[] = {
      {1, 1, {1}, false, false},        {5, 7, {3}, true, false},          {7, 17, {13}, false, true},
      {13, 33, {257}, true, true},      {25, 47, {5, 300, 1}, false, false}, {49, 263, {31, 2}, true, false},
      {11, 31, {520}, false, true},     {97, 15, {9}, true, true},         {6, 16, {1, 1, 1}, false, false},
  };
  const auto sets = colm::train::train_kernels_available();
  CHECK(!sets.empty() && std::string(sets.back()->name) == "scalar");
  colm::ThreadPool one(1), three(3);
  for (const Case& c : cases) {
    const int64_t ldc = c.n + 3;
    std::vector<std::vector<float>> as, bs;
    colm::train::GemmJob job;
    for (int64_t K : c.ks) {
      const int64_t lda = (c.trans ? c.m : K) + 5, ldb = c.n + 7;
      as.push_back(random_vector(rng, size_t((c.trans ? K : c.m) * lda)));
      bs.push_back(random_vector(rng, size_t(K * ldb)));
      job.segs.push_back({as.back().data(), c.trans ? 1 : lda, c.trans ? lda : 1, bs.back().data(), ldb, K});
    }
    job.ldc = ldc;
    job.m = c.m;
    job.n = c.n;
    job.accumulate = c.accumulate;
    const std::vector<float> start = random_vector(rng, size_t(c.m) * ldc);
    std::vector<float> want = start;
    job.c = want.data();
    colm::train::gemm_run(one, {job}, colm::train::train_kernels_scalar());
    for (const colm::train::TrainKernels* k : sets) {
      for (colm::ThreadPool* pool : {&one, &three}) {
        std::vector<float> got = start;
        job.c = got.data();
        colm::train::gemm_run(*pool, {job}, *k);
        const bool same = std::memcmp(got.data(), want.data(), got.size() * sizeof(float)) == 0;
        CHECK(same);
        if (!same)
          std::fprintf(stderr, "  %s (%d threads) m=%lld n=%lld trans=%d acc=%d differs from the scalar reference\n", k->name,
                       pool->size(), (long long)c.m, (long long)c.n, c.trans, c.accumulate);
      }
    }
  }
}

TEST(train_exp_and_softmax_rows_match_libm) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-80.0f, 80.0f);
  std::vector<float> x(1003), y(1003);
  for (auto& v : x) v = u(rng);
  y = x;
  colm::train::vec_exp_shifted(y.data(), int64_t(y.size()), 1.5f);
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(double(x[i] - 1.5f));  // of the float argument the kernel sees
    worst = std::max(worst, std::fabs(y[i] - want) / want);
  }
  if (!(worst < 4e-7)) std::fprintf(stderr, "  exp worst relative error %g\n", worst);
  CHECK(worst < 4e-7);
  // softmax_row: sums to 1 and lse matches.
  std::vector<float> s(77);
  for (auto& v : s) v = u(rng) * 0.1f;
  std::vector<float> orig = s;
  const float lse = colm::train::softmax_row(s.data(), int64_t(s.size()), 0.5f);
  double sum = 0, ref = 0;
  for (float v : orig) ref += std::exp(0.5 * double(v));
  for (float v : s) sum += v;
  CHECK(std::fabs(sum - 1.0) < 1e-5);
  CHECK(std::fabs(lse - std::log(ref)) < 1e-5);
}

TEST(trainer_weights_do_not_depend_on_the_thread_count) {
  colm::ModelConfig c;
  c.hidden_size = 48;
  c.intermediate_size = 96;
  c.num_layers = 2;
  c.vocab_size = 50;
  c.num_heads = 6;
  c.num_kv_heads = 3;
  c.head_dim = 8;
  c.chains = {1, 2};
  colm::TrainOptions o;
  o.seed = 4;
  o.lr = 1e-2f;
  std::vector<int32_t> tokens(3 * 21);
  for (size_t i = 0; i < tokens.size(); ++i) tokens[i] = int32_t((i * 17 + 3) % 50);
  const std::string active = colm::cpu_kernels().name;
  for (const colm::CpuKernels* variant : colm::cpu_kernels_available()) {
    CHECK(colm::set_cpu_kernels(variant->name));  // the trainer follows the engine's variant
    CHECK(std::string(colm::train::train_kernels().name) ==
          (std::string(variant->name) == "avx512-bf16" ? "avx512" : variant->name));
    std::vector<std::vector<colm::NamedTensor>> results;
    for (int threads : {1, 2, 3}) {
      o.threads = threads;
      colm::Trainer t(c, o);
      for (int s = 0; s < 3; ++s) t.step(tokens.data(), 3, 20);
      results.push_back(t.export_weights());
    }
    for (size_t r = 1; r < results.size(); ++r)
      for (size_t i = 0; i < results[0].size(); ++i) CHECK(results[r][i].data == results[0][i].data);
  }
  colm::set_cpu_kernels(active);
}
