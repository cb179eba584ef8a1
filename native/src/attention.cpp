#include "attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "colm/kernels.h"

namespace colm {

namespace {

// Keys per tile: a decode query's keys are split into chunks of this many (tasks for the pool,
// merged afterwards), and prefill walks its keys in tiles of this many. The split depends on the
// number of keys only, never on the thread count, so the bits do not either.
constexpr int32_t kKeyTile = 256;
// Queries per prefill block: enough rows for the GEMM micro-kernels to pay off; the score tile
// (kQueryBlock x kKeyTile floats) stays in L2.
constexpr int32_t kQueryBlock = 64;
// Query blocks per prefill task: they share each widened, transposed V tile.
constexpr int32_t kBlocksPerTask = 4;

float attention_scale(const AttentionArgs& a) { return 1.0f / std::sqrt(float(a.head_dim)); }

// Scores of query row q against keys [first, first + n) into scores[0..n) (raw dot products): the
// keys as one or (a ring that wraps) two runs of cache rows; a row's score does not depend on
// the rows beside it.
void key_scores(const AttentionArgs& a, int32_t kv_head, const float* q, int64_t ldq, int32_t nq, int32_t first,
                int32_t n, float* scores, int64_t ld_scores, float* scratch) {
  const CpuKernels& kern = cpu_kernels();
  const KeyRuns runs = key_runs(a, first, n);
  kern.matmul_rows(a.k_cache->view(a.row0 + runs.r1, runs.n1, kv_head), 0, runs.n1, q, ldq, scores, ld_scores, nq,
                   scratch);
  if (runs.n1 < n) {
    const int32_t n2 = n - runs.n1;
    kern.matmul_rows(a.k_cache->view(a.row0, n2, kv_head), 0, n2, q, ldq, scores + runs.n1, ld_scores, nq, scratch);
  }
}

// ---- decode: one query row at a time, its keys split into chunks ----

// A chunk's share of one query's attention: max raw score, sum of exp, and the unnormalised sum
// of value rows weighted by exp (a flash-decoding partial; merge_partials combines them).
struct Partial {
  float max_score;
  float sum;
  float* out;  // head_dim values
};

void decode_chunk(const AttentionArgs& a, int32_t t, int32_t j, int32_t first, int32_t n, Partial& p) {
  const CpuKernels& kern = cpu_kernels();
  const int32_t hd = a.head_dim;
  const int32_t kv_head = kv_head_of(a, j);
  thread_local std::vector<float> scores, scratch;
  if (scores.size() < size_t(n)) scores.resize(size_t(n));
  if (scratch.size() < matmul_scratch_floats(hd, 1)) scratch.resize(matmul_scratch_floats(hd, 1));
  // Scores: a GEMV of the key rows against q (the decode kernel; a narrow cache's key rows are
  // widened inside matmul_rows); then P V with the output held in registers.
  key_scores(a, kv_head, a.q + t * a.q_stride + int64_t(j) * hd, hd, 1, first, n, scores.data(), n, scratch.data());
  const float scale = attention_scale(a);
  p.max_score = kern.row_max(scores.data(), n);
  p.sum = kern.exp_scaled_sum(scores.data(), n, scale, scale * p.max_score);
  const KeyRuns runs = key_runs(a, first, n);
  kern.weighted_row_sum_view(scores.data(), runs.n1, a.v_cache->view(a.row0 + runs.r1, runs.n1, kv_head), p.out, false);
  if (runs.n1 < n)
    kern.weighted_row_sum_view(scores.data() + runs.n1, n - runs.n1, a.v_cache->view(a.row0, n - runs.n1, kv_head),
                               p.out, true);
}

// out = (sum_c w_c out_c) / (sum_c w_c sum_c), w_c = exp(scale (max_c - max)): the chunks in order.
void merge_partials(const Partial* parts, int32_t n, float scale, int32_t hd, float* out) {
  float max_score = parts[0].max_score;
  for (int32_t c = 1; c < n; ++c) max_score = std::max(max_score, parts[c].max_score);
  float total = 0.0f;
  std::fill(out, out + hd, 0.0f);
  for (int32_t c = 0; c < n; ++c) {
    const float w = std::exp(scale * parts[c].max_score - scale * max_score);
    total += w * parts[c].sum;
    for (int32_t d = 0; d < hd; ++d) out[d] += w * parts[c].out[d];
  }
  const float inv = 1.0f / total;
  for (int32_t d = 0; d < hd; ++d) out[d] *= inv;
}

// fn(j) for the query heads that read KV head `kv`, in order: Air tiles (kv, kv + h_kv, ...),
// plain groups (kv * group, ...). A decode task takes all of them, so the chunk's K and V rows
// come from memory once and from the cache for the other heads of the group.
template <class HeadFn>
void for_heads_of_kv(const AttentionArgs& a, int32_t kv, const HeadFn& fn) {
  if (a.tiled_kv_map) {
    for (int32_t j = kv; j < a.n_query_heads; j += a.num_kv_heads) fn(j);
  } else {
    for (int32_t j = kv * a.group; j < std::min(a.n_query_heads, (kv + 1) * a.group); ++j) fn(j);
  }
}

// Query t's heads that read KV head `kv`, over keys [first, first + n): each head's partial
// (part_of(j) gives head j's, its `out` set). F32 and BF16 caches take the group kernels (each K
// and V row read once for every head of the group); the other types one head at a time.
template <class PartFn>
void decode_kv_chunk(const AttentionArgs& a, int32_t t, int32_t kv, int32_t first, int32_t n, const PartFn& part_of) {
  const int32_t hd = a.head_dim;
  if (!group_attention_supported(a.k_cache->view(a.row0, 1, kv).dtype, hd)) {
    for_heads_of_kv(a, kv, [&](int32_t j) { decode_chunk(a, t, j, first, n, part_of(j)); });
    return;
  }
  const CpuKernels& kern = cpu_kernels();
  thread_local std::vector<int32_t> heads;
  thread_local std::vector<float> q, scores, outs;
  heads.clear();
  for_heads_of_kv(a, kv, [&](int32_t j) { heads.push_back(j); });
  const int32_t G = int32_t(heads.size());
  q.resize(size_t(G) * hd);
  scores.resize(size_t(G) * n);
  outs.resize(size_t(G) * hd);
  for (int32_t g = 0; g < G; ++g) {
    const float* src = a.q + t * a.q_stride + int64_t(heads[size_t(g)]) * hd;
    std::copy(src, src + hd, q.data() + size_t(g) * hd);
  }
  // Keys as one or (a ring that wraps) two runs of rows: scores land in their columns, and the
  // values of the second run carry on the first run's sums.
  const KeyRuns runs = key_runs(a, first, n);
  kern.group_scores(q.data(), G, hd, a.k_cache->view(a.row0 + runs.r1, runs.n1, kv), scores.data(), n);
  if (runs.n1 < n)
    kern.group_scores(q.data(), G, hd, a.k_cache->view(a.row0, n - runs.n1, kv), scores.data() + runs.n1, n);
  const float scale = attention_scale(a);
  for (int32_t g = 0; g < G; ++g) {
    float* s = scores.data() + size_t(g) * n;
    Partial& p = part_of(heads[size_t(g)]);
    p.max_score = kern.row_max(s, n);
    p.sum = kern.exp_scaled_sum(s, n, scale, scale * p.max_score);
  }
  kern.group_values(scores.data(), G, n, a.v_cache->view(a.row0 + runs.r1, runs.n1, kv), outs.data(), hd, false);
  if (runs.n1 < n)
    kern.group_values(scores.data() + runs.n1, G, n, a.v_cache->view(a.row0, n - runs.n1, kv), outs.data(), hd, true);
  for (int32_t g = 0; g < G; ++g)
    std::copy(outs.data() + size_t(g) * hd, outs.data() + size_t(g + 1) * hd, part_of(heads[size_t(g)]).out);
}

void attention_rows(const AttentionArgs& a, ThreadPool& pool) {
  const int32_t H = a.n_query_heads, hd = a.head_dim;
  const float scale = attention_scale(a);
  // KV heads some query head reads (sub-model k may use fewer than the cache holds).
  const int32_t n_kv = std::min(a.num_kv_heads, a.tiled_kv_map ? H : (H + a.group - 1) / a.group);
  // Keys of query t: first_visible_key(pos0 + t) .. pos0 + t, in chunks of kKeyTile.
  auto keys_of = [&](int32_t t, int32_t& first, int32_t& n) {
    first = first_visible_key(a, a.pos0 + t);
    n = a.pos0 + t + 1 - first;
  };
  int32_t max_chunks = 1;
  for (int32_t t = 0; t < a.T; ++t) {
    int32_t first, n;
    keys_of(t, first, n);
    max_chunks = std::max(max_chunks, (n + kKeyTile - 1) / kKeyTile);
  }
  if (max_chunks == 1) {
    // Short context: one task per (query, KV head), normalised in place.
    thread_local std::vector<Partial> parts_buffer;
    parts_buffer.resize(size_t(a.T) * H);
    Partial* const parts = parts_buffer.data();
    pool.run(a.T * n_kv, [&](int task) {
      const int32_t t = task / n_kv, kv = task % n_kv;
      int32_t first, n;
      keys_of(t, first, n);
      auto part_of = [&](int32_t j) -> Partial& {
        Partial& p = parts[size_t(t) * H + j];
        p.out = a.out + t * a.q_stride + int64_t(j) * hd;
        return p;
      };
      decode_kv_chunk(a, t, kv, first, n, part_of);
      for_heads_of_kv(a, kv, [&](int32_t j) {
        const Partial& p = parts[size_t(t) * H + j];
        const float inv = 1.0f / p.sum;
        for (int32_t d = 0; d < hd; ++d) p.out[d] *= inv;
      });
    });
    return;
  }
  // Long context: every chunk of every (query, KV head) is a task, so a few heads still keep every
  // thread busy; the partials (per query head) are merged in chunk order on this thread (a few
  // hundred floats each).
  // (The buffers are this thread's; the tasks reach them through the pointers: a thread_local
  // named inside the lambda would be each worker's own.)
  thread_local std::vector<float> outs_buffer;
  thread_local std::vector<Partial> parts_buffer;
  const size_t n_parts = size_t(a.T) * H * max_chunks;
  outs_buffer.resize(n_parts * hd);
  parts_buffer.resize(n_parts);
  float* const outs = outs_buffer.data();
  Partial* const parts = parts_buffer.data();
  pool.run(a.T * n_kv * max_chunks, [&](int task) {
    const int32_t c = task % max_chunks, row = task / max_chunks;
    const int32_t t = row / n_kv;
    int32_t first, n;
    keys_of(t, first, n);
    const int32_t c_first = c * kKeyTile;
    if (c_first >= n) return;
    auto part_of = [&](int32_t j) -> Partial& {
      const size_t part = (size_t(t) * H + j) * max_chunks + c;
      Partial& p = parts[part];
      p.out = outs + part * hd;
      return p;
    };
    decode_kv_chunk(a, t, row % n_kv, first + c_first, std::min(kKeyTile, n - c_first), part_of);
  });
  for (int32_t row = 0; row < a.T * H; ++row) {
    const int32_t t = row / H, j = row % H;
    int32_t first, n;
    keys_of(t, first, n);
    merge_partials(parts + size_t(row) * max_chunks, (n + kKeyTile - 1) / kKeyTile, scale, hd,
                   a.out + t * a.q_stride + int64_t(j) * hd);
  }
}

// ---- prefill: blocks of queries against tiles of keys, online softmax ----

// One task: query head j over queries [t0, t1) (kBlocksPerTask blocks of kQueryBlock). The keys
// they see are walked in tiles; per tile, each block takes S = Q K^T (matmul_rows on the cache
// rows), updates its running max and sum (online softmax: earlier output rescaled by
// exp(old max - new max)), and adds P V, with V's tile widened and transposed once for the task's
// blocks so P V is a matmul_rows product too. Tiles wholly outside a block's causal (and window)
// range are never computed.
void attention_blocks(const AttentionArgs& a, int32_t j, int32_t t0, int32_t t1) {
  const CpuKernels& kern = cpu_kernels();
  const int32_t hd = a.head_dim;
  const int32_t kv_head = kv_head_of(a, j);
  const float scale = attention_scale(a);
  const int32_t nq_all = t1 - t0;
  // Keys [k_lo, k_hi): from the first key the first query sees (sliding window) to the last query.
  const int32_t k_lo = first_visible_key(a, a.pos0 + t0);
  const int32_t k_hi = a.pos0 + t1;

  // P V: F32 and BF16 caches through group_values straight from the cache rows (each query row
  // of P is a "head" of the group); other types have each tile's V rows widened (exact:
  // widen_row) and transposed into v_t, so P V is a matmul_rows product into pv.
  const bool direct_values = group_attention_supported(a.v_cache->view(a.row0, 1, kv_head).dtype, hd);
  thread_local std::vector<float> s_tile, v_t, v_row, acc, pv, row_max, row_sum, scratch;
  s_tile.resize(size_t(kQueryBlock) * kKeyTile);
  if (!direct_values) {
    v_t.resize(size_t(hd) * kKeyTile);
    v_row.resize(size_t(hd));
    pv.resize(size_t(kQueryBlock) * hd);
  }
  acc.assign(size_t(nq_all) * hd, 0.0f);
  row_max.assign(size_t(nq_all), -std::numeric_limits<float>::infinity());
  row_sum.assign(size_t(nq_all), 0.0f);
  scratch.resize(matmul_scratch_floats(std::max(hd, kKeyTile), kQueryBlock));
  float alpha[kQueryBlock];

  for (int32_t k_a = k_lo; k_a < k_hi; k_a += kKeyTile) {
    const int32_t nk = std::min(kKeyTile, k_hi - k_a);
    const KeyRuns runs = key_runs(a, k_a, nk);
    for (int32_t p = 0; p < nk && !direct_values; ++p) {
      const int64_t row = p < runs.n1 ? runs.r1 + p : int64_t(p - runs.n1);
      const WeightView v = a.v_cache->view(a.row0 + row, 1, kv_head);
      const float* vals = v_row.data();
      if (v.dtype == DType::F32) vals = static_cast<const float*>(v.data);
      else widen_row(v, 0, v_row.data());
      for (int32_t d = 0; d < hd; ++d) v_t[size_t(d) * nk + p] = vals[d];
    }
    const WeightView values{v_t.data(), DType::F32, hd, nk, nk};

    for (int32_t b0 = t0; b0 < t1; b0 += kQueryBlock) {
      const int32_t nq = std::min(kQueryBlock, t1 - b0);
      // The block sees keys [first_visible_key(pos0 + b0), pos0 + b0 + nq): skip a tile outside.
      if (k_a >= a.pos0 + b0 + nq || k_a + nk <= first_visible_key(a, a.pos0 + b0)) continue;
      const int32_t i0 = b0 - t0;  // the block's first row in acc, row_max, row_sum
      key_scores(a, kv_head, a.q + b0 * a.q_stride + int64_t(j) * hd, a.q_stride, nq, k_a, nk, s_tile.data(), nk,
                 scratch.data());
      for (int32_t i = 0; i < nq; ++i) {
        float* s = s_tile.data() + size_t(i) * nk;
        // Visible keys of query pos0 + b0 + i within the tile: [lo, hi). Everything else gets 0.
        const int32_t q_pos = a.pos0 + b0 + i;
        const int32_t lo = std::max(first_visible_key(a, q_pos), k_a) - k_a;
        const int32_t hi = std::min(q_pos + 1, k_a + nk) - k_a;
        if (hi <= lo) {
          std::fill(s, s + nk, 0.0f);
          alpha[i] = 1.0f;
          continue;
        }
        float& m = row_max[size_t(i0 + i)];
        const float m_new = std::max(m, kern.row_max(s + lo, hi - lo));
        alpha[i] = m == -std::numeric_limits<float>::infinity() ? 0.0f : std::exp(scale * m - scale * m_new);
        m = m_new;
        const float sum = kern.exp_scaled_sum(s + lo, hi - lo, scale, scale * m_new);
        row_sum[size_t(i0 + i)] = row_sum[size_t(i0 + i)] * alpha[i] + sum;
        std::fill(s, s + lo, 0.0f);
        std::fill(s + hi, s + nk, 0.0f);
      }
      if (direct_values) {
        for (int32_t i = 0; i < nq; ++i) {
          float* o = acc.data() + size_t(i0 + i) * hd;
          const float al = alpha[i];
          if (al != 1.0f)
            for (int32_t d = 0; d < hd; ++d) o[d] *= al;
        }
        float* o = acc.data() + size_t(i0) * hd;
        kern.group_values(s_tile.data(), nq, nk, a.v_cache->view(a.row0 + runs.r1, runs.n1, kv_head), o, hd, true);
        if (runs.n1 < nk)
          kern.group_values(s_tile.data() + runs.n1, nq, nk, a.v_cache->view(a.row0, nk - runs.n1, kv_head), o, hd, true);
        continue;
      }
      kern.matmul_rows(values, 0, hd, s_tile.data(), nk, pv.data(), hd, nq, scratch.data());
      for (int32_t i = 0; i < nq; ++i) {
        float* o = acc.data() + size_t(i0 + i) * hd;
        const float* add = pv.data() + size_t(i) * hd;
        const float al = alpha[i];
        for (int32_t d = 0; d < hd; ++d) o[d] = o[d] * al + add[d];
      }
    }
  }
  for (int32_t i = 0; i < nq_all; ++i) {
    const float inv = 1.0f / row_sum[size_t(i)];
    const float* o = acc.data() + size_t(i) * hd;
    float* out = a.out + (t0 + i) * a.q_stride + int64_t(j) * hd;
    for (int32_t d = 0; d < hd; ++d) out[d] = o[d] * inv;
  }
}

}  // namespace

void attention(const AttentionArgs& a, ThreadPool& pool) {
  if (a.T < 8) {
    attention_rows(a, pool);
    return;
  }
  constexpr int32_t kTaskQueries = kQueryBlock * kBlocksPerTask;
  const int32_t groups = (a.T + kTaskQueries - 1) / kTaskQueries;
  // Later groups see more keys: hand them out first so the threads finish together.
  pool.run(groups * a.n_query_heads, [&](int task) {
    const int32_t g = groups - 1 - task / a.n_query_heads, j = task % a.n_query_heads;
    attention_blocks(a, j, g * kTaskQueries, std::min(a.T, (g + 1) * kTaskQueries));
  });
}

}  // namespace colm
