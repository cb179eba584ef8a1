// Every kernel variant this CPU can run against the scalar reference, on random shapes that
// include widths that are not multiples of any vector size, all dtypes, and row strides wider
// than the rows (chain blocks read a prefix of each row).
#include <cmath>
#include <cstring>
#include <random>

#include "check.h"
#include "colm/kernels.h"
#include "colm/tensor.h"

namespace {

uint16_t to_bf16(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return uint16_t((b + 0x7fffu + ((b >> 16) & 1u)) >> 16);
}

uint16_t to_f16(float f) {
  // Values in the tests are small normals: a simple conversion with round-to-nearest suffices.
  uint32_t b;
  std::memcpy(&b, &f, 4);
  uint32_t sign = (b >> 16) & 0x8000u;
  int32_t exp = int32_t((b >> 23) & 0xffu) - 127 + 15;
  uint32_t mant = b & 0x7fffffu;
  if (exp <= 0) return uint16_t(sign);  // flush tiny values to zero
  uint32_t h = sign | (uint32_t(exp) << 10) | (mant >> 13);
  if ((mant >> 12) & 1u) ++h;
  return uint16_t(h);
}

struct Matrix {
  std::vector<uint8_t> bytes;
  colm::WeightView view;
};

Matrix random_matrix(std::mt19937& rng, colm::DType t, int rows, int cols, int ld) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Matrix m;
  const size_t es = colm::dtype_size(t);
  m.bytes.resize(size_t(rows) * size_t(ld) * es + 64);
  for (int i = 0; i < rows * ld; ++i) {
    float v = normal(rng);
    if (t == colm::DType::F32) std::memcpy(&m.bytes[size_t(i) * 4], &v, 4);
    else {
      uint16_t h = t == colm::DType::F16 ? to_f16(v) : to_bf16(v);
      std::memcpy(&m.bytes[size_t(i) * 2], &h, 2);
    }
  }
  m.view = {m.bytes.data(), t, rows, cols, ld};
  return m;
}

}  // namespace

TEST(kernels_match_scalar_reference_on_random_shapes) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> rows_d(1, 41), cols_d(1, 300), extra_d(0, 9);
  const int Ts[] = {1, 2, 3, 4, 5, 7, 13};
  const colm::DType dtypes[] = {colm::DType::F32, colm::DType::F16, colm::DType::BF16};
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  int compared = 0;
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int trial = 0; trial < 40; ++trial) {
      for (colm::DType t : dtypes) {
        const int rows = rows_d(rng), cols = cols_d(rng), ld = cols + extra_d(rng);
        const int T = Ts[trial % 7];
        Matrix m = random_matrix(rng, t, rows, cols, ld);
        std::normal_distribution<float> normal(0.0f, 1.0f);
        const int ldx = cols + 3, ldy = rows + 2;
        std::vector<float> x(size_t(T) * ldx), y(size_t(T) * ldy, -7.0f), y_ref(size_t(T) * ldy, -7.0f);
        for (auto& v : x) v = normal(rng);
        std::vector<float> scratch(colm::matmul_scratch_floats(cols, T));
        k->matmul_rows(m.view, 0, rows, x.data(), ldx, y.data(), ldy, T, scratch.data());
        ref.matmul_rows(m.view, 0, rows, x.data(), ldx, y_ref.data(), ldy, T, scratch.data());
        // Reordered float32 sums differ by rounding: bound the error by the sum of |terms|.
        for (int tt = 0; tt < T; ++tt) {
          for (int r = 0; r < ldy; ++r) {
            const float a = y[size_t(tt) * ldy + r], b = y_ref[size_t(tt) * ldy + r];
            if (r >= rows) {
              CHECK(a == -7.0f);  // nothing written outside the rows asked for
              continue;
            }
            std::vector<float> wrow(static_cast<size_t>(cols));
            colm::widen_to_f32(m.view.row_ptr(r), t, wrow.data(), cols);
            double mag = 0;
            for (int c = 0; c < cols; ++c) mag += std::fabs(double(wrow[size_t(c)]) * x[size_t(tt) * ldx + c]);
            if (!(std::fabs(double(a) - b) <= 1e-5 * mag + 1e-6)) {
              colm_test::fail(__FILE__, __LINE__, std::string(k->name) + " " + colm::dtype_name(t) + " rows=" +
                                                      std::to_string(rows) + " cols=" + std::to_string(cols) +
                                                      " T=" + std::to_string(T) + ": " + std::to_string(a) + " vs " +
                                                      std::to_string(b));
              return;
            }
            ++compared;
          }
        }
      }
    }
  }
  CHECK(compared > 1000);
}

TEST(kernel_rows_do_not_depend_on_how_rows_are_split) {
  // The engine's nested-model and shared-cache invariants are exact: a row must compute the
  // same bits whether it runs in one call with its neighbours or alone.
  std::mt19937 rng(99);
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int T : {1, 5}) {
      Matrix m = random_matrix(rng, colm::DType::BF16, 23, 131, 140);
      std::vector<float> x(size_t(T) * 131), whole(size_t(T) * 23), split(size_t(T) * 23);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      for (auto& v : x) v = normal(rng);
      std::vector<float> scratch(colm::matmul_scratch_floats(131, T));
      k->matmul_rows(m.view, 0, 23, x.data(), 131, whole.data(), 23, T, scratch.data());
      const int cuts[] = {0, 1, 6, 7, 16, 23};
      for (int i = 0; i + 1 < 6; ++i)
        k->matmul_rows(m.view, cuts[i], cuts[i + 1], x.data(), 131, split.data(), 23, T, scratch.data());
      CHECK(std::memcmp(whole.data(), split.data(), whole.size() * 4) == 0);
    }
  }
}

TEST(dot_and_axpy_match_scalar_reference) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int n : {1, 3, 8, 15, 16, 17, 31, 64, 100, 128, 257}) {
      const size_t len = static_cast<size_t>(n);
      std::vector<float> a(len), b(len), y1(len), y2(len);
      for (int i = 0; i < n; ++i) {
        a[size_t(i)] = normal(rng);
        b[size_t(i)] = normal(rng);
        y1[size_t(i)] = y2[size_t(i)] = normal(rng);
      }
      double mag = 0;
      for (int i = 0; i < n; ++i) mag += std::fabs(double(a[size_t(i)]) * b[size_t(i)]);
      CHECK(std::fabs(double(k->dot(a.data(), b.data(), n)) - ref.dot(a.data(), b.data(), n)) <= 1e-5 * mag + 1e-6);
      k->axpy(0.37f, a.data(), y1.data(), n);
      ref.axpy(0.37f, a.data(), y2.data(), n);
      CHECK_CLOSE(y1.data(), y2.data(), size_t(n), 1e-6, 1e-6);
    }
  }
}

TEST(f16_and_bf16_widening_is_exact) {
  CHECK(colm::f16_to_f32(0x3c00) == 1.0f);
  CHECK(colm::f16_to_f32(0xc000) == -2.0f);
  CHECK(colm::f16_to_f32(0x0001) == std::ldexp(1.0f, -24));  // smallest subnormal
  CHECK(colm::f16_to_f32(0x7bff) == 65504.0f);
  CHECK(std::isinf(colm::f16_to_f32(0x7c00)));
  CHECK(std::isnan(colm::f16_to_f32(0x7e00)));
  CHECK(colm::bf16_to_f32(0x3f80) == 1.0f);
  CHECK(colm::bf16_to_f32(0xc0a0) == -5.0f);
  // Every subnormal f16 value widens to its exact value.
  for (uint16_t m = 1; m < 0x400; ++m) CHECK(colm::f16_to_f32(m) == std::ldexp(float(m), -24));
}

TEST(weighted_row_sum_matches_scalar_reference) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int width : {1, 7, 16, 33, 64, 100, 128, 200}) {
      for (int n : {1, 5, 77}) {
        const int64_t ld = width + 9;
        std::vector<float> w(static_cast<size_t>(n)), rows(static_cast<size_t>(n * ld));
        for (auto& v : w) v = normal(rng);
        for (auto& v : rows) v = normal(rng);
        std::vector<float> a(static_cast<size_t>(width), -3.0f), b(static_cast<size_t>(width), 5.0f);
        k->weighted_row_sum(w.data(), n, rows.data(), ld, width, a.data(), false);
        ref.weighted_row_sum(w.data(), n, rows.data(), ld, width, b.data(), false);
        CHECK_CLOSE(a.data(), b.data(), size_t(width), 1e-4, 1e-5);
      }
    }
  }
}

TEST(weighted_row_sum_split_in_two_calls_is_bit_exact) {
  // The sliding-window cache ring hands attention a window that wraps as two runs of rows: the
  // second call accumulates onto the first and must give the one call's bits in every variant.
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<const colm::CpuKernels*> variants = colm::cpu_kernels_available();
  for (const colm::CpuKernels* k : variants) {
    for (int width : {1, 7, 16, 33, 64, 100, 128}) {
      const int n = 41;
      const int64_t ld = width + 3;
      std::vector<float> w(static_cast<size_t>(n)), rows(static_cast<size_t>(n * ld));
      for (auto& v : w) v = normal(rng);
      for (auto& v : rows) v = normal(rng);
      std::vector<float> whole(static_cast<size_t>(width), 7.0f);
      k->weighted_row_sum(w.data(), n, rows.data(), ld, width, whole.data(), false);
      for (int split : {0, 1, 17, 40, 41}) {
        std::vector<float> parts(static_cast<size_t>(width), -2.0f);
        k->weighted_row_sum(w.data(), split, rows.data(), ld, width, parts.data(), false);
        k->weighted_row_sum(w.data() + split, n - split, rows.data() + split * ld, ld, width, parts.data(), true);
        CHECK(std::memcmp(whole.data(), parts.data(), sizeof(float) * size_t(width)) == 0);
      }
    }
  }
}

TEST(opt_in_bf16_decode_stays_within_bf16_rounding_of_float32) {
  // The avx512-bf16 variant rounds activations to BF16 (8 significant bits): each product is off
  // by at most 2^-8 relative, so the dot is within 2^-8 of the sum of |terms| (plus float32 noise).
  std::mt19937 rng(21);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (const colm::CpuKernels* k : colm::cpu_kernels_opt_in()) {
    int rounded = 0;
    for (int cols : {1, 31, 32, 33, 100, 257, 1024}) {
      Matrix m = random_matrix(rng, colm::DType::BF16, 19, cols, cols + 5);
      std::vector<float> x(static_cast<size_t>(cols)), y(19), y_ref(19);
      for (auto& v : x) v = normal(rng);
      std::vector<float> scratch(colm::matmul_scratch_floats(cols, 1));
      k->matmul_rows(m.view, 0, 19, x.data(), cols, y.data(), 19, 1, scratch.data());
      ref.matmul_rows(m.view, 0, 19, x.data(), cols, y_ref.data(), 19, 1, scratch.data());
      for (int r = 0; r < 19; ++r) {
        std::vector<float> wrow(static_cast<size_t>(cols));
        colm::widen_to_f32(m.view.row_ptr(r), colm::DType::BF16, wrow.data(), cols);
        double mag = 0;
        for (int c = 0; c < cols; ++c) mag += std::fabs(double(wrow[size_t(c)]) * x[size_t(c)]);
        CHECK(std::fabs(double(y[size_t(r)]) - y_ref[size_t(r)]) <= mag / 256.0 + 1e-5 * mag + 1e-6);
        if (std::fabs(double(y[size_t(r)]) - y_ref[size_t(r)]) > 1e-3 * mag) ++rounded;
      }
    }
    CHECK(rounded > 0);  // it really rounds: the variant is not float32 in disguise
  }
}
