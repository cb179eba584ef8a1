// Q4_0 / Q4_K weights (colm/quant_q4.h, docs/FORMAT-Q4.md): dequantization and Q4_0 quantization
// bit for bit against gguf-py (q4_fixture.h), the scalar reference against the dequantized
// float product, every variant against the scalar reference on random shapes with chains of
// unequal K-extents, and the engine invariants through matmul_blocks (a row's bits do not depend
// on the threads, the rows beside it, or whether it is computed in prefill or decode).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include "check.h"
#include "colm/kernels.h"
#include "colm/quant_q4.h"
#include "colm/thread_pool.h"
#include "q4_fixture.h"

namespace {

using colm::DType;

bool same_bits(const float* a, const uint32_t* bits, size_t n, size_t* first_bad) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, &a[i], 4);
    if (b != bits[i]) {
      *first_bad = i;
      return false;
    }
  }
  return true;
}

// A (rows, ld) matrix of blocks quantized from Gaussian rows with a magnitude per row.
struct Q4Matrix {
  DType dtype;
  int rows, ld;
  std::vector<uint8_t> bytes;
  colm::WeightView view(int r0, int rows_, int cols) const {
    colm::WeightView w;
    w.dtype = dtype;
    w.ld = ld;
    w.data = bytes.data() + size_t(r0) * size_t(colm::dtype_bytes(dtype, ld));
    w.rows = rows_;
    w.cols = cols;
    return w;
  }
};

Q4Matrix random_q4(std::mt19937& rng, DType dtype, int rows, int ld) {
  Q4Matrix m{dtype, rows, ld, std::vector<uint8_t>(size_t(rows) * size_t(colm::dtype_bytes(dtype, ld)))};
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<int> magnitude(-6, 2);
  std::vector<float> row(static_cast<size_t>(ld));
  for (int r = 0; r < rows; ++r) {
    const float scale = std::ldexp(1.0f, magnitude(rng));
    for (auto& v : row) v = scale * normal(rng) + (dtype == DType::Q4_K ? 0.3f * scale : 0.0f);
    uint8_t* out = m.bytes.data() + size_t(r) * size_t(colm::dtype_bytes(dtype, ld));
    if (dtype == DType::Q4_0)
      colm::quantize_row_q4_0(row.data(), ld, out);
    else
      colm::quantize_row_q4_k(row.data(), ld, out);
  }
  return m;
}

std::vector<float> random_inputs(std::mt19937& rng, int T, int cols, int ldx) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(size_t(T) * size_t(ldx), std::nanf(""));
  for (int t = 0; t < T; ++t)
    for (int c = 0; c < cols; ++c) x[size_t(t) * ldx + c] = normal(rng) * (c % 7 == 0 ? 4.0f : 1.0f);
  return x;
}

}  // namespace

TEST(q4_dequantize_matches_gguf_py_bit_for_bit) {
  std::vector<float> out(sizeof(kQ40Dequantized) / 4);
  colm::dequantize_row_q4_0(kQ40Blocks, int64_t(out.size()), out.data());
  size_t bad = 0;
  if (!same_bits(out.data(), kQ40Dequantized, out.size(), &bad))
    colm_test::fail(__FILE__, __LINE__, "Q4_0 element " + std::to_string(bad) + " differs from gguf-py");
  std::vector<float> outk(sizeof(kQ4KDequantized) / 4);
  colm::dequantize_row_q4_k(kQ4KBlocks, int64_t(outk.size()), outk.data());
  if (!same_bits(outk.data(), kQ4KDequantized, outk.size(), &bad))
    colm_test::fail(__FILE__, __LINE__, "Q4_K element " + std::to_string(bad) + " differs from gguf-py");
  // widen_row (what the scalar float paths and the tests read) on a window of the same bytes.
  colm::WeightView w;
  w.data = kQ4KBlocks;
  w.dtype = DType::Q4_K;
  w.rows = 3;
  w.cols = 256;
  w.ld = 512;
  std::vector<float> row(256);
  colm::widen_row(w, 2, row.data());
  CHECK(same_bits(row.data(), kQ4KDequantized + 4 * 256, 256, &bad));
}

TEST(q4_0_quantize_matches_gguf_py_bit_for_bit) {
  std::vector<float> x(sizeof(kQ40Inputs) / 4);
  std::memcpy(x.data(), kQ40Inputs, sizeof(kQ40Inputs));
  std::vector<uint8_t> q(sizeof(kQ40Quantized));
  colm::quantize_row_q4_0(x.data(), int64_t(x.size()), q.data());
  CHECK(std::memcmp(q.data(), kQ40Quantized, q.size()) == 0);
}

TEST(q4_k_quantize_round_trip_is_close) {
  // Our Q4_K quantizer (a min/max rule): every value within one step (d * sc) of its source.
  std::mt19937 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> x(512), back(512);
  for (auto& v : x) v = normal(rng) * 0.02f + 0.005f;
  std::vector<uint8_t> q(2 * colm::kQ4KBytes);
  colm::quantize_row_q4_k(x.data(), 512, q.data());
  colm::dequantize_row_q4_k(q.data(), 512, back.data());
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += (x[i] - back[i]) * double(x[i] - back[i]);
    ref += double(x[i]) * x[i];
  }
  CHECK(std::sqrt(err / ref) < 0.12);  // 4 bits: ~1/15 of a sub-block's range per step
}

TEST(q4_k_scales_unpacked_at_once_equal_one_at_a_time) {
  // The kernels' word-wise unpacking of the 12 scale bytes against the per-sub-block rule, on
  // random bytes (every bit pattern of the packed 6-bit fields occurs).
  std::mt19937 rng(5);
  for (int trial = 0; trial < 2000; ++trial) {
    uint8_t q[12];
    for (uint8_t& b : q) b = uint8_t(rng());
    uint64_t sc = 0, m = 0;
    colm::q4k_scales_mins(q, sc, m);
    for (int j = 0; j < 8; ++j) {
      uint8_t want_sc, want_m;
      colm::q4k_scale_min(j, q, want_sc, want_m);
      CHECK(uint8_t(sc >> (8 * j)) == want_sc);
      CHECK(uint8_t(m >> (8 * j)) == want_m);
    }
  }
}

TEST(q4_activation_quantizers_match_the_scalar_bit_for_bit) {
  // Every variant's quantize_acts against quantize_acts_q8 + group_acts_q8: random rows with ties
  // (x / d exactly k + 0.5), zero blocks, a block tail after the last whole group of four.
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  for (const colm::Q4Kernels* k : colm::q4_kernels_available()) {
    for (int trial = 0; trial < 40; ++trial) {
      const int64_t K = 32 * (1 + int64_t(rng() % 19));
      std::vector<float> x(static_cast<size_t>(K));
      for (auto& v : x) v = normal(rng) * (trial % 3 == 0 ? 1e-3f : 3.0f);
      if (trial % 4 == 1)  // every block's amax 127, so d = 1 and x / d = x: exact ties at k + 0.5
        for (int64_t c = 0; c < K; ++c) x[size_t(c)] = c % 32 == 0 ? 127.0f : float(int(rng() % 251) - 125) + (c % 3 == 0 ? 0.5f : 0.0f);
      if (trial % 5 == 2)
        for (int c = 0; c < 32; ++c) x[size_t(c)] = 0.0f;
      const size_t nb = size_t(K / 32), nl = size_t(K / 8);
      std::vector<int8_t> q(static_cast<size_t>(K)), h(static_cast<size_t>(K), 0), q_ref(static_cast<size_t>(K)), h_ref(static_cast<size_t>(K), 0);
      std::vector<float> d(nb), dl(nl, 0.0f), d_ref(nb), dl_ref(nl, 0.0f);
      std::vector<int32_t> sm(nb), m8(nl, 0), sm_ref(nb), m8_ref(nl, 0);
      k->quantize_acts(x.data(), K, q.data(), d.data(), sm.data(), h.data(), m8.data(), dl.data());
      colm::quantize_acts_scalar(x.data(), K, q_ref.data(), d_ref.data(), sm_ref.data(), h_ref.data(), m8_ref.data(), dl_ref.data());
      const size_t grouped = size_t(K / 128) * 128;
      CHECK(q == q_ref);
      CHECK(std::memcmp(d.data(), d_ref.data(), nb * 4) == 0);
      CHECK(sm == sm_ref);
      CHECK(std::memcmp(h.data(), h_ref.data(), grouped) == 0);
      CHECK(std::memcmp(m8.data(), m8_ref.data(), grouped / 8 * 4) == 0);
      CHECK(std::memcmp(dl.data(), dl_ref.data(), grouped / 8 * 4) == 0);
    }
  }
}

TEST(q4_scalar_reference_is_the_dequantized_product) {
  // The reference against double sums of dequantized weights times dequantized activations.
  std::mt19937 rng(3);
  for (DType dt : {DType::Q4_0, DType::Q4_K}) {
    const int K = dt == DType::Q4_0 ? 160 : 512, rows = 5, T = 3;
    Q4Matrix m = random_q4(rng, dt, rows, K);
    std::vector<float> x = random_inputs(rng, T, K, K);
    colm::Q8ActsBuffer acts;
    acts.resize(T, K);
    acts.quantize_rows(x.data(), K, K, 0, T);
    std::vector<float> y(size_t(T) * rows);
    colm::q4_kernels_scalar().matmul_rows(m.view(0, rows, K), 0, rows, acts.view(K), T, y.data(), rows);
    std::vector<float> w(static_cast<size_t>(K));
    for (int r = 0; r < rows; ++r) {
      colm::widen_row(m.view(0, rows, K), r, w.data());
      for (int t = 0; t < T; ++t) {
        double exact = 0, mag = 0;
        for (int c = 0; c < K; ++c) {
          const double xv = double(acts.q[size_t(t) * K + c]) * acts.d[size_t(t) * (K / 32) + c / 32];
          exact += double(w[size_t(c)]) * xv;
          mag += std::fabs(double(w[size_t(c)]) * xv);
        }
        CHECK(std::fabs(exact - y[size_t(t) * rows + r]) <= 1e-5 * mag + 1e-30);
        // And the 8-bit activations stay close to the float product.
        double fl = 0;
        for (int c = 0; c < K; ++c) fl += double(w[size_t(c)]) * x[size_t(t) * K + c];
        CHECK(std::fabs(fl - exact) <= 0.02 * mag);
      }
    }
  }
}

TEST(q4_kernels_match_scalar_reference_on_random_shapes) {
  std::mt19937 rng(2026);
  const colm::Q4Kernels& ref = colm::q4_kernels_scalar();
  int compared = 0;
  for (const colm::Q4Kernels* k : colm::q4_kernels_available()) {
    for (int trial = 0; trial < 24; ++trial) {
      const DType dt = trial % 2 ? DType::Q4_K : DType::Q4_0;
      const int block = colm::q4_block_weights(dt);
      const int rows = 1 + int(rng() % 23), ld_blocks = 1 + int(rng() % (dt == DType::Q4_0 ? 13 : 4));
      const int ld = ld_blocks * block, cols = block * (1 + int(rng() % ld_blocks));  // a prefix window
      const int T = 1 + trial % 6;
      Q4Matrix m = random_q4(rng, dt, rows + 3, ld);
      const int r0 = int(rng() % 3);
      std::vector<float> x = random_inputs(rng, T, ld, ld + 5);
      colm::Q8ActsBuffer acts;
      acts.resize(T, cols);
      acts.quantize_rows(x.data(), ld + 5, cols, 0, T);
      const int ldy = rows + 2;
      std::vector<float> y(size_t(T) * ldy, -7.0f), y_ref(size_t(T) * ldy, -7.0f);
      const colm::WeightView w = m.view(r0, rows, cols);
      k->matmul_rows(w, 0, rows, acts.view(cols), T, y.data(), ldy);
      ref.matmul_rows(w, 0, rows, acts.view(cols), T, y_ref.data(), ldy);
      std::vector<float> wrow(static_cast<size_t>(cols));
      for (int t = 0; t < T; ++t)
        for (int r = 0; r < ldy; ++r) {
          const float a = y[size_t(t) * ldy + r], b = y_ref[size_t(t) * ldy + r];
          if (r >= rows) {
            CHECK(a == -7.0f);
            continue;
          }
          colm::widen_row(w, r, wrow.data());
          double mag = 0;
          for (int c = 0; c < cols; ++c)
            mag += std::fabs(double(wrow[size_t(c)]) * acts.q[size_t(t) * cols + c] * acts.d[size_t(t) * (cols / 32) + c / 32]);
          if (!(std::fabs(double(a) - b) <= 2e-6 * mag + 1e-30))
            colm_test::fail(__FILE__, __LINE__, std::string(k->name) + " " + colm::dtype_name(dt) + " differs: " +
                                                    std::to_string(a) + " vs " + std::to_string(b));
          ++compared;
        }
    }
  }
  CHECK(compared > 0);
}

TEST(q4_chains_through_matmul_blocks_keep_the_engine_invariants) {
  // Three chains of one chain linear with unequal K-extents (prefix windows of one stored
  // matrix), with a float block in the same job; every variant: the pool's result equals the
  // variant's rows one by one (any thread count), and prefill row t equals decode of input t.
  std::mt19937 rng(11);
  for (DType dt : {DType::Q4_0, DType::Q4_K}) {
    const int block = colm::q4_block_weights(dt);
    const int K = 3 * block;
    Q4Matrix m = random_q4(rng, dt, 70, K);
    const int cum_out[] = {0, 21, 45, 70};
    colm::MatmulBlock blocks[3];
    for (int i = 0; i < 3; ++i) blocks[i] = {m.view(cum_out[i], cum_out[i + 1] - cum_out[i], (i + 1) * block), cum_out[i]};
    const int T = 5, ldx = K + 3, ldy = 72;
    std::vector<float> x = random_inputs(rng, T, K, ldx);
    for (const colm::Q4Kernels* k : colm::q4_kernels_available()) {
      // Run through the pool with the float variant that selects this Q4 variant.
      const std::string want = std::string(k->name) == "avx512-vnni" ? "avx512" : k->name;
      if (!colm::set_cpu_kernels(want)) continue;
      if (std::string(colm::q4_kernels().name) != k->name) continue;
      std::vector<float> y1(size_t(T) * ldy, 0.0f), y3(size_t(T) * ldy, 0.0f), yd(size_t(T) * ldy, 0.0f);
      colm::ThreadPool p1(1), p3(3);
      colm::matmul_blocks(blocks, 3, x.data(), ldx, y1.data(), ldy, T, p1);
      colm::matmul_blocks(blocks, 3, x.data(), ldx, y3.data(), ldy, T, p3);
      for (int t = 0; t < T; ++t) colm::matmul_blocks(blocks, 3, x.data() + t * ldx, ldx, yd.data() + t * ldy, ldy, 1, p3);
      CHECK(std::memcmp(y1.data(), y3.data(), y1.size() * 4) == 0);
      CHECK(std::memcmp(y1.data(), yd.data(), y1.size() * 4) == 0);
      // Row by row with the variant itself, one row per call.
      colm::Q8ActsBuffer acts;
      acts.resize(T, K);
      acts.quantize_rows(x.data(), ldx, K, 0, T);
      std::vector<float> yr(size_t(T) * ldy, 0.0f);
      for (int i = 0; i < 3; ++i)
        for (int r = 0; r < blocks[i].w.rows; ++r)
          k->matmul_rows(blocks[i].w, r, r + 1, acts.view(K), T, yr.data() + blocks[i].out_offset, ldy);
      CHECK(std::memcmp(y1.data(), yr.data(), y1.size() * 4) == 0);
    }
    colm::set_cpu_kernels(colm::cpu_kernels_available().front()->name);
  }
}
