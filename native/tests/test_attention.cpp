// Attention (native/src/attention.cpp) against a naive double-precision softmax(Q K^T / sqrt(d)) V
// in every kernel variant: decode rows with one chunk and with many (flash-decoding merge),
// prefill blocks crossing key tiles (online softmax), causal and sliding-window masks, a ring
// that wraps, the Air and grouped KV-head maps, and every KV cache type. The split into chunks
// and tiles depends on the shapes only: one thread or three give the same bits. Also the
// softmax kernels (row_max, exp_scaled_sum) against std::exp.
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "../src/attention.h"
#include "check.h"
#include "colm/kernels.h"
#include "colm/kv_cache.h"
#include "colm/thread_pool.h"

namespace {

struct Shape {
  int32_t T, pos0, heads, kv_heads, head_dim, window;
  bool tiled, ring;
};

struct Problem {
  std::vector<float> q, k, v;  // q: (T, heads*hd); k, v: (pos0+T, kv_heads*hd) by logical position
  colm::KvCache k_cache, v_cache;
  colm::AttentionArgs args;
};

Problem make_problem(const Shape& s, colm::KvType type, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Problem p;
  const int32_t n_pos = s.pos0 + s.T, kvdim = s.kv_heads * s.head_dim;
  p.q.resize(size_t(s.T) * s.heads * s.head_dim);
  for (auto& x : p.q) x = 2.0f * normal(rng);  // peaked enough that the max matters
  p.k.resize(size_t(n_pos) * kvdim);
  p.v.resize(size_t(n_pos) * kvdim);
  for (auto& x : p.k) x = normal(rng);
  for (auto& x : p.v) x = normal(rng);
  colm::AttentionArgs& a = p.args;
  a.T = s.T;
  a.pos0 = s.pos0;
  a.n_query_heads = s.heads;
  a.head_dim = s.head_dim;
  a.tiled_kv_map = s.tiled;
  a.num_kv_heads = s.kv_heads;
  a.group = s.heads / s.kv_heads;
  a.window = s.window;
  a.ring = s.ring ? s.window + s.T - 1 + 3 : 0;
  const int32_t rows = a.ring > 0 ? a.ring : n_pos;
  p.k_cache.allocate(type, rows, s.kv_heads, s.head_dim);
  p.v_cache.allocate(type, rows, s.kv_heads, s.head_dim);
  // Positions the ring no longer holds are never read; the later ones overwrite their rows.
  for (int32_t pos = 0; pos < n_pos; ++pos) {
    const int64_t r = a.ring > 0 ? pos % a.ring : pos;
    p.k_cache.store(r, p.k.data() + size_t(pos) * kvdim, s.kv_heads);
    p.v_cache.store(r, p.v.data() + size_t(pos) * kvdim, s.kv_heads);
    // The reference reads what the cache holds (rounded to its type).
    for (int32_t h = 0; h < s.kv_heads; ++h) {
      colm::widen_row(p.k_cache.view(r, 1, h), 0, p.k.data() + size_t(pos) * kvdim + size_t(h) * s.head_dim);
      colm::widen_row(p.v_cache.view(r, 1, h), 0, p.v.data() + size_t(pos) * kvdim + size_t(h) * s.head_dim);
    }
  }
  a.q = p.q.data();
  a.q_stride = int64_t(s.heads) * s.head_dim;
  a.k_cache = &p.k_cache;
  a.v_cache = &p.v_cache;
  a.row0 = 0;
  return p;
}

std::vector<float> reference(const Shape& s, const Problem& p) {
  const int32_t hd = s.head_dim, kvdim = s.kv_heads * hd;
  std::vector<float> out(size_t(s.T) * s.heads * hd);
  for (int32_t t = 0; t < s.T; ++t) {
    const int32_t q_pos = s.pos0 + t;
    const int32_t first = s.window > 0 && q_pos + 1 > s.window ? q_pos + 1 - s.window : 0;
    for (int32_t j = 0; j < s.heads; ++j) {
      const int32_t kvh = s.tiled ? j % s.kv_heads : j / (s.heads / s.kv_heads);
      const float* q = p.q.data() + (size_t(t) * s.heads + j) * hd;
      std::vector<double> w(size_t(q_pos + 1 - first));
      double mx = -1e300, sum = 0;
      for (int32_t k = first; k <= q_pos; ++k) {
        double d = 0;
        for (int32_t i = 0; i < hd; ++i) d += double(q[i]) * p.k[size_t(k) * kvdim + size_t(kvh) * hd + i];
        w[size_t(k - first)] = d / std::sqrt(double(hd));
        mx = std::max(mx, w[size_t(k - first)]);
      }
      for (auto& x : w) sum += (x = std::exp(x - mx));
      for (int32_t i = 0; i < hd; ++i) {
        double o = 0;
        for (int32_t k = first; k <= q_pos; ++k) o += w[size_t(k - first)] * p.v[size_t(k) * kvdim + size_t(kvh) * hd + i];
        out[(size_t(t) * s.heads + j) * hd + i] = float(o / sum);
      }
    }
  }
  return out;
}

std::string describe(const Shape& s, const char* kernels, colm::KvType type) {
  return std::string(kernels) + " " + colm::kv_type_name(type) + " T=" + std::to_string(s.T) + " pos0=" +
         std::to_string(s.pos0) + " window=" + std::to_string(s.window) + (s.ring ? " ring" : "") +
         (s.tiled ? " tiled" : " grouped");
}

const Shape kShapes[] = {
    {1, 0, 4, 2, 16, 0, true, false},      // the first token
    {1, 200, 4, 2, 16, 0, true, false},    // decode, one chunk
    {1, 700, 4, 2, 32, 0, false, false},   // decode, three chunks merged
    {3, 600, 2, 1, 16, 0, true, false},    // a few rows, each several chunks
    {1, 900, 4, 2, 16, 300, true, true},   // decode in a wrapped ring with a window over two chunks
    {9, 0, 2, 2, 16, 0, false, false},     // the prefill path, one tile
    {70, 250, 4, 2, 16, 0, true, false},   // blocks across tile boundaries, a past
    {300, 0, 2, 1, 64, 0, false, false},   // several query blocks and key tiles from 0
    {300, 500, 2, 2, 16, 100, true, true}, // a window: tiles outside a block skipped; ring wraps
};

}  // namespace

TEST(attention_matches_a_naive_softmax_in_every_variant_and_kv_type) {
  colm::ThreadPool pool(2);
  const std::string before = colm::cpu_kernels().name;
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    colm::set_cpu_kernels(k->name);
    for (colm::KvType type : {colm::KvType::F32, colm::KvType::BF16, colm::KvType::F16, colm::KvType::Q8_0}) {
      uint32_t seed = 7;
      for (const Shape& s : kShapes) {
        Problem p = make_problem(s, type, seed++);
        std::vector<float> out(p.q.size(), std::nanf(""));
        p.args.out = out.data();
        colm::attention(p.args, pool);
        const std::vector<float> want = reference(s, p);
        const double worst = colm_test::worst_closeness(out.data(), want.data(), out.size(), 2e-5, 2e-4);
        if (!(worst <= 1.0)) colm_test::fail(__FILE__, __LINE__, describe(s, k->name, type) + " worst " + std::to_string(worst));
      }
    }
  }
  colm::set_cpu_kernels(before);
}

TEST(attention_bits_do_not_depend_on_the_thread_count) {
  colm::ThreadPool one(1), three(3);
  for (const Shape& s : kShapes) {
    Problem p = make_problem(s, colm::KvType::BF16, 99);
    std::vector<float> a(p.q.size()), b(p.q.size());
    p.args.out = a.data();
    colm::attention(p.args, one);
    p.args.out = b.data();
    colm::attention(p.args, three);
    if (std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) != 0)
      colm_test::fail(__FILE__, __LINE__, describe(s, colm::cpu_kernels().name, colm::KvType::BF16));
  }
}

TEST(softmax_kernels_match_std_exp_in_every_variant) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-30.0f, 30.0f);
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (int32_t n : {1, 5, 16, 17, 100, 256}) {
      std::vector<float> x(static_cast<size_t>(n));
      for (auto& v : x) v = uniform(rng);
      float want_max = x[0];
      for (float v : x) want_max = std::max(want_max, v);
      const float got_max = k->row_max(x.data(), n);
      CHECK(got_max == want_max);
      const float scale = 0.125f, shift = scale * want_max;
      std::vector<float> want(x.size());
      double want_sum = 0;
      for (size_t i = 0; i < x.size(); ++i) want_sum += (want[i] = std::exp(x[i] * scale - shift));
      const float sum = k->exp_scaled_sum(x.data(), n, scale, shift);
      CHECK_CLOSE(x.data(), want.data(), x.size(), 0.0, 3e-7);  // within 2 ulp
      CHECK(std::fabs(sum - want_sum) <= 1e-6 * want_sum);
    }
  }
}

TEST(group_kernels_match_naive_sums_and_a_head_does_not_depend_on_its_group) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const colm::CpuKernels* k : colm::cpu_kernels_available()) {
    for (colm::DType dt : {colm::DType::F32, colm::DType::BF16}) {
      for (int32_t hd : {16, 48, 64, 128, 256}) {
        for (int32_t n : {1, 15, 16, 17, 40, 256}) {
          const int32_t G = 7;  // a register group of 4 and a remainder of 3 (2 on SSE/NEON: 2, 2, 2, 1)
          // Rows of n keys with a stride of two heads (a cache row holds several KV heads).
          const int64_t ld = 2 * hd;
          std::vector<float> rows_f(size_t(n) * ld);
          for (auto& v : rows_f) v = normal(rng);
          std::vector<uint16_t> rows_h(rows_f.size());
          if (dt == colm::DType::BF16) {
            for (size_t i = 0; i < rows_f.size(); ++i) {
              rows_h[i] = colm::round_to_bf16(rows_f[i]);
              const uint32_t bits = uint32_t(rows_h[i]) << 16;
              std::memcpy(&rows_f[i], &bits, 4);  // the reference reads the rounded values
            }
          }
          const colm::WeightView rows{dt == colm::DType::BF16 ? static_cast<const void*>(rows_h.data()) : rows_f.data(), dt, n, hd, ld};
          std::vector<float> q(size_t(G) * hd), p(size_t(G) * n);
          for (auto& v : q) v = normal(rng);
          for (auto& v : p) v = std::fabs(normal(rng));
          std::vector<float> s(size_t(G) * n), want_s(s.size()), o(size_t(G) * hd), want_o(o.size());
          k->group_scores(q.data(), G, hd, rows, s.data(), n);
          k->group_values(p.data(), G, n, rows, o.data(), hd, false);
          for (int32_t g = 0; g < G; ++g) {
            for (int32_t r = 0; r < n; ++r) {
              double d = 0;
              for (int32_t i = 0; i < hd; ++i) d += double(q[size_t(g) * hd + i]) * rows_f[size_t(r) * ld + i];
              want_s[size_t(g) * n + r] = float(d);
            }
            for (int32_t i = 0; i < hd; ++i) {
              double d = 0;
              for (int32_t r = 0; r < n; ++r) d += double(p[size_t(g) * n + r]) * rows_f[size_t(r) * ld + i];
              want_o[size_t(g) * hd + i] = float(d);
            }
          }
          const std::string where = std::string(k->name) + (dt == colm::DType::BF16 ? " bf16" : " f32") +
                                    " hd=" + std::to_string(hd) + " n=" + std::to_string(n);
          if (!(colm_test::worst_closeness(s.data(), want_s.data(), s.size(), 1e-4, 1e-4) <= 1.0))
            colm_test::fail(__FILE__, __LINE__, where + " scores");
          if (!(colm_test::worst_closeness(o.data(), want_o.data(), o.size(), 1e-4, 1e-4) <= 1.0))
            colm_test::fail(__FILE__, __LINE__, where + " values");
          // A head alone gives the group's bits (one in the register group, one in the rest); the
          // keys split in two calls too.
          for (int32_t h : {3, 5}) {
            std::vector<float> s1(static_cast<size_t>(n)), o1(static_cast<size_t>(hd));
            k->group_scores(q.data() + h * hd, 1, hd, rows, s1.data(), n);
            k->group_values(p.data() + h * n, 1, n, rows, o1.data(), hd, false);
            CHECK(std::memcmp(s1.data(), s.data() + h * n, size_t(n) * 4) == 0);
            CHECK(std::memcmp(o1.data(), o.data() + h * hd, size_t(hd) * 4) == 0);
          }
          if (n > 1) {
            const int32_t split = n / 3 + 1;
            colm::WeightView first = rows, second = rows;
            first.rows = split;
            second.rows = n - split;
            second.data = rows.row_ptr(split);
            std::vector<float> parts(o.size()), s2(s.size());
            k->group_scores(q.data(), G, hd, first, s2.data(), n);
            k->group_scores(q.data(), G, hd, second, s2.data() + split, n);
            CHECK(std::memcmp(s2.data(), s.data(), s.size() * 4) == 0);
            k->group_values(p.data(), G, n, first, parts.data(), hd, false);
            k->group_values(p.data() + split, G, n, second, parts.data(), hd, true);
            CHECK(std::memcmp(parts.data(), o.data(), o.size() * 4) == 0);
          }
        }
      }
    }
  }
}
