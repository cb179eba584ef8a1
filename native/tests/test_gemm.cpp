// The prefill GEMM (matmul over the thread pool, T > 1) at shapes large enough to cross every
// blocking boundary of the packed kernels: several K blocks with a short last one, several
// weight blocks and slivers with a partial last one, input chunks and a partial last tile.
// Every kernel set against the scalar reference, and bit for bit against itself whatever the
// thread count, the row split and the rows sharing the call (the engine's invariants compare
// bits).
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "check.h"
#include "colm/kernels.h"
#include "colm/tensor.h"
#include "colm/thread_pool.h"

namespace {

uint16_t to_bf16_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return uint16_t((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

// Weights with values exactly representable in every dtype tested (BF16 rounding of a normal),
// stored as `t`.
struct Weights {
  std::vector<uint8_t> bytes;
  colm::WeightView view;
};

Weights random_weights(std::mt19937& rng, colm::DType t, int rows, int cols, int ld) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Weights w;
  w.bytes.resize(size_t(rows) * size_t(ld) * colm::dtype_size(t) + 64);
  for (int i = 0; i < rows * ld; ++i) {
    const uint16_t h = to_bf16_bits(normal(rng));
    if (t == colm::DType::F32) {
      const float v = colm::bf16_to_f32(h);
      std::memcpy(&w.bytes[size_t(i) * 4], &v, 4);
    } else {
      std::memcpy(&w.bytes[size_t(i) * 2], &h, 2);
    }
  }
  w.view = {w.bytes.data(), t, rows, cols, ld};
  return w;
}

std::string name_of(const colm::CpuKernels& k, colm::DType t, int T) {
  return std::string(k.name) + " " + colm::dtype_name(t) + " T=" + std::to_string(T);
}

}  // namespace

TEST(prefill_gemm_matches_scalar_reference_across_blocking_boundaries) {
  std::mt19937 rng(2024);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::string initial = colm::cpu_kernels().name;
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  colm::ThreadPool pool(2);
  // rows: 2 weight blocks of 256 and a partial sliver; cols: K blocks of 256 (and 192 and so on)
  // with a short last one; T: a partial last tile for 6 and 12, and more than one input chunk.
  const int rows = 300, cols = 701, ld = 709;
  for (colm::DType t : {colm::DType::F32, colm::DType::BF16}) {
    Weights w = random_weights(rng, t, rows, cols, ld);
    for (int T : {2, 13, 131}) {
      std::vector<float> x(size_t(T) * cols);
      for (auto& v : x) v = normal(rng);
      std::vector<float> y_ref(size_t(T) * rows);
      std::vector<float> scratch(colm::matmul_scratch_floats(cols, T));
      ref.matmul_rows(w.view, 0, rows, x.data(), cols, y_ref.data(), rows, T, scratch.data());
      for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
        CHECK(colm::set_cpu_kernels(k->name));
        std::vector<float> y(size_t(T) * rows, -7.0f);
        colm::matmul(w.view, x.data(), cols, y.data(), rows, T, pool);
        for (int tt = 0; tt < T; ++tt) {
          for (int r = 0; r < rows; ++r) {
            double mag = 0;
            std::vector<float> wrow(static_cast<size_t>(cols));
            colm::widen_to_f32(w.view.row_ptr(r), t, wrow.data(), cols);
            for (int c = 0; c < cols; ++c) mag += std::fabs(double(wrow[size_t(c)]) * x[size_t(tt) * cols + c]);
            const float a = y[size_t(tt) * rows + r], b = y_ref[size_t(tt) * rows + r];
            if (!(std::fabs(double(a) - b) <= 1e-5 * mag + 1e-6)) {
              colm_test::fail(__FILE__, __LINE__, name_of(*k, t, T) + " row " + std::to_string(r) + ": " +
                                                      std::to_string(a) + " vs " + std::to_string(b));
              colm::set_cpu_kernels(initial);
              return;
            }
          }
        }
      }
    }
  }
  colm::set_cpu_kernels(initial);
}

TEST(prefill_gemm_rows_do_not_depend_on_threads_split_or_neighbours) {
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::string initial = colm::cpu_kernels().name;
  colm::ThreadPool one(1), two(2);
  const int rows = 290, cols = 530, ld = 530;
  for (colm::DType t : {colm::DType::F32, colm::DType::F16}) {
    Weights w = random_weights(rng, t, rows, cols, ld);
    for (int T : {5, 8, 131}) {
      std::vector<float> x(size_t(T) * cols);
      for (auto& v : x) v = normal(rng);
      for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
        CHECK(colm::set_cpu_kernels(k->name));
        std::vector<float> y1(size_t(T) * rows), y2(size_t(T) * rows), y3(size_t(T) * rows);
        colm::matmul(w.view, x.data(), cols, y1.data(), rows, T, one);
        colm::matmul(w.view, x.data(), cols, y2.data(), rows, T, two);
        CHECK(std::memcmp(y1.data(), y2.data(), y1.size() * 4) == 0);
        // The same rows as chain-style blocks cut at odd places, in one parallel region.
        const int cuts[] = {0, 7, 40, 171, 290};
        std::vector<colm::MatmulBlock> blocks;
        for (int i = 0; i + 1 < 5; ++i) {
          colm::WeightView v = w.view;
          v.data = w.view.row_ptr(cuts[i]);
          v.rows = cuts[i + 1] - cuts[i];
          blocks.push_back({v, cuts[i]});
        }
        colm::matmul_blocks(blocks.data(), int32_t(blocks.size()), x.data(), cols, y3.data(), rows, T, two);
        CHECK(std::memcmp(y1.data(), y3.data(), y1.size() * 4) == 0);
        // One input row alone (T > 1 is the packed path: the row and a copy of it).
        if (T > 1) {
          std::vector<float> x2(size_t(2) * cols), y4(size_t(2) * rows);
          std::memcpy(x2.data(), x.data() + size_t(T - 1) * cols, size_t(cols) * 4);
          std::memcpy(x2.data() + cols, x.data() + size_t(T - 1) * cols, size_t(cols) * 4);
          colm::matmul(w.view, x2.data(), cols, y4.data(), rows, 2, two);
          CHECK(std::memcmp(y4.data(), y1.data() + size_t(T - 1) * rows, size_t(rows) * 4) == 0);
        }
        if (colm_test::failures_in_current_test() > 0) {
          colm_test::fail(__FILE__, __LINE__, name_of(*k, t, T));
          colm::set_cpu_kernels(initial);
          return;
        }
      }
    }
  }
  colm::set_cpu_kernels(initial);
}

TEST(prefill_gemm_chain_blocks_read_their_own_k_extent) {
  // A chain linear: blocks of different K-extents share one packed input whose width is the
  // widest block's; each block reads a prefix of every K block of it (here 300 of 701 columns:
  // a short K block where the packed one is full).
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const std::string initial = colm::cpu_kernels().name;
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  colm::ThreadPool pool(2);
  const int cols = 701, T = 29;
  Weights w = random_weights(rng, colm::DType::BF16, 150, cols, cols);
  std::vector<float> x(size_t(T) * cols);
  for (auto& v : x) v = normal(rng);
  colm::WeightView first = w.view, second = w.view;
  first.rows = 70;
  first.cols = 300;
  second.data = w.view.row_ptr(70);
  second.rows = 80;
  const colm::MatmulBlock blocks[] = {{first, 0}, {second, 70}};
  std::vector<float> y_ref(size_t(T) * 150);
  std::vector<float> scratch(colm::matmul_scratch_floats(cols, T));
  ref.matmul_rows(first, 0, 70, x.data(), cols, y_ref.data(), 150, T, scratch.data());
  ref.matmul_rows(second, 0, 80, x.data(), cols, y_ref.data() + 70, 150, T, scratch.data());
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    CHECK(colm::set_cpu_kernels(k->name));
    std::vector<float> y(size_t(T) * 150);
    colm::matmul_blocks(blocks, 2, x.data(), cols, y.data(), 150, T, pool);
    CHECK(colm_test::worst_closeness(y.data(), y_ref.data(), y.size(), 1e-3, 1e-4) <= 1.0);
    // The first block alone (its own, narrower packed input) gives the same bits.
    std::vector<float> y1(size_t(T) * 150);
    colm::matmul_blocks(blocks, 1, x.data(), cols, y1.data(), 150, T, pool);
    bool same = true;
    for (int t = 0; t < T; ++t)
      same = same && std::memcmp(&y[size_t(t) * 150], &y1[size_t(t) * 150], 70 * 4) == 0;
    CHECK(same);
  }
  colm::set_cpu_kernels(initial);
}
