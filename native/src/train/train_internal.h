// The trainer's inside: the parameter arena, chain linears as lists of stored blocks, the
// activations one batch keeps for the backward pass, and the passes over them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colm/kernels.h"
#include "colm/thread_pool.h"
#include "colm/train.h"

namespace colm {

namespace train {

// One named weight. Every weight is a row-major (rows, cols) matrix in the arenas (norm
// weights are one row). Columns [0, frozen_cols) of every row belong to frozen chains.
struct Param {
  std::string name;             // FORMAT.md name, as exported
  std::vector<int64_t> shape;   // as exported
  int32_t rows = 1, cols = 0;
  size_t offset = 0;            // into the weight, gradient and moment arenas
  bool decay = false;           // AdamW weight decay applies
  int32_t frozen_cols = 0;      // == cols: the whole tensor is frozen
  size_t size() const { return size_t(rows) * size_t(cols); }
};

// A chain linear D_x -> D_y as its stored blocks: block b holds output rows
// [out_cum[b], out_cum[b+1]) and reads input columns [0, in_cum[b+1]). CoLM-Air's dense K/V
// map is one block reading [0, D_1).
struct Linear {
  std::string base;               // e.g. model.layers.0.self_attn.q_proj
  int32_t in_dim = 0, out_dim = 0;
  std::vector<int32_t> in_cum, out_cum;  // n_blocks + 1 entries
  std::vector<int32_t> params;    // one per block

  int32_t blocks() const { return int32_t(params.size()); }
  int32_t rows(int32_t b) const { return out_cum[size_t(b) + 1] - out_cum[size_t(b)]; }
  int32_t cols(int32_t b) const { return in_cum[size_t(b) + 1]; }
  int32_t reads() const { return in_cum.back(); }  // input columns read at all
};

struct LayerParams {
  int32_t input_norm = -1, post_norm = -1;
  Linear q, k, v, o, gate, up, down;
};

// Activations of one layer over the batch, (N, width) row-major, N = batch * seq_len.
struct LayerActs {
  std::vector<float> x_in;    // (N, D) residual stream entering the layer
  std::vector<float> rstd1;   // (N, n)
  std::vector<float> a;       // (N, D) input_layernorm output
  std::vector<float> q;       // (N, h*hd) after RoPE
  std::vector<float> k;       // (N, kv*hd) after RoPE
  std::vector<float> v;       // (N, kv*hd)
  std::vector<float> lse;     // (batch, h, seq_len) log-sum-exp of the attention scores
  std::vector<float> att;     // (N, h*hd) attention output
  std::vector<float> x_mid;   // (N, D) residual stream after attention
  std::vector<float> rstd2;   // (N, n)
  std::vector<float> b;       // (N, D) post_attention_layernorm output
  std::vector<float> g;       // (N, H) gate before the activation
  std::vector<float> u;       // (N, H)
  std::vector<float> act;     // (N, H) silu(g) * u
};

}  // namespace train

struct Trainer::Impl {
  ModelConfig config;
  ChainLayout layout;
  TrainOptions options;
  std::unique_ptr<ThreadPool> pool;

  // sizes
  int32_t D = 0, H = 0, L = 0, V = 0, n = 0, hd = 0, n_heads = 0, n_kv = 0, qdim = 0, kvdim = 0;
  std::vector<int32_t> cum_d;  // chain boundaries of the hidden width (n + 1)

  // parameters
  std::vector<train::Param> params;
  std::vector<float> w, g, m, v;  // arenas
  int32_t embed = -1, final_norm = -1, lm_head = -1;  // lm_head == embed when tied
  std::vector<train::LayerParams> layers;
  std::vector<float> inv_freq;      // RoPE
  int64_t step = 0;

  // activations and scratch of the current batch shape
  int32_t batch = 0, seq = 0, N = 0;
  std::vector<train::LayerActs> acts;
  std::vector<float> x_final, rstd_final, y_final;  // (N, D), (N, n), (N, D)
  std::vector<float> cos_t, sin_t;                   // (seq, hd/2)
  std::vector<float> kT, vT;                         // (batch, n_kv, hd, seq)
  std::vector<int32_t> inputs, targets;              // (N)
  // backward scratch
  std::vector<float> dx;             // (N, D) gradient of the residual stream
  std::vector<float> dy_final;       // (N, D) gradient of the final norm's output
  std::vector<float> d_norm;         // (N, D) gradient of a norm's output inside a layer
  std::vector<float> d_att, dq;      // (N, h*hd)
  std::vector<float> dk, dv;         // (N, kv*hd)
  std::vector<float> dk_part, dv_part;  // (batch, h, seq, hd) each query head's share
  std::vector<float> d_h1, d_h2;     // (N, H) gradients of act/gate and of up
  std::vector<float> head_c;         // (chunk, n, V) chain contributions to the logits, then their gradients
  std::vector<float> norm_partials;  // (chunks, D) per-chunk norm weight gradients
  std::vector<double> row_loss;      // (N, 2n): cross-entropy per k, then against the uniform per k

  // passes (train_pass.cpp)
  void ensure_batch(int32_t batch, int32_t seq);
  void load_tokens(const int32_t* tokens);
  // Forward over the batch; with `backward`, also the whole backward pass into g. Returns the
  // mean cross-entropy of every logits_k.
  std::vector<double> run(bool backward, const std::atomic<bool>& cancel);

  // helpers
  float* W(int32_t p) { return w.data() + params[size_t(p)].offset; }
  float* G(int32_t p) { return g.data() + params[size_t(p)].offset; }
  // Row stride of head_c: n*V plus a cache line, so that rows a power of two apart in bytes do
  // not fall into the same cache sets when a product walks down a column.
  int64_t head_ld() const { return int64_t(n) * V + 16; }
  bool block_frozen(int32_t p) const { return params[size_t(p)].frozen_cols >= params[size_t(p)].cols; }
};

}  // namespace colm
