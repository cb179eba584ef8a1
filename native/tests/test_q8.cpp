// Q8_0 weights (docs/FORMAT-Q8.md): every kernel variant against the scalar reference (which
// dequantizes, then dots) on random shapes whose widths are not multiples of 32 or 16, both scale
// dtypes, windows narrower than their rows (chain blocks), the last row ending on an unreadable
// page; the row-split invariant; and the quantize / dequantize round trip.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <random>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define COLM_TEST_GUARD_PAGE 1
#endif

#include "check.h"
#include "colm/kernels.h"
#include "colm/tensor.h"
#include "colm/thread_pool.h"

namespace {

// Bytes that end exactly where an unreadable page begins (where the platform allows it), so a
// kernel that reads one byte past the last row crashes the test instead of passing by luck.
class GuardedBytes {
 public:
  explicit GuardedBytes(size_t n) : n_(n) {
#ifdef COLM_TEST_GUARD_PAGE
    const size_t page = size_t(sysconf(_SC_PAGESIZE));
    span_ = (n + page - 1) / page * page + page;
    void* p = mmap(nullptr, span_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      base_ = static_cast<uint8_t*>(p);
      mprotect(base_ + span_ - page, page, PROT_NONE);
      data_ = base_ + span_ - page - n;
      return;
    }
#endif
    fallback_.resize(n + 1);
    data_ = fallback_.data();
  }
  ~GuardedBytes() {
#ifdef COLM_TEST_GUARD_PAGE
    if (base_) munmap(base_, span_);
#endif
  }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  uint8_t* data() { return data_; }

 private:
  size_t n_;
  uint8_t* data_ = nullptr;
  uint8_t* base_ = nullptr;
  size_t span_ = 0;
  std::vector<uint8_t> fallback_;
};

// A rows x ld matrix quantized row by row; `view` is its (rows, cols) window, cols <= ld.
struct QMatrix {
  QMatrix(int rows, int ld) : q(size_t(rows) * size_t(ld)), scales(size_t(rows) * size_t(colm::q8_blocks(ld)) * 4) {}
  GuardedBytes q;
  std::vector<uint8_t> scales;
  colm::WeightView view;
};

// Values with a different magnitude per block (as real weights have), some blocks all zero.
std::unique_ptr<QMatrix> random_q8(std::mt19937& rng, colm::DType scale_dtype, int rows, int cols, int ld) {
  auto m = std::make_unique<QMatrix>(rows, ld);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> magnitude(-6, 3), zero_block(0, 15);
  const int64_t blocks = colm::q8_blocks(ld);
  std::vector<float> row(static_cast<size_t>(ld));
  for (int r = 0; r < rows; ++r) {
    for (int64_t b = 0; b < blocks; ++b) {
      const float scale = zero_block(rng) == 0 ? 0.0f : std::ldexp(1.0f, magnitude(rng));
      for (int64_t c = b * 32; c < std::min<int64_t>(ld, b * 32 + 32); ++c) row[size_t(c)] = scale * normal(rng);
    }
    colm::quantize_row_q8_0(row.data(), ld, reinterpret_cast<int8_t*>(m->q.data()) + int64_t(r) * ld,
                            m->scales.data() + size_t(r) * size_t(blocks) * colm::dtype_size(scale_dtype), scale_dtype);
  }
  m->view.data = m->q.data();
  m->view.dtype = colm::DType::Q8_0;
  m->view.rows = rows;
  m->view.cols = cols;
  m->view.ld = ld;
  m->view.scales = m->scales.data();
  m->view.scale_dtype = scale_dtype;
  m->view.scales_ld = blocks;
  return m;
}

// Inputs with NaN in the padding after each row's `cols` values: a kernel that lets a column
// past K meet a (zero) weight shows it as NaN.
std::vector<float> random_inputs(std::mt19937& rng, int T, int cols, int ldx) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(size_t(T) * size_t(ldx), std::numeric_limits<float>::quiet_NaN());
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < cols; ++c) x[size_t(t) * ldx + c] = normal(rng);
  return x;
}

}  // namespace

TEST(q8_kernels_match_scalar_reference_on_random_shapes) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int> rows_d(1, 41), cols_d(1, 300), extra_d(0, 40);
  const int Ts[] = {1, 2, 3, 4, 5, 7, 13};
  const colm::DType scale_dtypes[] = {colm::DType::F16, colm::DType::F32};
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  int compared = 0;
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int trial = 0; trial < 42; ++trial) {
      for (colm::DType sd : scale_dtypes) {
        // Every third trial a width that is a multiple of 32 or 16 (the full-block paths alone).
        int cols = cols_d(rng);
        if (trial % 3 == 1) cols = 32 * (1 + cols % 9);
        if (trial % 3 == 2) cols = 16 * (1 + cols % 17);
        // Every fifth, more than 16 blocks (the GEMV reads scales 16 blocks at a time), some with a tail.
        if (trial % 5 == 4) cols = 32 * 16 + (trial % 2 ? cols : 32 * (1 + cols % 20));
        const int rows = rows_d(rng), ld = cols + (trial % 2 ? extra_d(rng) : 0);
        const int T = Ts[trial % 7];
        auto m = random_q8(rng, sd, rows, cols, ld);
        const int ldx = cols + 3, ldy = rows + 2;
        std::vector<float> x = random_inputs(rng, T, cols, ldx);
        std::vector<float> y(size_t(T) * ldy, -7.0f), y_ref(size_t(T) * ldy, -7.0f);
        std::vector<float> scratch(colm::matmul_scratch_floats(cols, T));
        k->matmul_rows(m->view, 0, rows, x.data(), ldx, y.data(), ldy, T, scratch.data());
        ref.matmul_rows(m->view, 0, rows, x.data(), ldx, y_ref.data(), ldy, T, scratch.data());
        std::vector<float> wrow(static_cast<size_t>(cols));
        for (int tt = 0; tt < T; ++tt) {
          for (int r = 0; r < ldy; ++r) {
            const float a = y[size_t(tt) * ldy + r], b = y_ref[size_t(tt) * ldy + r];
            if (r >= rows) {
              CHECK(a == -7.0f);  // nothing written outside the rows asked for
              continue;
            }
            // Reordered float32 sums (and the per-block scaling) differ by rounding: bound the
            // error by the sum of |terms|.
            colm::widen_row(m->view, r, wrow.data());
            double mag = 0;
            for (int c = 0; c < cols; ++c) mag += std::fabs(double(wrow[size_t(c)]) * x[size_t(tt) * ldx + c]);
            if (!(std::fabs(double(a) - b) <= 1e-5 * mag + 1e-6)) {
              colm_test::fail(__FILE__, __LINE__,
                              std::string(k->name) + " Q8_0/" + colm::dtype_name(sd) + " rows=" + std::to_string(rows) +
                                  " cols=" + std::to_string(cols) + " ld=" + std::to_string(ld) + " T=" + std::to_string(T) +
                                  ": " + std::to_string(a) + " vs " + std::to_string(b));
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

TEST(q8_kernel_rows_do_not_depend_on_how_rows_are_split) {
  // As for float weights: a row computes the same bits alone or with its neighbours, in the
  // decode path and the packed prefill path, so the nested-model invariants stay exact.
  std::mt19937 rng(98);
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int T : {1, 5}) {
      for (colm::DType sd : {colm::DType::F16, colm::DType::F32}) {
        auto m = random_q8(rng, sd, 23, 131, 140);
        std::vector<float> x = random_inputs(rng, T, 131, 131);
        std::vector<float> whole(size_t(T) * 23), split(size_t(T) * 23);
        std::vector<float> scratch(colm::matmul_scratch_floats(131, T));
        k->matmul_rows(m->view, 0, 23, x.data(), 131, whole.data(), 23, T, scratch.data());
        const int cuts[] = {0, 1, 6, 7, 16, 23};
        for (int i = 0; i + 1 < 6; ++i)
          k->matmul_rows(m->view, cuts[i], cuts[i + 1], x.data(), 131, split.data(), 23, T, scratch.data());
        CHECK(std::memcmp(whole.data(), split.data(), whole.size() * 4) == 0);
      }
    }
  }
}

TEST(q8_chain_blocks_through_the_thread_pool_match_the_reference) {
  // matmul_blocks with two chain blocks of one chain linear (K-extents 48 and 100, out rows
  // 37 and 29), decode and prefill (whose inputs are packed once and shared), over 2 threads.
  std::mt19937 rng(5);
  colm::ThreadPool pool(2);
  auto b0 = random_q8(rng, colm::DType::F16, 37, 48, 48);
  auto b1 = random_q8(rng, colm::DType::F16, 29, 100, 100);
  const colm::MatmulBlock blocks[] = {{b0->view, 0}, {b1->view, 37}};
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (int T : {1, 7}) {
    std::vector<float> x = random_inputs(rng, T, 100, 100);
    std::vector<float> y(size_t(T) * 66), y_ref(size_t(T) * 66);
    colm::matmul_blocks(blocks, 2, x.data(), 100, y.data(), 66, T, pool);
    std::vector<float> scratch(colm::matmul_scratch_floats(100, T));
    ref.matmul_rows(b0->view, 0, 37, x.data(), 100, y_ref.data(), 66, T, scratch.data());
    ref.matmul_rows(b1->view, 0, 29, x.data(), 100, y_ref.data() + 37, 66, T, scratch.data());
    CHECK_CLOSE(y.data(), y_ref.data(), y.size(), 1e-4, 1e-4);
  }
}

TEST(q8_quantize_dequantize_round_trip_is_within_half_a_step) {
  // |x - q * s'| <= s' / 2 for every value (round to nearest), s' the block's scale as stored.
  // An F16 scale s' may be below s = absmax / 127 (rounding, or subnormal F16 for tiny blocks):
  // values past 127.5 s' are clamped to 127, which costs at most 127 (s - s') more.
  std::mt19937 rng(77);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> magnitude(-12, 8);
  for (colm::DType sd : {colm::DType::F32, colm::DType::F16}) {
    for (int n : {1, 5, 31, 32, 33, 64, 95, 130, 257}) {
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<float> x(static_cast<size_t>(n));
        for (auto& v : x) v = std::ldexp(normal(rng), magnitude(rng) / 2 * 2);
        if (trial == 0) std::fill(x.begin(), x.end(), 0.0f);  // an all-zero row: scale 0, q 0
        if (trial == 1) x[0] = 1e3f;                           // one outlier dominating its block
        const int64_t blocks = colm::q8_blocks(n);
        std::vector<int8_t> q(static_cast<size_t>(n));
        std::vector<uint8_t> scales(size_t(blocks) * 4);
        colm::quantize_row_q8_0(x.data(), n, q.data(), scales.data(), sd);
        colm::WeightView w;
        w.data = q.data();
        w.dtype = colm::DType::Q8_0;
        w.rows = 1;
        w.cols = n;
        w.ld = n;
        w.scales = scales.data();
        w.scale_dtype = sd;
        w.scales_ld = blocks;
        std::vector<float> back(static_cast<size_t>(n));
        colm::widen_row(w, 0, back.data());
        for (int64_t b = 0; b < blocks; ++b) {
          const float s = colm::q8_scale(scales.data(), sd, b);
          float absmax = 0.0f;
          int peak = 0;
          for (int64_t c = b * 32; c < std::min<int64_t>(n, b * 32 + 32); ++c) absmax = std::max(absmax, std::fabs(x[size_t(c)]));
          for (int64_t c = b * 32; c < std::min<int64_t>(n, b * 32 + 32); ++c) {
            const double err = std::fabs(double(x[size_t(c)]) - double(back[size_t(c)]));
            const double exact = double(absmax) / 127.0;
            const double bound = (0.5 * s + 127.0 * std::fabs(exact - double(s))) * (1 + 1e-6) + 1e-30;
            if (!(err <= bound)) {
              colm_test::fail(__FILE__, __LINE__, std::string(colm::dtype_name(sd)) + " n=" + std::to_string(n) + " c=" +
                                                      std::to_string(c) + ": error " + std::to_string(err) + " > " + std::to_string(bound));
              return;
            }
            peak = std::max(peak, std::abs(int(q[size_t(c)])));
          }
          if (absmax == 0.0f) {
            CHECK(s == 0.0f && peak == 0);
          } else if (sd == colm::DType::F32) {
            CHECK(peak == 127);  // the whole int8 range is used
            CHECK(s == absmax / 127.0f);
          } else if (s >= std::ldexp(1.0f, -14)) {
            CHECK(peak == 127);  // a normal F16 scale is close enough to use the whole range
          }
        }
      }
    }
  }
}

TEST(q8_widen_row_is_int_times_scale_exactly) {
  const int8_t q[40] = {-127, -1, 0, 1, 127, 5, -64, 33};
  const float scales_f32[2] = {0.25f, -3.0f};
  const uint16_t scales_f16[2] = {0x3400, 0xc200};  // 0.25, -3.0
  for (colm::DType sd : {colm::DType::F32, colm::DType::F16}) {
    colm::WeightView w;
    w.data = q;
    w.dtype = colm::DType::Q8_0;
    w.rows = 1;
    w.cols = 40;
    w.ld = 40;
    w.scales = sd == colm::DType::F32 ? static_cast<const void*>(scales_f32) : static_cast<const void*>(scales_f16);
    w.scale_dtype = sd;
    w.scales_ld = 2;
    float out[40];
    colm::widen_row(w, 0, out);
    CHECK(out[0] == -31.75f && out[4] == 31.75f && out[6] == -16.0f && out[7] == 8.25f && out[2] == 0.0f);
    CHECK(out[39] == 0.0f);
  }
}

TEST(f32_to_f16_round_trips_every_half_and_rounds_to_nearest_even) {
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = colm::f16_to_f32(uint16_t(h));
    if (std::isnan(f)) continue;
    if (colm::f32_to_f16(f) != uint16_t(h)) {
      colm_test::fail(__FILE__, __LINE__, "f16 bits " + std::to_string(h) + " do not round-trip");
      return;
    }
  }
  CHECK(colm::f32_to_f16(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);                 // tie: to even (down)
  CHECK(colm::f32_to_f16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);             // tie: to even (up)
  CHECK(colm::f32_to_f16(1e6f) == 0x7c00);                                         // overflow: infinity
  CHECK(colm::f32_to_f16(std::ldexp(1.0f, -25)) == 0x0000);                        // tie at the bottom: to zero
  CHECK(colm::f32_to_f16(std::ldexp(1.0f, -25) * 1.5f) == 0x0001);                 // above the tie: smallest subnormal
}
