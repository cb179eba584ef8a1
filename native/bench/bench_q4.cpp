// Q4_0 / Q4_K against Q8_0 and BF16 on the chain-linear products (npm run bench does not run this;
// build/native/colm_bench_q4 [threads...]): a TinyLlama-sized up_proj (5632 x 2048) and down_proj
// (2048 x 5632), decode (T = 1) and prefill (T = 64), the best of many runs (the fastest run is
// the least disturbed on a shared machine), with the kernel variant the engine picks.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "colm/kernels.h"
#include "colm/quant_q4.h"
#include "colm/thread_pool.h"

namespace {

struct Weights {
  colm::DType dtype;
  std::vector<uint8_t> data, scales;
  colm::WeightView view;
};

Weights make(colm::DType dt, int rows, int cols, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0f, 0.02f);
  std::vector<float> row(size_t(cols), 0.0f);
  Weights w{dt, {}, {}, {}};
  const int64_t row_bytes = dt == colm::DType::Q8_0 ? cols : colm::dtype_bytes(dt, cols);
  w.data.resize(size_t(rows) * size_t(row_bytes));
  if (dt == colm::DType::Q8_0) w.scales.resize(size_t(rows) * size_t(colm::q8_blocks(cols)) * 2);
  for (int r = 0; r < rows; ++r) {
    for (auto& v : row) v = normal(rng);
    uint8_t* out = w.data.data() + size_t(r) * size_t(row_bytes);
    if (dt == colm::DType::Q4_0) colm::quantize_row_q4_0(row.data(), cols, out);
    else if (dt == colm::DType::Q4_K) colm::quantize_row_q4_k(row.data(), cols, out);
    else if (dt == colm::DType::Q8_0)
      colm::quantize_row_q8_0(row.data(), cols, reinterpret_cast<int8_t*>(out), w.scales.data() + size_t(r) * colm::q8_blocks(cols) * 2, colm::DType::F16);
    else
      for (int c = 0; c < cols; ++c) {
        uint32_t b;
        __builtin_memcpy(&b, &row[size_t(c)], 4);
        const uint16_t h = uint16_t(b >> 16);
        __builtin_memcpy(out + 2 * c, &h, 2);
      }
  }
  w.view.data = w.data.data();
  w.view.dtype = dt;
  w.view.rows = rows;
  w.view.cols = cols;
  w.view.ld = cols;
  if (dt == colm::DType::Q8_0) {
    w.view.scales = w.scales.data();
    w.view.scale_dtype = colm::DType::F16;
    w.view.scales_ld = colm::q8_blocks(cols);
  }
  return w;
}

double best_us(const colm::WeightView& w, int T, colm::ThreadPool& pool, int reps) {
  std::vector<float> x(size_t(T) * size_t(w.cols)), y(size_t(T) * size_t(w.rows));
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  for (auto& v : x) v = normal(rng);
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    colm::matmul(w, x.data(), w.cols, y.data(), w.rows, T, pool);
    const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, us);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::atoi(argv[i]));
  if (threads.empty()) threads = {1, 2};
  std::mt19937 rng(7);
  std::printf("kernels: %s (Q4: %s)\n", colm::cpu_kernels().name, colm::q4_kernels().name);
  const colm::DType types[] = {colm::DType::BF16, colm::DType::Q8_0, colm::DType::Q4_0, colm::DType::Q4_K};
  const int shapes[][2] = {{5632, 2048}, {2048, 5632}};
  std::printf("%-8s %-11s %7s %12s %12s %14s\n", "threads", "shape", "dtype", "decode us", "decode GB/s", "prefill64 us");
  for (int th : threads) {
    colm::ThreadPool pool(th);
    for (auto& s : shapes) {
      for (colm::DType dt : types) {
        if (dt == colm::DType::Q4_K && s[1] % 256 != 0) continue;
        Weights w = make(dt, s[0], s[1], rng);
        const double dec = best_us(w.view, 1, pool, 60);
        const double pre = best_us(w.view, 64, pool, 6);
        const double bytes = double(w.data.size() + w.scales.size());
        std::printf("%-8d %5dx%-5d %7s %12.1f %12.2f %14.1f\n", th, s[0], s[1], colm::dtype_name(dt), dec, bytes / dec / 1e3, pre);
      }
    }
  }
  return 0;
}
