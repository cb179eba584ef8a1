#include "attention.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "colm/kernels.h"

namespace colm {

namespace {

// Queries per block on the prefill path: enough rows for the GEMM micro-kernels to pay off,
// few enough that the score block stays in cache.
constexpr int32_t kQueryBlock = 64;

// Softmax of scores[0..n) in place (float32, max subtracted), scaled already.
void softmax(float* scores, int32_t n) {
  float max_score = -std::numeric_limits<float>::infinity();
  for (int32_t p = 0; p < n; ++p) max_score = std::max(max_score, scores[p]);
  float sum = 0.0f;
  for (int32_t p = 0; p < n; ++p) {
    scores[p] = std::exp(scores[p] - max_score);
    sum += scores[p];
  }
  const float inv = 1.0f / sum;
  for (int32_t p = 0; p < n; ++p) scores[p] *= inv;
}

void attention_rows(const AttentionArgs& a, ThreadPool& pool) {
  const CpuKernels& kern = cpu_kernels();
  const float scale = 1.0f / std::sqrt(float(a.head_dim));
  const int32_t hd = a.head_dim;
  pool.run(a.T * a.n_query_heads, [&](int task) {
    const int32_t t = task / a.n_query_heads, j = task % a.n_query_heads;
    const int32_t kv_head = kv_head_of(a, j);
    // Keys first..pos of this query: all earlier positions, or the last `window` of them.
    const int32_t first = first_visible_key(a, a.pos0 + t);
    const int32_t n_pos = a.pos0 + t + 1 - first;
    thread_local std::vector<float> scores;
    if (scores.size() < size_t(n_pos)) scores.resize(size_t(n_pos));
    // Scores: a GEMV of the key rows against q (the decode kernel); then P V with the output
    // held in registers.
    // A ring's window that wraps is two runs of rows (n1 from row r1, the rest from row 0): a
    // row's score does not depend on the rows beside it, and the P V sum carries on across runs.
    const KeyRuns runs = key_runs(a, first, n_pos);
    const int32_t n2 = n_pos - runs.n1;
    const float* q = a.q + t * a.q_stride + int64_t(j) * hd;
    float* out = a.out + t * a.q_stride + int64_t(j) * hd;
    // A narrow cache's key rows are widened inside matmul_rows (the scalar reference widens a
    // row into scratch; the vector variants in registers).
    thread_local std::vector<float> scratch;
    if (scratch.size() < matmul_scratch_floats(hd, 1)) scratch.resize(matmul_scratch_floats(hd, 1));
    const WeightView keys = a.k_cache->view(a.row0 + runs.r1, runs.n1, kv_head);
    kern.matmul_rows(keys, 0, runs.n1, q, hd, scores.data(), n_pos, 1, scratch.data());
    if (n2 > 0) {
      const WeightView wrapped = a.k_cache->view(a.row0, n2, kv_head);
      kern.matmul_rows(wrapped, 0, n2, q, hd, scores.data() + runs.n1, n_pos, 1, scratch.data());
    }
    for (int32_t p = 0; p < n_pos; ++p) scores[size_t(p)] *= scale;
    softmax(scores.data(), n_pos);
    kern.weighted_row_sum_view(scores.data(), runs.n1, a.v_cache->view(a.row0 + runs.r1, runs.n1, kv_head), out, false);
    if (n2 > 0) kern.weighted_row_sum_view(scores.data() + runs.n1, n2, a.v_cache->view(a.row0, n2, kv_head), out, true);
  });
}

// One task: query head j over queries [t0, t1). S = Q K^T for every key the block may see,
// masked causally and normalised, then O = P V with V transposed into scratch so both are
// matmul_rows products.
void attention_block(const AttentionArgs& a, int32_t j, int32_t t0, int32_t t1) {
  const CpuKernels& kern = cpu_kernels();
  const int32_t hd = a.head_dim;
  const int32_t nq = t1 - t0;
  // Keys [k0, pos0 + t1): from the first key the block's first query sees (sliding window).
  const int32_t k0 = first_visible_key(a, a.pos0 + t0);
  const int32_t n_keys = a.pos0 + t1 - k0;
  const int32_t kv_head = kv_head_of(a, j);
  const float scale = 1.0f / std::sqrt(float(hd));
  thread_local std::vector<float> scores, v_t, scratch;
  scores.resize(size_t(nq) * size_t(n_keys));
  v_t.resize(size_t(hd) * size_t(n_keys));
  scratch.resize(matmul_scratch_floats(std::max(hd, n_keys), nq));

  // Keys as one or (a ring that wraps) two runs of cache rows; scores land in their columns.
  const KeyRuns runs = key_runs(a, k0, n_keys);
  const float* q = a.q + t0 * a.q_stride + int64_t(j) * hd;
  const WeightView keys = a.k_cache->view(a.row0 + runs.r1, runs.n1, kv_head);
  kern.matmul_rows(keys, 0, runs.n1, q, a.q_stride, scores.data(), n_keys, nq, scratch.data());
  if (runs.n1 < n_keys) {
    const WeightView wrapped = a.k_cache->view(a.row0, n_keys - runs.n1, kv_head);
    kern.matmul_rows(wrapped, 0, n_keys - runs.n1, q, a.q_stride, scores.data() + runs.n1, n_keys, nq, scratch.data());
  }
  for (int32_t i = 0; i < nq; ++i) {
    float* row = scores.data() + size_t(i) * n_keys;
    // Visible keys of query pos0+t0+i, relative to k0: [lo, hi). Causal: up to its own position;
    // with a window, from its first visible key. Everything else gets probability 0.
    const int32_t lo = first_visible_key(a, a.pos0 + t0 + i) - k0;
    const int32_t hi = a.pos0 + t0 + i + 1 - k0;
    for (int32_t p = lo; p < hi; ++p) row[p] *= scale;
    softmax(row + lo, hi - lo);
    std::fill(row, row + lo, 0.0f);
    std::fill(row + hi, row + n_keys, 0.0f);
  }
  // V transposed into scratch, widened from the cache type on the way (exact: widen_row).
  thread_local std::vector<float> v_row;
  v_row.resize(size_t(hd));
  for (int32_t p = 0; p < n_keys; ++p) {
    const int64_t row = p < runs.n1 ? runs.r1 + p : int64_t(p - runs.n1);
    const WeightView v = a.v_cache->view(a.row0 + row, 1, kv_head);
    const float* vals = v_row.data();
    if (v.dtype == DType::F32) vals = static_cast<const float*>(v.data);
    else widen_row(v, 0, v_row.data());
    for (int32_t d = 0; d < hd; ++d) v_t[size_t(d) * n_keys + p] = vals[d];
  }
  const WeightView values{v_t.data(), DType::F32, hd, n_keys, n_keys};
  kern.matmul_rows(values, 0, hd, scores.data(), n_keys, a.out + t0 * a.q_stride + int64_t(j) * hd, a.q_stride, nq,
                   scratch.data());
}

}  // namespace

void attention(const AttentionArgs& a, ThreadPool& pool) {
  if (a.T < 8) {
    attention_rows(a, pool);
    return;
  }
  const int32_t blocks = (a.T + kQueryBlock - 1) / kQueryBlock;
  // Later blocks see more keys: hand them out first so the threads finish together.
  pool.run(blocks * a.n_query_heads, [&](int task) {
    const int32_t b = blocks - 1 - task / a.n_query_heads, j = task % a.n_query_heads;
    attention_block(a, j, b * kQueryBlock, std::min(a.T, (b + 1) * kQueryBlock));
  });
}

}  // namespace colm
