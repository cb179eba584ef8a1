// The forward pass of sub-model k over a run of positions, and the session bookkeeping
// (KV cache, per-position chain counts, prefill, chain switching) around it.
#include "colm/session.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "colm/kernels.h"
#include "attention.h"
#include "ops.h"
#include "rope.h"

namespace colm {

namespace {

// Positions evaluated in one forward call: bounds the scratch memory of a long prefill.
constexpr int32_t kMaxChunk = 256;

// fn(t) for every row t < T. A few rows (decode) run on this thread: no pool wake-up; more run
// over the pool in runs of kRowsPerTask, so the per-row work of a prefill (norms, RoPE, the
// cache stores, SwiGLU) does not leave the other threads idle. A row's result does not depend
// on which thread computed it.
template <class RowFn>
void for_rows(int32_t T, ThreadPool& pool, const RowFn& fn) {
  constexpr int32_t kRowsPerTask = 8;
  if (T < 2 * kRowsPerTask || pool.size() == 1) {
    for (int32_t t = 0; t < T; ++t) fn(t);
    return;
  }
  pool.run((T + kRowsPerTask - 1) / kRowsPerTask, [&](int task) {
    const int32_t t1 = std::min(T, (task + 1) * kRowsPerTask);
    for (int32_t t = task * kRowsPerTask; t < t1; ++t) fn(t);
  });
}

// The blocks of sub-model k: chains 1..k of a chain linear (a dense map has one block).
MatmulJob job(const ChainLinear& lin, int32_t k, const float* x, int64_t ldx, float* y, int64_t ldy) {
  return {lin.blocks.data(), std::min<int32_t>(k, int32_t(lin.blocks.size())), x, ldx, y, ldy};
}

// FORMAT.md 1.1 bias of sub-model k: the first cum_k outputs (those of blocks 0..k-1) of each of
// T rows. Added after the matmul rather than inside it: y = W x + b is the same sum in any order
// of the float adds that matter here (b is added once, to the finished dot product), so it is
// exact and identical for every kernel variant (scalar, AVX2, AVX-512, NEON, float or Q8_0).
void add_bias(const ChainLinear& lin, int32_t k, float* y, int64_t ldy, int32_t T) {
  if (lin.bias.empty()) return;
  const ChainBlock& last = lin.blocks[size_t(std::min<int32_t>(k, int32_t(lin.blocks.size())) - 1)];
  const int32_t width = last.out_offset + last.w.rows;
  for (int32_t t = 0; t < T; ++t) add_into(y + t * ldy, lin.bias.data(), width);
}

void apply(const ChainLinear& lin, int32_t k, const float* x, int64_t ldx, float* y, int64_t ldy,
           int32_t T, ThreadPool& pool) {
  MatmulJob j = job(lin, k, x, ldx, y, ldy);
  matmul_jobs(&j, 1, T, pool);
  add_bias(lin, k, y, ldy, T);
}

}  // namespace

// Activations of one chunk, all (T, width) row-major with the full width as stride.
struct Session::Scratch {
  std::vector<float> x;     // (T, D) residual stream
  std::vector<float> a;     // (T, D) normed input of a block
  std::vector<float> q;     // (T, h*head_dim)
  std::vector<float> att;   // (T, h*head_dim) attention output
  std::vector<float> tmp;   // (T, D) block output before the residual add
  std::vector<float> gate;  // (T, H)
  std::vector<float> up;    // (T, H)
  std::vector<float> cos_t, sin_t;  // (T, head_dim/2)
  std::vector<float> k_new, v_new;  // (T, kv dim): K/V of a chunk before a narrow cache (or a ring that wraps) stores them
};

Session::Session(std::shared_ptr<const Model> model, const SessionOptions& options)
    : model_(std::move(model)),
      context_size_(options.context_size),
      capture_hidden_(options.capture_hidden),
      pool_(std::make_unique<ThreadPool>(options.threads > 0 ? options.threads : default_thread_count())),
      scratch_(std::make_unique<Scratch>()) {
  const ModelConfig& c = model_->config;
  if (context_size_ <= 0 || context_size_ > (1 << 24))
    throw Error("context size must be between 1 and 16777216, got " + std::to_string(context_size_));
  // Sliding-window layers keep a ring of W + kMaxChunk rows when that is shorter than the
  // context: a forward call of T <= kMaxChunk positions from pos0 reads positions pos0-W+1 ..
  // pos0+T-1 (at most W + kMaxChunk - 1 rows) and overwrites only positions before pos0-W+1.
  const int64_t W = c.sliding_window;
  if (options.window_ring && W > 0 && W + kMaxChunk < int64_t(context_size_)) ring_ = int32_t(W) + kMaxChunk;
  ringed_.assign(size_t(c.num_layers), 0);
  layer_row0_.assign(size_t(c.num_layers), 0);
  has_full_layers_ = false;
  int64_t rows = 0;
  for (int32_t l = 0; l < c.num_layers; ++l) {
    ringed_[size_t(l)] = ring_ > 0 && c.sliding_layers[size_t(l)] ? 1 : 0;
    if (!ringed_[size_t(l)]) has_full_layers_ = true;
    layer_row0_[size_t(l)] = rows;
    rows += ringed_[size_t(l)] ? ring_ : context_size_;
  }
  const int32_t heads = model_->layout.kv_heads_total;
  try {
    k_cache_.allocate(options.kv_type, rows, heads, c.head_dim);
    v_cache_.allocate(options.kv_type, rows, heads, c.head_dim);
  } catch (const std::bad_alloc&) {
    const int64_t bytes = 2 * rows * heads * kv_head_bytes(options.kv_type, c.head_dim);
    throw Error("not enough memory for a KV cache of " + std::to_string(context_size_) + " positions (" +
                std::to_string(bytes >> 20) + " MiB in " + kv_type_name(options.kv_type) + ")");
  }
  if (capture_hidden_) hidden_.assign(size_t(c.num_layers + 1) * size_t(c.hidden_size), 0.0f);
}

Session::~Session() = default;

void Session::set_threads(int32_t threads) {
  pool_ = std::make_unique<ThreadPool>(threads > 0 ? threads : default_thread_count());
}

void Session::check_chains(int32_t k) const {
  if (k < 1 || k > model_->layout.n)
    throw Error("chain count " + std::to_string(k) + " is out of range: this model has " +
                std::to_string(model_->layout.n) + " chain(s)");
}

std::vector<float> Session::evaluate(const int32_t* tokens, int32_t count, int32_t k,
                                     LogitsWanted want) {
  check_chains(k);
  const ModelConfig& c = model_->config;
  if (count <= 0) throw Error("nothing to evaluate: the token list is empty");
  if (int64_t(position()) + count > context_size_)
    throw Error("context is full: " + std::to_string(position()) + " + " + std::to_string(count) +
                " tokens do not fit in a context of " + std::to_string(context_size_));
  for (int32_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocab_size)
      throw Error("token id " + std::to_string(tokens[i]) + " is outside the vocabulary [0, " +
                  std::to_string(c.vocab_size) + ")");
  cancel.store(false);
  ensure_kv_chains(k);

  const size_t V = size_t(c.vocab_size);
  std::vector<float> logits;
  if (want == LogitsWanted::All) logits.resize(size_t(count) * V);
  if (want == LogitsWanted::Last) logits.resize(V);
  for (int32_t done = 0; done < count;) {
    const int32_t n = std::min(kMaxChunk, count - done);
    const bool last_chunk = done + n == count;
    LogitsWanted chunk_want = want == LogitsWanted::All ? LogitsWanted::All
                              : (want == LogitsWanted::Last && last_chunk) ? LogitsWanted::Last
                                                                           : LogitsWanted::None;
    float* out = want == LogitsWanted::All ? logits.data() + size_t(done) * V : logits.data();
    forward(tokens + done, n, position(), k, chunk_want, out);
    tokens_.insert(tokens_.end(), tokens + done, tokens + done + n);
    done += n;
  }
  return logits;
}

std::vector<float> Session::prefill(const int32_t* tokens, int32_t count, int32_t k) {
  check_chains(k);
  if (model_->config.kv_sharing && k > 1 && count > 1) {
    // CoLM-Air: the cache depends on chain 1 only, so the prompt's cache costs a 1-chain pass;
    // only the position whose logits we want runs at k.
    evaluate(tokens, count - 1, 1, LogitsWanted::None);
    return evaluate(tokens + count - 1, 1, k, LogitsWanted::Last);
  }
  return evaluate(tokens, count, k, LogitsWanted::Last);
}

void Session::truncate(int32_t length) {
  if (length < 0) length = 0;
  if (length < position()) {
    tokens_.resize(size_t(length));
    kv_chains_.resize(size_t(length));
    // Ring rows of positions from `length` on are free again; the ring may now hold less than a
    // window before `length` (the next evaluation then recomputes what is missing).
    ring_from_ = std::min(ring_from_, length);
  }
}

void Session::ensure_kv_chains(int32_t k) {
  const ModelConfig& c = model_->config;
  const int32_t pos = position();
  // Air: the cache serves every k, and only positions that left a ring can be missing.
  if (c.kv_sharing && ring_ == 0) return;
  // The forward from position s reads, in full layers, every position before s; in ring layers
  // the W-1 before s. Each must hold chains 1..k.
  int32_t s = pos;
  if (has_full_layers_ && !c.kv_sharing) {
    for (int32_t p = 0; p < pos; ++p) {
      if (kv_chains_[size_t(p)] < k) {
        s = p;
        break;
      }
    }
  }
  if (ring_ > 0) {
    // The next evaluation (at pos) reads the window before pos; a recomputation from s reads the
    // window before s: step back to the first position a window lacks until one is whole.
    const int32_t W = c.sliding_window;
    for (;;) {
      int32_t missing = s;
      for (int32_t p = std::max(0, s - W + 1); p < s; ++p) {
        if (p < ring_from_ || kv_chains_[size_t(p)] < k) {
          missing = p;
          break;
        }
      }
      if (missing == s) break;
      s = missing;
    }
  }
  if (s == pos) return;
  // The hidden states of the past are not kept, so the missing K/V need a forward of sub-model k
  // (Air: chain 1, whose K/V serve every k) over the past from s. Heads of chains that were
  // already there are rewritten with the same values.
  const int32_t k_run = c.kv_sharing ? 1 : k;
  // From before the ring's first position (only s = 0 gets there: its window is empty), the
  // rewrite overwrites ring rows of later positions before their turn comes: the ring holds
  // nothing for sure until it is done, and a position's count is what this pass gives it.
  const bool from_below = s < ring_from_;
  if (from_below) ring_from_ = pos;
  for (int32_t p = s; p < pos;) {
    const int32_t n = std::min(kMaxChunk, pos - p);
    forward(tokens_.data() + p, n, p, k_run, LogitsWanted::None, nullptr);
    p += n;
  }
  if (from_below) ring_from_ = std::max(s, pos - ring_);
}

std::vector<float> Session::kv_cache(int32_t layer, bool values) const {
  const ModelConfig& c = model_->config;
  if (layer < 0 || layer >= c.num_layers) throw Error("layer " + std::to_string(layer) + " does not exist");
  // A ring layer holds positions [ring_from_, position()); with ring_from_ 0 they are rows 0..
  if (ringed_[size_t(layer)] && ring_from_ > 0)
    throw Error("layer " + std::to_string(layer) + " keeps only the last " + std::to_string(ring_) +
                " positions (sliding window " + std::to_string(c.sliding_window) + "): the K/V of positions 0.." +
                std::to_string(ring_from_ - 1) + " are no longer held");
  const size_t row = size_t(model_->layout.kv_heads_total) * size_t(c.head_dim);
  const KvCache& cache = values ? v_cache_ : k_cache_;
  std::vector<float> out(size_t(position()) * row);
  for (int32_t p = 0; p < position(); ++p) cache.widen(layer_row0_[size_t(layer)] + p, out.data() + size_t(p) * row);
  return out;
}

void Session::forward(const int32_t* tokens, int32_t T, int32_t pos0, int32_t k, LogitsWanted want,
                      float* logits_out) {
  const Model& m = *model_;
  const ModelConfig& c = m.config;
  const ChainLayout& l = m.layout;
  ThreadPool& pool = *pool_;
  Scratch& s = *scratch_;
  const int32_t D = c.hidden_size, H = c.intermediate_size, hd = c.head_dim;
  const int32_t qdim = c.num_heads * hd;
  const int32_t kvdim = l.kv_heads_total * hd;
  const int32_t dk = l.cum_hidden[size_t(k)];
  const int32_t n_q = l.cum_heads[size_t(k)];
  const int32_t n_kv = l.cum_kv_heads[size_t(k)];
  const int32_t half = hd / 2;

  s.x.resize(size_t(T) * D);
  s.a.resize(size_t(T) * D);
  s.tmp.resize(size_t(T) * D);
  s.q.resize(size_t(T) * qdim);
  s.att.resize(size_t(T) * qdim);
  s.gate.resize(size_t(T) * H);
  s.up.resize(size_t(T) * H);
  s.cos_t.resize(size_t(T) * half);
  s.sin_t.resize(size_t(T) * half);
  // New positions overwrite the ring rows of positions T + pos0 - ring_ and before, which no
  // window of this call reads (T <= kMaxChunk).
  if (ring_ > 0 && pos0 + T > position()) ring_from_ = std::max(ring_from_, pos0 + T - ring_);

  auto capture = [&](int32_t row) {
    if (!capture_hidden_) return;
    float* dst = hidden_.data() + size_t(row) * D;
    std::fill(dst, dst + D, 0.0f);
    std::copy(s.x.data() + size_t(T - 1) * D, s.x.data() + size_t(T - 1) * D + dk, dst);
    hidden_chains_ = k;
  };

  // Embedding prefix: sub-model k reads the first d_k columns of the token's row (widened, or
  // dequantized as q * scale when the embedding is Q8_0: its blocks start at column 0, so the
  // prefix keeps its scales).
  WeightView embed_prefix = m.embed;
  embed_prefix.cols = dk;
  for_rows(T, pool, [&](int32_t t) {
    widen_row(embed_prefix, tokens[t], s.x.data() + size_t(t) * D);
    rope_angles(m.rope_inv_freq, pos0 + t, s.cos_t.data() + size_t(t) * half,
                s.sin_t.data() + size_t(t) * half);
  });
  capture(0);

  for (int32_t layer = 0; layer < c.num_layers; ++layer) {
    if (cancel.load(std::memory_order_relaxed)) throw Cancelled();
    const LayerWeights& w = m.layers[size_t(layer)];
    const int32_t ring = ringed_[size_t(layer)] ? ring_ : 0;
    const int64_t layer_row0 = layer_row0_[size_t(layer)];
    // Rows of the new positions: pos0.. (ring: pos0 mod ring..). A float32 cache takes K/V straight
    // into those rows; a narrow cache, or a run that wraps the ring, has them computed in scratch
    // and stored (rounded) into their rows before attention reads them.
    const int64_t row0 = ring > 0 ? pos0 % ring : pos0;
    const bool wraps = ring > 0 && row0 + T > ring;
    float* f32_k = k_cache_.f32_rows();
    float* f32_v = v_cache_.f32_rows();
    const bool direct = f32_k != nullptr && !wraps;
    if (!direct) {
      s.k_new.resize(size_t(T) * kvdim);
      s.v_new.resize(size_t(T) * kvdim);
    }
    float* k_rows = direct ? f32_k + size_t(layer_row0 + row0) * kvdim : s.k_new.data();
    float* v_rows = direct ? f32_v + size_t(layer_row0 + row0) * kvdim : s.v_new.data();

    // ---- attention ----
    // The input norm of layer 0 here; of later layers, fused with the previous residual add.
    if (layer == 0)
      for_rows(T, pool, [&](int32_t t) {
        chain_rmsnorm(s.x.data() + size_t(t) * D, w.input_norm.data(), l.cum_hidden, k,
                      c.rms_norm_eps, s.a.data() + size_t(t) * D);
      });
    // K and V go straight into the cache rows of these positions. Air: one dense block that
    // reads chain 1's slice; plain: the KV heads of chains 1..k.
    const MatmulJob qkv[3] = {job(w.q, k, s.a.data(), D, s.q.data(), qdim),
                              job(w.k, k, s.a.data(), D, k_rows, kvdim),
                              job(w.v, k, s.a.data(), D, v_rows, kvdim)};
    matmul_jobs(qkv, 3, T, pool);
    add_bias(w.q, k, s.q.data(), qdim, T);
    add_bias(w.k, k, k_rows, kvdim, T);
    add_bias(w.v, k, v_rows, kvdim, T);
    for_rows(T, pool, [&](int32_t t) {
      float* q_row = s.q.data() + size_t(t) * qdim;
      float* k_row = k_rows + size_t(t) * kvdim;
      if (!w.q_norm.empty()) {
        // qwen3: each head normalised on its own, after the projection and before RoPE.
        head_rmsnorm(q_row, n_q, hd, hd, w.q_norm.data(), c.rms_norm_eps);
        head_rmsnorm(k_row, n_kv, hd, hd, w.k_norm.data(), c.rms_norm_eps);
      }
      const float* ct = s.cos_t.data() + size_t(t) * half;
      const float* st = s.sin_t.data() + size_t(t) * half;
      rope_apply(q_row, n_q, hd, hd, ct, st);
      rope_apply(k_row, n_kv, hd, hd, ct, st);
      if (!direct) {
        // Only the K/V heads of chains 1..k were computed: store those heads, leaving the rest
        // of each row (other chains, written by other passes) alone. A head is rounded on its
        // own (Q8_0 blocks never cross heads), so its bits do not depend on which pass wrote it.
        const int64_t r = layer_row0 + (ring > 0 ? (pos0 + t) % ring : pos0 + t);
        k_cache_.store(r, k_row, n_kv);
        v_cache_.store(r, v_rows + size_t(t) * kvdim, n_kv);
      }
    });
    AttentionArgs att;
    att.q = s.q.data();
    att.q_stride = qdim;
    att.k_cache = &k_cache_;
    att.v_cache = &v_cache_;
    att.row0 = layer_row0;
    att.out = s.att.data();
    att.T = T;
    att.pos0 = pos0;
    att.n_query_heads = n_q;
    att.head_dim = hd;
    // Air: query head j reads KV head j mod h_kv (tiled, unchanged when chains drop);
    // plain: the grouped map floor(j / (h / h_kv)).
    att.tiled_kv_map = c.kv_sharing;
    att.num_kv_heads = c.num_kv_heads;
    att.group = l.group;
    att.window = c.sliding_window > 0 && c.sliding_layers[size_t(layer)] ? c.sliding_window : 0;
    att.ring = ring;
    attention(att, pool);
    apply(w.o, k, s.att.data(), qdim, s.tmp.data(), D, T, pool);

    // ---- SwiGLU feed-forward ----
    for_rows(T, pool, [&](int32_t t) {
      add_rmsnorm(s.x.data() + size_t(t) * D, s.tmp.data() + size_t(t) * D, w.post_norm.data(), l.cum_hidden,
                  k, c.rms_norm_eps, s.a.data() + size_t(t) * D);
    });
    const MatmulJob gate_up[2] = {job(w.gate, k, s.a.data(), D, s.gate.data(), H),
                                  job(w.up, k, s.a.data(), D, s.up.data(), H)};
    matmul_jobs(gate_up, 2, T, pool);
    add_bias(w.gate, k, s.gate.data(), H, T);
    add_bias(w.up, k, s.up.data(), H, T);
    const int32_t hk = l.cum_ffn[size_t(k)];
    for_rows(T, pool, [&](int32_t t) { swiglu(s.gate.data() + size_t(t) * H, s.up.data() + size_t(t) * H, hk); });
    apply(w.down, k, s.gate.data(), H, s.tmp.data(), D, T, pool);
    if (layer + 1 < c.num_layers) {
      const LayerWeights& next = m.layers[size_t(layer) + 1];
      for_rows(T, pool, [&](int32_t t) {
        add_rmsnorm(s.x.data() + size_t(t) * D, s.tmp.data() + size_t(t) * D, next.input_norm.data(),
                    l.cum_hidden, k, c.rms_norm_eps, s.a.data() + size_t(t) * D);
      });
    } else {
      for (int32_t t = 0; t < T; ++t) add_into(s.x.data() + size_t(t) * D, s.tmp.data() + size_t(t) * D, dk);
    }
    capture(layer + 1);
  }

  // Positions now hold the K/V of (at least) chains 1..k.
  const int32_t have = c.kv_sharing ? l.n : k;
  if (kv_chains_.size() < size_t(pos0 + T)) kv_chains_.resize(size_t(pos0 + T), 0);
  // A past position keeps its count when rewritten in place; a new one, or one rewritten into a
  // ring row that held another position (ring_from_ says which), holds what this pass gave it.
  for (int32_t t = 0; t < T; ++t) {
    uint8_t& kc = kv_chains_[size_t(pos0 + t)];
    const bool kept = pos0 + t < position() && pos0 + t >= ring_from_;
    kc = uint8_t(std::max<int32_t>(kept ? kc : 0, have));
  }

  if (want == LogitsWanted::None) return;
  // LM head prefix: logits_k = chain_rmsnorm(x)[:d_k] . lm_head[:, :d_k]^T
  const int32_t first = want == LogitsWanted::Last ? T - 1 : 0;
  const int32_t rows = T - first;
  for (int32_t t = first; t < T; ++t)
    chain_rmsnorm(s.x.data() + size_t(t) * D, m.final_norm.data(), l.cum_hidden, k, c.rms_norm_eps,
                  s.a.data() + size_t(t - first) * D);
  WeightView head = m.lm_head;  // float, Q8_0 or 4-bit: the matmul kernels take each
  head.cols = dk;
  matmul(head, s.a.data(), D, logits_out, c.vocab_size, rows, pool);
}

}  // namespace colm
