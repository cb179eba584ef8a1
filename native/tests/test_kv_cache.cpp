// The KV cache types (kv_cache.h): every kernel variant against the scalar reference for every
// type, on random shapes with odd head sizes; rounding on store bit-identical across variants and
// to nearest even; Q8_0 heads quantized on their own.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "check.h"
#include "colm/kernels.h"
#include "colm/kv_cache.h"

namespace {

const colm::KvType kAllTypes[] = {colm::KvType::F32, colm::KvType::BF16, colm::KvType::F16, colm::KvType::Q8_0};

// A cache of `rows` rows of `heads` heads, filled with N(0, sigma) values rounded on store.
colm::KvCache random_cache(std::mt19937& rng, colm::KvType t, int rows, int heads, int hd, float sigma) {
  std::normal_distribution<float> normal(0.0f, sigma);
  colm::KvCache c;
  c.allocate(t, rows, heads, hd);
  std::vector<float> row(size_t(heads) * size_t(hd));
  for (int r = 0; r < rows; ++r) {
    for (auto& v : row) v = normal(rng);
    c.store(r, row.data(), heads);
  }
  return c;
}

std::string where(const colm::CpuKernels* k, colm::KvType t, int hd, int n) {
  return std::string(k->name) + " " + colm::kv_type_name(t) + " head_dim=" + std::to_string(hd) + " n=" + std::to_string(n);
}

}  // namespace

TEST(kv_narrow_row_is_bit_identical_in_every_variant) {
  std::mt19937 rng(31);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_int_distribution<uint32_t> bits;
  std::vector<float> src;
  // Random normals at several scales, random bit patterns (NaN, inf, subnormals of both formats),
  // and exact ties of each format.
  for (int i = 0; i < 3000; ++i) src.push_back(normal(rng) * std::ldexp(1.0f, int(i % 60) - 30));
  for (int i = 0; i < 3000; ++i) {
    uint32_t b = bits(rng);
    float f;
    std::memcpy(&f, &b, 4);
    src.push_back(f);
  }
  for (uint32_t b : {0x3f808000u, 0x3f818000u, 0x3f801000u, 0x3f803000u, 0x7f7fffffu, 0x477ff000u, 0x477fefffu,
                     0x33000000u, 0x33000001u, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00001u, 0xffa00000u}) {
    float f;
    std::memcpy(&f, &b, 4);
    src.push_back(f);
  }
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (colm::DType t : {colm::DType::BF16, colm::DType::F16}) {
    std::vector<uint16_t> want(src.size());
    ref.narrow_row(src.data(), int32_t(src.size()), t, want.data());
    for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
      for (int n : {1, 3, 8, 15, 16, 17, 31, 33, int(src.size())}) {
        for (int off : {0, 5}) {
          if (size_t(off + n) > src.size()) continue;
          std::vector<uint16_t> got(size_t(n) + 2, 0xabcd);
          k->narrow_row(src.data() + off, n, t, got.data());
          for (int i = 0; i < n; ++i) {
            if (got[size_t(i)] != want[size_t(off + i)]) {
              uint32_t b;
              std::memcpy(&b, &src[size_t(off + i)], 4);
              colm_test::fail(__FILE__, __LINE__, std::string(k->name) + (t == colm::DType::F16 ? " f16" : " bf16") +
                                                      " of 0x" + std::to_string(b) + ": " + std::to_string(got[size_t(i)]) +
                                                      " vs the reference's " + std::to_string(want[size_t(off + i)]));
              break;
            }
          }
          CHECK(got[size_t(n)] == 0xabcd);  // nothing written past n
        }
      }
    }
    // The reference rounds to nearest, ties to even; NaN stays NaN.
    for (size_t i = 0; i < src.size(); ++i) {
      const float f = src[i];
      const uint16_t h = want[i];
      auto widen = [&](uint16_t x) { return t == colm::DType::F16 ? colm::f16_to_f32(x) : colm::bf16_to_f32(x); };
      if (std::isnan(f)) {
        CHECK(std::isnan(widen(h)));
        continue;
      }
      const double w = widen(h);
      if (std::isinf(w)) continue;  // infinity, or overflow to it (the tie list above has both)
      const uint16_t up = uint16_t(h + 1), down = uint16_t(h - 1);
      const double err = std::fabs(w - double(f));
      for (uint16_t nb : {up, down}) {
        const double v = widen(nb);
        if (std::isnan(v) || std::isinf(v) || (std::signbit(v) != std::signbit(w) && w != 0.0)) continue;
        const double e = std::fabs(v - double(f));
        if (!(err < e || (err == e && (h & 1u) == 0))) {
          colm_test::fail(__FILE__, __LINE__, std::string(t == colm::DType::F16 ? "f16" : "bf16") + " of " +
                                                  std::to_string(f) + " -> " + std::to_string(h) + " is not the nearest");
          break;
        }
      }
    }
  }
}

TEST(kv_weighted_row_sum_view_matches_scalar_reference_for_every_type) {
  std::mt19937 rng(41);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  int compared = 0;
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (colm::KvType t : kAllTypes) {
      for (int hd : {1, 3, 7, 8, 16, 32, 33, 48, 64, 100, 128, 200}) {
        for (int n : {1, 5, 77}) {
          const int heads = 3, head = int(rng() % 3);
          colm::KvCache c = random_cache(rng, t, n, heads, hd, 1.5f);
          const colm::WeightView v = c.view(0, n, head);
          std::vector<float> w(static_cast<size_t>(n));
          for (auto& x : w) x = normal(rng);
          std::vector<float> a(size_t(hd), -3.0f), b(size_t(hd), 5.0f);
          k->weighted_row_sum_view(w.data(), n, v, a.data(), false);
          ref.weighted_row_sum_view(w.data(), n, v, b.data(), false);
          // Widened exactly, so only the float32 sum's order and FMA contraction differ.
          std::vector<float> row(static_cast<size_t>(hd));
          std::vector<double> mag(size_t(hd), 0.0);
          for (int p = 0; p < n; ++p) {
            colm::widen_row(v, p, row.data());
            for (int d = 0; d < hd; ++d) mag[size_t(d)] += std::fabs(double(w[size_t(p)]) * row[size_t(d)]);
          }
          for (int d = 0; d < hd; ++d) {
            if (!(std::fabs(double(a[size_t(d)]) - b[size_t(d)]) <= 1e-5 * mag[size_t(d)] + 1e-6)) {
              colm_test::fail(__FILE__, __LINE__, where(k, t, hd, n) + ": " + std::to_string(a[size_t(d)]) + " vs " +
                                                      std::to_string(b[size_t(d)]));
              return;
            }
            ++compared;
          }
          // Accumulating onto out adds the same terms after it.
          std::vector<float> acc(size_t(hd), 0.25f), acc_ref(size_t(hd), 0.25f);
          k->weighted_row_sum_view(w.data(), n, v, acc.data(), true);
          ref.weighted_row_sum_view(w.data(), n, v, acc_ref.data(), true);
          for (int d = 0; d < hd; ++d)
            CHECK(std::fabs(double(acc[size_t(d)]) - acc_ref[size_t(d)]) <= 1e-5 * (mag[size_t(d)] + 0.25) + 1e-6);
        }
      }
    }
  }
  CHECK(compared > 10000);
}

TEST(kv_weighted_row_sum_view_split_in_two_calls_is_bit_exact) {
  // A ring's window that wraps is two runs of rows; the second call must continue the first's sum.
  std::mt19937 rng(42);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (colm::KvType t : kAllTypes) {
      for (int hd : {3, 16, 33, 64, 100, 128}) {
        const int n = 41;
        colm::KvCache c = random_cache(rng, t, n, 2, hd, 1.0f);
        std::vector<float> w(static_cast<size_t>(n));
        for (auto& x : w) x = normal(rng);
        std::vector<float> whole(size_t(hd), 7.0f);
        k->weighted_row_sum_view(w.data(), n, c.view(0, n, 1), whole.data(), false);
        for (int split : {0, 1, 17, 40, 41}) {
          std::vector<float> parts(size_t(hd), -2.0f);
          k->weighted_row_sum_view(w.data(), split, c.view(0, split, 1), parts.data(), false);
          k->weighted_row_sum_view(w.data() + split, n - split, c.view(split, n - split, 1), parts.data(), true);
          CHECK(std::memcmp(whole.data(), parts.data(), sizeof(float) * size_t(hd)) == 0);
        }
      }
    }
  }
}

TEST(kv_key_scores_match_scalar_reference_for_every_type) {
  // q.k through matmul_rows on a cache view (the decode path T = 1, the prefill path T > 1).
  std::mt19937 rng(43);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const colm::CpuKernels& ref = colm::cpu_kernels_scalar();
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (colm::KvType t : kAllTypes) {
      for (int hd : {3, 8, 16, 33, 48, 64, 128}) {
        for (int T : {1, 3, 9}) {
          const int n = 1 + int(rng() % 70), heads = 2;
          colm::KvCache c = random_cache(rng, t, n, heads, hd, 1.0f);
          const colm::WeightView keys = c.view(0, n, 1);
          std::vector<float> q(size_t(T) * size_t(hd));
          for (auto& x : q) x = normal(rng);
          std::vector<float> y(size_t(T) * size_t(n)), y_ref(size_t(T) * size_t(n));
          std::vector<float> scratch(colm::matmul_scratch_floats(hd, T));
          k->matmul_rows(keys, 0, n, q.data(), hd, y.data(), n, T, scratch.data());
          ref.matmul_rows(keys, 0, n, q.data(), hd, y_ref.data(), n, T, scratch.data());
          std::vector<float> row(static_cast<size_t>(hd));
          for (int r = 0; r < n; ++r) {
            colm::widen_row(keys, r, row.data());
            for (int tt = 0; tt < T; ++tt) {
              double mag = 0;
              for (int d = 0; d < hd; ++d) mag += std::fabs(double(row[size_t(d)]) * q[size_t(tt) * hd + d]);
              const float a = y[size_t(tt) * n + r], b = y_ref[size_t(tt) * n + r];
              if (!(std::fabs(double(a) - b) <= 1e-5 * mag + 1e-6)) {
                colm_test::fail(__FILE__, __LINE__, where(k, t, hd, n) + " T=" + std::to_string(T));
                return;
              }
            }
          }
        }
      }
    }
  }
}

TEST(kv_cache_rounds_each_head_on_its_own) {
  // Plain CoLM stores chain 1's heads in one pass and chain 2's in another: a row stored head by
  // head must hold the bytes of the row stored at once, and other heads stay untouched.
  std::mt19937 rng(44);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  for (colm::KvType t : kAllTypes) {
    for (int hd : {3, 16, 32, 48, 64}) {
      const int heads = 4;
      std::vector<float> row(size_t(heads) * size_t(hd)), other(row.size());
      for (auto& v : row) v = normal(rng);
      for (auto& v : other) v = normal(rng) * 100.0f;
      colm::KvCache whole, parts;
      whole.allocate(t, 2, heads, hd);
      parts.allocate(t, 2, heads, hd);
      whole.store(1, row.data(), heads);
      parts.store(1, other.data(), heads);  // stale values of other chains, then overwritten
      parts.store(1, row.data(), 1);
      // The second pass computes heads 0..2 again (same values) and writes them with head 2.
      parts.store(1, row.data(), 3);
      std::vector<float> a(row.size()), b(row.size());
      whole.widen(1, a.data());
      parts.widen(1, b.data());
      CHECK(std::memcmp(a.data(), b.data(), size_t(3 * hd) * 4) == 0);
      // Head 3 still holds the stale row's rounding, not the new one.
      std::vector<float> stale(row.size());
      colm::KvCache s;
      s.allocate(t, 1, heads, hd);
      s.store(0, other.data(), heads);
      s.widen(0, stale.data());
      CHECK(std::memcmp(b.data() + 3 * hd, stale.data() + 3 * hd, size_t(hd) * 4) == 0);
      // Rounding error of the type, relative to the head's largest value.
      double worst = 0, absmax = 0;
      for (size_t i = 0; i < row.size(); ++i) {
        worst = std::max(worst, std::fabs(double(a[i]) - row[i]));
        absmax = std::max(absmax, std::fabs(double(row[i])));
      }
      const double bound = t == colm::KvType::F32    ? 0.0
                           : t == colm::KvType::BF16 ? absmax / 256.0
                           : t == colm::KvType::F16  ? absmax / 2048.0
                                                     : absmax / 254.0 * 1.01;
      CHECK(worst <= bound);
    }
  }
}

TEST(kv_cache_bytes_per_type) {
  CHECK(colm::kv_head_bytes(colm::KvType::F32, 64) == 256);
  CHECK(colm::kv_head_bytes(colm::KvType::BF16, 64) == 128);
  CHECK(colm::kv_head_bytes(colm::KvType::F16, 64) == 128);
  CHECK(colm::kv_head_bytes(colm::KvType::Q8_0, 64) == 68);  // 64 int8 + 2 F16 scales
  CHECK(colm::kv_head_bytes(colm::KvType::Q8_0, 16) == 18);  // one short block
  colm::KvCache c;
  c.allocate(colm::KvType::Q8_0, 10, 3, 64);
  CHECK(c.bytes() == 10 * 3 * 68);
  colm::KvType t;
  CHECK(colm::kv_type_parse("q8_0", &t) && t == colm::KvType::Q8_0);
  CHECK(colm::kv_type_parse("bf16", &t) && t == colm::KvType::BF16);
  CHECK(!colm::kv_type_parse("q4_0", &t));
  CHECK(!colm::kv_type_parse("BF16", &t));
}
