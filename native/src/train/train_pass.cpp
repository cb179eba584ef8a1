// The forward pass over a batch (causal, whole sequences, no KV cache) keeping what the
// backward pass needs, the LM head with the loss of every chain count, and the backward pass
// into the gradient arena.
//
// Forward products go through the engine's matmul_jobs (y = x W^T over the stored blocks).
// Backward products go through train_gemm (C += A B with B's rows along C's columns):
//   input grad     dx[:, chain j] = sum over blocks b >= j of dy_b W_b[:, chain j]   (only the
//                  blocks that read chain j: structural zeros are never touched)
//   weight grad    dW_b = dy_b^T x[:, :cum_b]   (stored blocks only; frozen blocks skipped)
// Every sum has a fixed order, so a run does not depend on the thread count.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "../rope.h"
#include "train_attention.h"
#include "train_gemm.h"
#include "train_internal.h"
#include "train_ops.h"

namespace colm {

using train::Linear;
using train::LayerActs;

namespace {

constexpr int64_t kRowPiece = 16;     // rows per task of per-row work
constexpr int32_t kHeadChunk = 256;   // positions per pass of the LM head and the loss
constexpr int64_t kNormChunk = 64;    // rows per partial sum of a norm weight's gradient

template <class F>
void parallel_rows(ThreadPool& pool, int64_t count, int64_t piece, F&& fn) {
  const int64_t tasks = (count + piece - 1) / piece;
  pool.run(int(tasks), [&](int i) {
    const int64_t b = int64_t(i) * piece;
    fn(b, std::min(count, b + piece));
  });
}

MatmulBlock view(const float* data, int32_t rows, int32_t cols, int64_t ld, int32_t out_offset) {
  MatmulBlock b;
  b.w.data = data;
  b.w.dtype = DType::F32;
  b.w.rows = rows;
  b.w.cols = cols;
  b.w.ld = ld;
  b.out_offset = out_offset;
  return b;
}

// Products gathered for one parallel region per distinct T (matmul_jobs shares T).
class Products {
 public:
  void add(std::vector<MatmulBlock> blocks, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T) {
    if (blocks.empty()) return;
    items_.push_back({std::move(blocks), x, ldx, y, ldy, T});
  }
  void run(ThreadPool& pool) {
    std::vector<bool> done(items_.size(), false);
    std::vector<MatmulJob> jobs;
    for (size_t i = 0; i < items_.size(); ++i) {
      if (done[i]) continue;
      jobs.clear();
      for (size_t j = i; j < items_.size(); ++j) {
        if (done[j] || items_[j].T != items_[i].T) continue;
        const Item& it = items_[j];
        jobs.push_back({it.blocks.data(), int32_t(it.blocks.size()), it.x, it.ldx, it.y, it.ldy});
        done[j] = true;
      }
      matmul_jobs(jobs.data(), int32_t(jobs.size()), items_[i].T, pool);
    }
    items_.clear();
  }

 private:
  struct Item {
    std::vector<MatmulBlock> blocks;
    const float* x;
    int64_t ldx;
    float* y;
    int64_t ldy;
    int32_t T;
  };
  std::vector<Item> items_;
};

// COLM_TRAIN_PROFILE=1: wall time per phase of every pass, printed to stderr (bench/ uses it).
class Profile {
 public:
  Profile() : on_(std::getenv("COLM_TRAIN_PROFILE") != nullptr), last_(std::chrono::steady_clock::now()) {}
  void mark(const char* phase) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    totals_[phase] += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }
  ~Profile() {
    if (!on_) return;
    double all = 0;
    for (const auto& kv : totals_) all += kv.second;
    std::string line = "train profile (ms):";
    for (const auto& kv : totals_) line += " " + kv.first + "=" + std::to_string(int(kv.second * 1000 + 0.5));
    std::fprintf(stderr, "%s total=%d\n", line.c_str(), int(all * 1000 + 0.5));
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point last_;
  std::map<std::string, double> totals_;
};

}  // namespace

// ---- buffers ----

void Trainer::Impl::ensure_batch(int32_t b, int32_t s) {
  if (b == batch && s == seq) return;
  batch = b;
  seq = s;
  N = b * s;
  const size_t Nn = size_t(N);
  acts.assign(size_t(L), LayerActs{});
  for (LayerActs& A : acts) {
    A.x_in.resize(Nn * D);
    A.rstd1.resize(Nn * n);
    A.a.resize(Nn * D);
    A.q.resize(Nn * qdim);
    A.k.resize(Nn * kvdim);
    A.v.resize(Nn * kvdim);
    A.lse.resize(size_t(b) * n_heads * s);
    A.att.resize(Nn * qdim);
    A.x_mid.resize(Nn * D);
    A.rstd2.resize(Nn * n);
    A.b.resize(Nn * D);
    A.g.resize(Nn * H);
    A.u.resize(Nn * H);
    A.act.resize(Nn * H);
  }
  x_final.resize(Nn * D);
  rstd_final.resize(Nn * n);
  y_final.resize(Nn * D);
  const int32_t half = hd / 2;
  cos_t.resize(size_t(s) * half);
  sin_t.resize(size_t(s) * half);
  for (int32_t t = 0; t < s; ++t) rope_angles(inv_freq, t, cos_t.data() + size_t(t) * half, sin_t.data() + size_t(t) * half);
  kT.resize(Nn * kvdim);
  vT.resize(Nn * kvdim);
  inputs.resize(Nn);
  targets.resize(Nn);
  // backward scratch
  dx.resize(Nn * D);
  dy_final.resize(Nn * D);
  d_norm.resize(Nn * D);
  d_att.resize(Nn * qdim);
  dq.resize(Nn * qdim);
  dk.resize(Nn * kvdim);
  dv.resize(Nn * kvdim);
  dk_part.resize(Nn * qdim);
  dv_part.resize(Nn * qdim);
  d_h1.resize(Nn * H);
  d_h2.resize(Nn * H);
  head_c.resize(size_t(std::min(N, kHeadChunk)) * size_t(head_ld()));
  norm_partials.resize(size_t((N + kNormChunk - 1) / kNormChunk) * D);
  row_loss.resize(Nn * n * 2);
}

void Trainer::Impl::load_tokens(const int32_t* tokens) {
  for (int32_t b = 0; b < batch; ++b)
    for (int32_t t = 0; t < seq; ++t) {
      inputs[size_t(b) * seq + t] = tokens[size_t(b) * (seq + 1) + t];
      targets[size_t(b) * seq + t] = tokens[size_t(b) * (seq + 1) + t + 1];
    }
}

// ---- the passes ----

std::vector<double> Trainer::Impl::run(bool backward, const std::atomic<bool>& cancel) {
  ThreadPool& P = *pool;
  const ModelConfig& c = config;
  const float eps = c.rms_norm_eps;
  const int32_t half = hd / 2;
  const int32_t T = seq;
  const int32_t group = layout.group;
  const float scale = 1.0f / std::sqrt(float(hd));
  const int32_t* cum = cum_d.data();
  const int32_t K = options.freeze_chains;
  auto kv_head_of = [&](int32_t j) { return c.kv_sharing ? j % n_kv : j / group; };
  auto check_cancel = [&] {
    if (cancel.load(std::memory_order_relaxed)) throw Cancelled();
  };
  auto fwd_blocks = [&](const Linear& lin) {
    std::vector<MatmulBlock> out;
    for (int32_t b = 0; b < lin.blocks(); ++b)
      out.push_back(view(W(lin.params[size_t(b)]), lin.rows(b), lin.cols(b), lin.cols(b), lin.out_cum[size_t(b)]));
    return out;
  };
  Products prods;
  Profile prof;

  // ---- forward ----
  {
    const float* E = W(embed);
    float* x0 = acts.empty() ? x_final.data() : acts[0].x_in.data();
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) std::copy(E + size_t(inputs[size_t(r)]) * D, E + size_t(inputs[size_t(r)] + 1) * D, x0 + r * D);
    });
  }
  for (int32_t l = 0; l < L; ++l) {
    check_cancel();
    LayerActs& A = acts[size_t(l)];
    const train::LayerParams& lp = layers[size_t(l)];
    float* x_out = l + 1 < L ? acts[size_t(l) + 1].x_in.data() : x_final.data();

    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        train::chain_norm_forward(A.x_in.data() + r * D, W(lp.input_norm), cum, n, eps, A.a.data() + r * D,
                                  A.rstd1.data() + r * n);
    });
    prof.mark("fwd.elementwise");
    prods.add(fwd_blocks(lp.q), A.a.data(), D, A.q.data(), qdim, N);
    prods.add(fwd_blocks(lp.k), A.a.data(), D, A.k.data(), kvdim, N);
    prods.add(fwd_blocks(lp.v), A.a.data(), D, A.v.data(), kvdim, N);
    prods.run(P);
    prof.mark("fwd.matmul");
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t t = r % T;
        train::rope_rows(A.q.data() + r * qdim, n_heads, hd, hd, cos_t.data() + t * half, sin_t.data() + t * half, false);
        train::rope_rows(A.k.data() + r * kvdim, n_kv, hd, hd, cos_t.data() + t * half, sin_t.data() + t * half, false);
      }
    });
    prof.mark("fwd.elementwise");
    // Keys of each (sequence, KV head) transposed: the score loop runs along positions.
    P.run(batch * n_kv, [&](int i) {
      const int32_t b = i / n_kv, g = i % n_kv;
      train::transpose(A.k.data() + size_t(b) * T * kvdim + size_t(g) * hd, T, hd, kvdim,
                       kT.data() + size_t(i) * hd * T, T);
    });
    P.run(batch * n_heads, [&](int i) {
      const int32_t b = i / n_heads, j = i % n_heads, g = kv_head_of(j);
      thread_local std::vector<float> scratch;
      train::AttentionHead h;
      h.T = T;
      h.hd = hd;
      h.scale = scale;
      h.q = A.q.data() + size_t(b) * T * qdim + size_t(j) * hd;
      h.ldq = qdim;
      h.k = A.k.data() + size_t(b) * T * kvdim + size_t(g) * hd;
      h.v = A.v.data() + size_t(b) * T * kvdim + size_t(g) * hd;
      h.ldkv = kvdim;
      h.kT = kT.data() + (size_t(b) * n_kv + g) * hd * T;
      train::attention_head_forward(h, A.att.data() + size_t(b) * T * qdim + size_t(j) * hd, qdim,
                                    A.lse.data() + size_t(i) * T, scratch);
    });
    prof.mark("fwd.attention");
    prods.add(fwd_blocks(lp.o), A.att.data(), qdim, A.x_mid.data(), D, N);
    prods.run(P);
    prof.mark("fwd.matmul");
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      train::vec_add(A.x_in.data() + r0 * D, A.x_mid.data() + r0 * D, (r1 - r0) * D);
      for (int64_t r = r0; r < r1; ++r)
        train::chain_norm_forward(A.x_mid.data() + r * D, W(lp.post_norm), cum, n, eps, A.b.data() + r * D,
                                  A.rstd2.data() + r * n);
    });
    prof.mark("fwd.elementwise");
    prods.add(fwd_blocks(lp.gate), A.b.data(), D, A.g.data(), H, N);
    prods.add(fwd_blocks(lp.up), A.b.data(), D, A.u.data(), H, N);
    prods.run(P);
    prof.mark("fwd.matmul");
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      train::swiglu_forward(A.g.data() + r0 * H, A.u.data() + r0 * H, A.act.data() + r0 * H, (r1 - r0) * H);
    });
    prof.mark("fwd.elementwise");
    prods.add(fwd_blocks(lp.down), A.act.data(), H, x_out, D, N);
    prods.run(P);
    prof.mark("fwd.matmul");
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      train::vec_add(A.x_mid.data() + r0 * D, x_out + r0 * D, (r1 - r0) * D);
    });
  }
  prof.mark("fwd.elementwise");
  check_cancel();
  parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r)
      train::chain_norm_forward(x_final.data() + r * D, W(final_norm), cum, n, eps, y_final.data() + r * D,
                                rstd_final.data() + r * n);
  });

  // ---- LM head and loss, a chunk of positions at a time ----
  if (backward) std::fill(g.begin(), g.end(), 0.0f);
  std::vector<train::GemmJob> gemms;
  prof.mark("fwd.elementwise");
  std::vector<float> weight(size_t(n), 0.0f);
  for (int32_t k = 0; k < n; ++k)
    weight[size_t(k)] = options.loss == TrainLoss::Multi ? 1.0f / (float(n) * float(N)) : (k == n - 1 ? 1.0f / float(N) : 0.0f);
  const float* Wh = W(lm_head);
  for (int32_t r0 = 0; r0 < N; r0 += kHeadChunk) {
    check_cancel();
    const int32_t Tc = std::min(kHeadChunk, N - r0);
    const int64_t ldc = head_ld();  // head_c: (Tc, n, V), chain j's contribution at column j*V
    for (int32_t j = 0; j < n; ++j)
      prods.add({view(Wh + cum[j], V, cum[j + 1] - cum[j], D, 0)}, y_final.data() + size_t(r0) * D + cum[j], D,
                head_c.data() + size_t(j) * V, ldc, Tc);
    prods.run(P);
    prof.mark("head.logits");
    parallel_rows(P, Tc, 4, [&](int64_t i0, int64_t i1) {
      thread_local std::vector<float> running;
      if (running.size() < size_t(V)) running.resize(size_t(V));
      for (int64_t i = i0; i < i1; ++i)
        train::multi_chain_loss_row(head_c.data() + size_t(i) * ldc, n, V, targets[size_t(r0 + i)], weight.data(),
                                    options.label_smoothing, row_loss.data() + size_t(r0 + i) * 2 * n, running.data());
    });
    prof.mark("head.loss");
    if (!backward) continue;
    // dy_final[:, chain j] = dC_j W_j and W_j's gradient += dC_j^T y_j, W_j = lm_head[:, chain j].
    for (int32_t j = 0; j < n; ++j) {
      const int32_t dj = cum[j + 1] - cum[j];
      const float* dC = head_c.data() + size_t(j) * V;
      gemms.push_back({{{dC, ldc, 1, Wh + cum[j], D, V}}, dy_final.data() + size_t(r0) * D + cum[j], D, Tc, dj, false});
      if (j >= K)
        gemms.push_back({{{dC, 1, ldc, y_final.data() + size_t(r0) * D + cum[j], D, Tc}}, G(lm_head) + cum[j], D, V, dj, true});
    }
    train::gemm_run(P, gemms);
    gemms.clear();
    prof.mark("head.backward");
  }
  prof.mark("head.other");
  // losses[k]: cross-entropy of sub-model k; losses[n + k]: its cross-entropy against the uniform
  // distribution (label smoothing's second term).
  std::vector<double> losses(size_t(2 * n), 0.0);
  for (int32_t r = 0; r < N; ++r)
    for (int32_t k = 0; k < 2 * n; ++k) losses[size_t(k)] += row_loss[size_t(r) * 2 * n + k];
  for (double& l : losses) l /= double(N);
  if (!backward) return losses;

  // ---- backward ----
  const int64_t norm_chunks = (N + kNormChunk - 1) / kNormChunk;
  // Chain RMSNorm backward: adds the input gradient into dxo and the weight's into G(w).
  auto norm_backward = [&](const float* x, const float* rstd, int32_t wp, const float* dy, float* dxo) {
    const float* wn = W(wp);
    P.run(int(norm_chunks), [&](int ci) {
      float* part = norm_partials.data() + size_t(ci) * D;
      std::fill(part, part + D, 0.0f);
      const int64_t r1 = std::min<int64_t>(N, (ci + 1) * kNormChunk);
      for (int64_t r = ci * kNormChunk; r < r1; ++r)
        train::chain_norm_backward(x + r * D, wn, cum, n, rstd + r * n, dy + r * D, dxo + r * D, part);
    });
    float* gw = G(wp);
    for (int64_t ci = 0; ci < norm_chunks; ++ci) train::vec_add(norm_partials.data() + size_t(ci) * D, gw, D);
  };
  // Input gradient of linears that read the same input: out = sum of dy_i W_i, one job per input
  // chain j, summing the blocks b >= j of every linear (a block reads input columns [0, cum_b)).
  struct Feed {
    const Linear* lin;
    const float* dy;
    int64_t ldy;
  };
  auto input_grad = [&](std::initializer_list<Feed> feeds, float* out, int64_t ldo) {
    const Linear& first = *feeds.begin()->lin;
    for (size_t j = 0; j + 1 < first.in_cum.size(); ++j) {
      train::GemmJob job{{}, out + first.in_cum[j], ldo, N, first.in_cum[j + 1] - first.in_cum[j], false};
      for (const Feed& f : feeds) {
        const Linear& lin = *f.lin;
        if (j + 1 >= lin.in_cum.size()) continue;  // Air K/V read chain 1 only
        for (int32_t b = int32_t(j); b < lin.blocks(); ++b)
          job.segs.push_back({f.dy + lin.out_cum[size_t(b)], f.ldy, 1, W(lin.params[size_t(b)]) + first.in_cum[j],
                              lin.cols(b), lin.rows(b)});
      }
      gemms.push_back(std::move(job));
    }
  };
  // Weight gradients of a linear's stored, unfrozen blocks: dW_b = dy_b^T x[:, :cols_b].
  auto weight_grad = [&](const Linear& lin, const float* x, int64_t ldx, const float* dy, int64_t ldy) {
    for (int32_t b = 0; b < lin.blocks(); ++b) {
      const int32_t p = lin.params[size_t(b)];
      if (block_frozen(p)) continue;
      gemms.push_back({{{dy + lin.out_cum[size_t(b)], 1, ldy, x, ldx, N}}, G(p), lin.cols(b), lin.rows(b), lin.cols(b), false});
    }
  };
  auto run_gemms = [&](const char* phase) {
    train::gemm_run(P, gemms);
    gemms.clear();
    prof.mark(phase);
  };

  std::fill(dx.begin(), dx.end(), 0.0f);
  norm_backward(x_final.data(), rstd_final.data(), final_norm, dy_final.data(), dx.data());
  prof.mark("bwd.elementwise");
  for (int32_t l = L - 1; l >= 0; --l) {
    check_cancel();
    LayerActs& A = acts[size_t(l)];
    const train::LayerParams& lp = layers[size_t(l)];
    // -- feed-forward: x_out = x_mid + down(silu(gate(b)) * up(b)); dx is d x_out --
    input_grad({{&lp.down, dx.data(), D}}, d_h1.data(), H);
    weight_grad(lp.down, A.act.data(), H, dx.data(), D);
    run_gemms("bwd.gemm");
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      train::swiglu_backward(A.g.data() + r0 * H, A.u.data() + r0 * H, d_h1.data() + r0 * H, d_h1.data() + r0 * H,
                             d_h2.data() + r0 * H, (r1 - r0) * H);
    });
    prof.mark("bwd.elementwise");
    input_grad({{&lp.gate, d_h1.data(), H}, {&lp.up, d_h2.data(), H}}, d_norm.data(), D);
    weight_grad(lp.gate, A.b.data(), D, d_h1.data(), H);
    weight_grad(lp.up, A.b.data(), D, d_h2.data(), H);
    run_gemms("bwd.gemm");
    norm_backward(A.x_mid.data(), A.rstd2.data(), lp.post_norm, d_norm.data(), dx.data());
    prof.mark("bwd.elementwise");

    // -- attention: x_mid = x_in + o(attention(q, k, v)); dx is d x_mid --
    input_grad({{&lp.o, dx.data(), D}}, d_att.data(), qdim);
    weight_grad(lp.o, A.att.data(), qdim, dx.data(), D);
    run_gemms("bwd.gemm");
    P.run(batch * n_kv, [&](int i) {
      const int32_t b = i / n_kv, gh = i % n_kv;
      train::transpose(A.k.data() + size_t(b) * T * kvdim + size_t(gh) * hd, T, hd, kvdim,
                       kT.data() + size_t(i) * hd * T, T);
      train::transpose(A.v.data() + size_t(b) * T * kvdim + size_t(gh) * hd, T, hd, kvdim,
                       vT.data() + size_t(i) * hd * T, T);
    });
    P.run(batch * n_heads, [&](int i) {
      const int32_t b = i / n_heads, j = i % n_heads, gh = kv_head_of(j);
      thread_local std::vector<float> scratch;
      const size_t qo = size_t(b) * T * qdim + size_t(j) * hd;
      train::AttentionHead h;
      h.T = T;
      h.hd = hd;
      h.scale = scale;
      h.q = A.q.data() + qo;
      h.ldq = qdim;
      h.k = A.k.data() + size_t(b) * T * kvdim + size_t(gh) * hd;
      h.v = A.v.data() + size_t(b) * T * kvdim + size_t(gh) * hd;
      h.ldkv = kvdim;
      h.kT = kT.data() + (size_t(b) * n_kv + gh) * hd * T;
      h.vT = vT.data() + (size_t(b) * n_kv + gh) * hd * T;
      train::attention_head_backward(h, A.att.data() + qo, qdim, d_att.data() + qo, qdim, A.lse.data() + size_t(i) * T,
                                     dq.data() + qo, qdim, dk_part.data() + size_t(i) * T * hd,
                                     dv_part.data() + size_t(i) * T * hd, scratch);
    });
    // Shares of the query heads that read one KV head, summed in head order.
    P.run(batch * n_kv, [&](int i) {
      const int32_t b = i / n_kv, gh = i % n_kv;
      for (int32_t t = 0; t < T; ++t) {
        float* dkr = dk.data() + (size_t(b) * T + t) * kvdim + size_t(gh) * hd;
        float* dvr = dv.data() + (size_t(b) * T + t) * kvdim + size_t(gh) * hd;
        std::fill(dkr, dkr + hd, 0.0f);
        std::fill(dvr, dvr + hd, 0.0f);
        for (int32_t j = 0; j < n_heads; ++j) {
          if (kv_head_of(j) != gh) continue;
          const size_t po = (size_t(b) * n_heads + j) * T * hd + size_t(t) * hd;
          train::vec_add(dk_part.data() + po, dkr, hd);
          train::vec_add(dv_part.data() + po, dvr, hd);
        }
      }
    });
    parallel_rows(P, N, kRowPiece, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const int64_t t = r % T;
        train::rope_rows(dq.data() + r * qdim, n_heads, hd, hd, cos_t.data() + t * half, sin_t.data() + t * half, true);
        train::rope_rows(dk.data() + r * kvdim, n_kv, hd, hd, cos_t.data() + t * half, sin_t.data() + t * half, true);
      }
    });
    prof.mark("bwd.attention");
    input_grad({{&lp.q, dq.data(), qdim}, {&lp.k, dk.data(), kvdim}, {&lp.v, dv.data(), kvdim}}, d_norm.data(), D);
    weight_grad(lp.q, A.a.data(), D, dq.data(), qdim);
    weight_grad(lp.k, A.a.data(), D, dk.data(), kvdim);
    weight_grad(lp.v, A.a.data(), D, dv.data(), kvdim);
    run_gemms("bwd.gemm");
    norm_backward(A.x_in.data(), A.rstd1.data(), lp.input_norm, d_norm.data(), dx.data());
    prof.mark("bwd.elementwise");
  }
  // Embedding rows gather the gradient of their positions, in position order.
  {
    float* Ge = G(embed);
    parallel_rows(P, D, 32, [&](int64_t c0, int64_t c1) {
      for (int32_t r = 0; r < N; ++r) {
        float* dst = Ge + size_t(inputs[size_t(r)]) * D;
        for (int64_t cc = c0; cc < c1; ++cc) dst[cc] += dx[size_t(r) * D + cc];
      }
    });
  }
  prof.mark("bwd.elementwise");
  return losses;
}

}  // namespace colm
