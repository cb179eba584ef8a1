// The Trainer: parameters in FORMAT.md's per-chain layout (one float32 arena each for weights,
// gradients and Adam's two moments), their initialisation from a seed or from named tensors,
// export, and the AdamW step with its schedule and clipping. The passes live in train_pass.cpp.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "../rope.h"
#include "train_internal.h"
#include "train_ops.h"

namespace colm {

using train::Linear;
using train::Param;

namespace {

// splitmix64: a small, seedable generator whose stream does not depend on anything else.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return double((next() >> 11) + 1) * (1.0 / 9007199254740993.0); }  // (0, 1)
  // Box-Muller, one value per pair of uniforms: simple, and the stream stays easy to reason about.
  // (The two draws are sequenced so every compiler makes the same weights from a seed.)
  double normal() {
    const double u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
};

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

// Elements in pieces of this size are the unit of parallel optimiser work and of the gradient
// norm's partial sums (a fixed split, so the sums do not depend on the thread count).
constexpr int64_t kUpdatePiece = 1 << 15;

struct Segment {
  size_t offset;
  int64_t length;
  bool decay;
};

void check_options(const TrainOptions& o, int32_t n) {
  auto bad = [](const std::string& what) { throw Error("trainer: " + what); };
  if (!(o.lr > 0) || !std::isfinite(o.lr)) bad("lr must be a positive number");
  if (!(o.min_lr >= 0) || o.min_lr > o.lr) bad("minLr must be between 0 and lr");
  if (o.warmup_steps < 0) bad("warmupSteps must be >= 0");
  if (o.total_steps < 1) bad("totalSteps must be >= 1");
  if (!(o.weight_decay >= 0) || !std::isfinite(o.weight_decay)) bad("weightDecay must be >= 0");
  if (!(o.beta1 >= 0 && o.beta1 < 1)) bad("beta1 must be in [0, 1)");
  if (!(o.beta2 >= 0 && o.beta2 < 1)) bad("beta2 must be in [0, 1)");
  if (!(o.eps > 0)) bad("eps must be positive");
  if (!(o.grad_clip >= 0) || !std::isfinite(o.grad_clip)) bad("gradClip must be >= 0 (0: off)");
  if (o.freeze_chains < 0 || o.freeze_chains >= n)
    bad("freezeChains must be between 0 and " + std::to_string(n - 1) + " (the model has " +
        std::to_string(n) + " chain(s); at least one must train)");
  if (o.threads < 0 || o.threads > 1024) bad("threads must be between 0 and 1024");
}

}  // namespace

// ---- construction: the parameter layout ----

static void build_layout(Trainer::Impl& t) {
  const ModelConfig& c = t.config;
  const ChainLayout& l = t.layout;
  const int32_t K = t.options.freeze_chains;
  const int32_t dK = l.cum_hidden[size_t(K)];
  size_t offset = 0;
  auto add = [&](const std::string& name, std::vector<int64_t> shape, int32_t rows, int32_t cols, bool decay,
                 int32_t frozen_cols) {
    Param p;
    p.name = name;
    p.shape = std::move(shape);
    p.rows = rows;
    p.cols = cols;
    p.offset = offset;
    p.decay = decay;
    p.frozen_cols = frozen_cols;
    offset += (p.size() + 15) / 16 * 16;  // 64-byte aligned starts
    t.params.push_back(std::move(p));
    return int32_t(t.params.size()) - 1;
  };
  auto scaled = [](const std::vector<int32_t>& cum, int32_t f) {
    std::vector<int32_t> out(cum);
    for (auto& v : out) v *= f;
    return out;
  };
  // A chain linear: block i is output chain i reading input chains 1..i. Frozen when i < K.
  auto linear = [&](Linear& lin, const std::string& base, const std::vector<int32_t>& in_cum,
                    const std::vector<int32_t>& out_cum) {
    lin.base = base;
    lin.in_cum = in_cum;
    lin.out_cum = out_cum;
    lin.in_dim = in_cum.back();
    lin.out_dim = out_cum.back();
    const int32_t blocks = int32_t(in_cum.size()) - 1;
    for (int32_t b = 0; b < blocks; ++b) {
      const int32_t rows = out_cum[size_t(b) + 1] - out_cum[size_t(b)], cols = in_cum[size_t(b) + 1];
      const std::string name = blocks == 1 ? base + ".weight" : base + ".chains." + std::to_string(b) + ".weight";
      lin.params.push_back(add(name, {rows, cols}, rows, cols, true, b < K ? cols : 0));
    }
  };
  const int32_t D = c.hidden_size, V = c.vocab_size;
  t.embed = add("model.embed_tokens.weight", {V, D}, V, D, false, dK);
  t.layers.resize(size_t(c.num_layers));
  const std::vector<int32_t> q_cum = scaled(l.cum_heads, c.head_dim);
  for (int32_t i = 0; i < c.num_layers; ++i) {
    train::LayerParams& lp = t.layers[size_t(i)];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    lp.input_norm = add(p + "input_layernorm.weight", {D}, 1, D, false, dK);
    linear(lp.q, p + "self_attn.q_proj", l.cum_hidden, q_cum);
    if (c.kv_sharing) {
      // Air: one dense block over chain 1's slice, owned by chain 1.
      const std::vector<int32_t> in{0, l.cum_hidden[1]}, out{0, t.kvdim};
      for (Linear* lin : {&lp.k, &lp.v}) {
        const std::string base = p + (lin == &lp.k ? "self_attn.k_proj" : "self_attn.v_proj");
        lin->base = base;
        lin->in_cum = in;
        lin->out_cum = out;
        lin->in_dim = in[1];
        lin->out_dim = out[1];
        lin->params.push_back(add(base + ".weight", {t.kvdim, in[1]}, t.kvdim, in[1], true, K >= 1 ? in[1] : 0));
      }
    } else {
      const std::vector<int32_t> kv_cum = scaled(l.cum_kv_heads, c.head_dim);
      linear(lp.k, p + "self_attn.k_proj", l.cum_hidden, kv_cum);
      linear(lp.v, p + "self_attn.v_proj", l.cum_hidden, kv_cum);
    }
    linear(lp.o, p + "self_attn.o_proj", q_cum, l.cum_hidden);
    lp.post_norm = add(p + "post_attention_layernorm.weight", {D}, 1, D, false, dK);
    linear(lp.gate, p + "mlp.gate_proj", l.cum_hidden, l.cum_ffn);
    linear(lp.up, p + "mlp.up_proj", l.cum_hidden, l.cum_ffn);
    linear(lp.down, p + "mlp.down_proj", l.cum_ffn, l.cum_hidden);
  }
  t.final_norm = add("model.norm.weight", {D}, 1, D, false, dK);
  t.lm_head = c.tie_word_embeddings ? t.embed : add("lm_head.weight", {V, D}, V, D, true, dK);
  t.w.assign(offset, 0.0f);
  t.g.assign(offset, 0.0f);
  t.m.assign(offset, 0.0f);
  t.v.assign(offset, 0.0f);
}

// Initial weights from a seed: norms 1; embeddings (and an untied head) N(0, 0.02^2); every
// block of a chain linear N(0, 1/fan_in) with fan_in its K-extent cum_i, so each output starts
// with unit variance whatever its chain; the projections back into the residual stream
// (o_proj, down_proj) are further scaled by 1/sqrt(2L) so the stream does not grow with depth.
static void init_random(Trainer::Impl& t) {
  Rng rng{t.options.seed * 0x2545f4914f6cdd1dull + 0x1234567ull};
  const float resid = 1.0f / std::sqrt(2.0f * float(t.L));
  auto fill = [&](int32_t p, float std_dev) {
    float* w = t.W(p);
    const size_t count = t.params[size_t(p)].size();
    for (size_t i = 0; i < count; ++i) w[i] = float(rng.normal() * std_dev);
  };
  auto fill_linear = [&](const Linear& lin, float extra) {
    for (int32_t b = 0; b < lin.blocks(); ++b) fill(lin.params[size_t(b)], extra / std::sqrt(float(lin.cols(b))));
  };
  auto ones = [&](int32_t p) { std::fill(t.W(p), t.W(p) + t.params[size_t(p)].size(), 1.0f); };
  fill(t.embed, 0.02f);
  for (auto& lp : t.layers) {
    ones(lp.input_norm);
    fill_linear(lp.q, 1.0f);
    fill_linear(lp.k, 1.0f);
    fill_linear(lp.v, 1.0f);
    fill_linear(lp.o, resid);
    ones(lp.post_norm);
    fill_linear(lp.gate, 1.0f);
    fill_linear(lp.up, 1.0f);
    fill_linear(lp.down, resid);
  }
  ones(t.final_norm);
  if (t.lm_head != t.embed) fill(t.lm_head, 0.02f);
}

// Initial weights from named tensors, per chain or whole (FORMAT.md), checked like a loader.
static void init_from_tensors(Trainer::Impl& t, const std::vector<NamedTensor>& init) {
  std::map<std::string, const NamedTensor*> by_name;
  for (const auto& nt : init) {
    if (!by_name.emplace(nt.name, &nt).second) throw Error("init: tensor " + nt.name + " is given twice");
    int64_t count = 1;
    for (int64_t d : nt.shape) count *= d;
    if (count != int64_t(nt.data.size()))
      throw Error("init: tensor " + nt.name + " has " + std::to_string(nt.data.size()) + " values but shape " +
                  shape_text(nt.shape));
    for (float x : nt.data)
      if (!std::isfinite(x)) throw Error("init: tensor " + nt.name + " holds a value that is not finite");
  }
  std::map<std::string, bool> used;
  auto take = [&](const std::string& name, const std::vector<int64_t>& shape) -> const NamedTensor* {
    auto it = by_name.find(name);
    if (it == by_name.end()) return nullptr;
    if (it->second->shape != shape)
      throw Error("init: tensor " + name + " has shape " + shape_text(it->second->shape) + ", expected " +
                  shape_text(shape));
    used[name] = true;
    return it->second;
  };
  auto plain = [&](int32_t p) {
    const Param& pr = t.params[size_t(p)];
    const NamedTensor* nt = take(pr.name, pr.shape);
    if (!nt) throw Error("init: missing tensor " + pr.name);
    std::copy(nt->data.begin(), nt->data.end(), t.W(p));
  };
  auto linear = [&](const Linear& lin) {
    const bool single = lin.blocks() == 1;
    const std::string whole = lin.base + ".weight";
    bool any_per = false;
    for (const auto& kv : by_name)
      if (kv.first.rfind(lin.base + ".chains.", 0) == 0) any_per = true;
    const bool has_whole = by_name.count(whole) > 0;
    if (single && !any_per) return plain(lin.params[0]);
    if (has_whole && any_per) throw Error("init: tensor " + lin.base + " is given both whole and per chain");
    if (any_per) {
      if (single) throw Error("init: tensor " + lin.base + " of a one-chain model is stored whole only");
      for (int32_t b = 0; b < lin.blocks(); ++b) plain(lin.params[size_t(b)]);
      return;
    }
    const NamedTensor* nt = take(whole, {lin.out_dim, lin.in_dim});
    if (!nt) throw Error("init: missing tensor " + whole + " (or its per-chain form " + lin.base + ".chains.{i}.weight)");
    for (int32_t b = 0; b < lin.blocks(); ++b) {
      const int32_t r0 = lin.out_cum[size_t(b)], rows = lin.rows(b), cols = lin.cols(b);
      float* dst = t.W(lin.params[size_t(b)]);
      for (int32_t r = 0; r < rows; ++r) {
        const float* src = nt->data.data() + size_t(r0 + r) * size_t(lin.in_dim);
        std::copy(src, src + cols, dst + size_t(r) * size_t(cols));
        for (int32_t c = cols; c < lin.in_dim; ++c)
          if (src[c] != 0.0f)
            throw Error("init: tensor " + whole + " has a nonzero entry outside the block lower-triangular mask (row " +
                        std::to_string(r0 + r) + ", column " + std::to_string(c) + ")");
      }
    }
  };
  plain(t.embed);
  for (auto& lp : t.layers) {
    plain(lp.input_norm);
    plain(lp.post_norm);
    for (const Linear* lin : {&lp.q, &lp.k, &lp.v, &lp.o, &lp.gate, &lp.up, &lp.down}) linear(*lin);
  }
  plain(t.final_norm);
  if (t.lm_head != t.embed) {
    plain(t.lm_head);
  } else if (by_name.count("lm_head.weight")) {
    used["lm_head.weight"] = true;  // a tied model ignores a stored head
  }
  for (const auto& kv : by_name)
    if (!used.count(kv.first)) throw Error("init: unknown tensor " + kv.first);
}

static void import_moments(Trainer::Impl& t, const OptimizerState& s) {
  if (s.step < 0) throw Error("optimizerState: step must be >= 0");
  auto import = [&](const std::vector<NamedTensor>& list, std::vector<float>& arena, const char* which) {
    std::map<std::string, const NamedTensor*> by_name;
    for (const auto& nt : list) by_name[nt.name] = &nt;
    if (by_name.size() != list.size()) throw Error(std::string("optimizerState.") + which + " names a tensor twice");
    size_t expected = 0;
    for (const Param& p : t.params) {
      ++expected;
      auto it = by_name.find(p.name);
      if (it == by_name.end()) throw Error(std::string("optimizerState.") + which + " lacks tensor " + p.name);
      if (it->second->shape != p.shape || it->second->data.size() != p.size())
        throw Error(std::string("optimizerState.") + which + ": tensor " + p.name + " has shape " +
                    shape_text(it->second->shape) + ", expected " + shape_text(p.shape));
      std::copy(it->second->data.begin(), it->second->data.end(), arena.data() + p.offset);
    }
    if (by_name.size() != expected)
      throw Error(std::string("optimizerState.") + which + " holds tensors this model does not have");
  };
  import(s.m, t.m, "m");
  import(s.v, t.v, "v");
  t.step = s.step;
}

Trainer::Trainer(const ModelConfig& config, const TrainOptions& options, const std::vector<NamedTensor>* init,
                 const OptimizerState* state)
    : impl_(std::make_unique<Impl>()) {
  Impl& t = *impl_;
  t.config = config;
  t.layout = ChainLayout::from_config(config);
  // The trainer implements FORMAT.md 1.0's forward only: training through a part it lacks would
  // learn a different model than the engine then runs.
  if (config.qkv_bias || config.o_bias || config.mlp_bias)
    throw Error("config: the trainer does not support biases (attention_bias, mlp_bias, qwen2)");
  if (config.qk_norm) throw Error("config: the trainer does not support qk-norm (qwen3)");
  if (config.sliding_window > 0) throw Error("config: the trainer does not support sliding_window");
  check_options(options, t.layout.n);
  t.options = options;
  const ModelConfig& c = t.config;
  t.D = c.hidden_size;
  t.H = c.intermediate_size;
  t.L = c.num_layers;
  t.V = c.vocab_size;
  t.n = t.layout.n;
  t.hd = c.head_dim;
  t.n_heads = c.num_heads;
  t.n_kv = c.num_kv_heads;
  t.qdim = c.num_heads * c.head_dim;
  t.kvdim = c.num_kv_heads * c.head_dim;
  t.cum_d = t.layout.cum_hidden;
  t.inv_freq = rope_inv_freq(c);
  t.pool = std::make_unique<ThreadPool>(options.threads > 0 ? options.threads : default_thread_count());
  build_layout(t);
  if (init) {
    init_from_tensors(t, *init);
  } else {
    init_random(t);
  }
  if (state) import_moments(t, *state);
}

Trainer::~Trainer() = default;

const ModelConfig& Trainer::config() const { return impl_->config; }
const TrainOptions& Trainer::options() const { return impl_->options; }
int64_t Trainer::steps_taken() const { return impl_->step; }
int32_t Trainer::threads() const { return impl_->pool->size(); }

int64_t Trainer::parameter_count() const {
  int64_t total = 0;
  for (const Param& p : impl_->params) total += int64_t(p.size());
  return total;
}

double Trainer::lr_at(int64_t s) const {
  const TrainOptions& o = impl_->options;
  if (o.warmup_steps > 0 && s < o.warmup_steps) return double(o.lr) * double(s + 1) / double(o.warmup_steps);
  if (s >= o.total_steps) return o.min_lr;
  const double span = double(std::max<int64_t>(1, o.total_steps - o.warmup_steps));
  const double progress = std::min(1.0, double(s - o.warmup_steps) / span);
  return double(o.min_lr) + (double(o.lr) - double(o.min_lr)) * 0.5 * (1.0 + std::cos(3.141592653589793 * progress));
}

// ---- export ----

std::vector<NamedTensor> Trainer::export_weights() const {
  const Impl& t = *impl_;
  std::vector<NamedTensor> out;
  out.reserve(t.params.size());
  for (const Param& p : t.params) {
    const float* src = t.w.data() + p.offset;
    out.push_back({p.name, p.shape, std::vector<float>(src, src + p.size())});
  }
  return out;
}

OptimizerState Trainer::export_optimizer_state() const {
  const Impl& t = *impl_;
  OptimizerState s;
  s.step = t.step;
  for (const Param& p : t.params) {
    s.m.push_back({p.name, p.shape, std::vector<float>(t.m.data() + p.offset, t.m.data() + p.offset + p.size())});
    s.v.push_back({p.name, p.shape, std::vector<float>(t.v.data() + p.offset, t.v.data() + p.offset + p.size())});
  }
  return s;
}

// ---- steps ----

namespace {

void check_batch(const Trainer::Impl& t, const int32_t* tokens, int32_t batch, int32_t seq) {
  if (batch < 1 || seq < 1) throw Error("batch and seqLen must be positive");
  if (int64_t(batch) * seq > (int64_t(1) << 24)) throw Error("batch * seqLen is too large (at most 16777216 tokens)");
  const int64_t count = int64_t(batch) * (seq + 1);
  for (int64_t i = 0; i < count; ++i)
    if (tokens[i] < 0 || tokens[i] >= t.V)
      throw Error("token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                  " is outside the vocabulary [0, " + std::to_string(t.V) + ")");
}

// The trainable runs of the arena: whole tensors, or the unfrozen columns of each row.
std::vector<Segment> trainable_segments(const Trainer::Impl& t) {
  std::vector<Segment> out;
  for (const Param& p : t.params) {
    if (p.frozen_cols >= p.cols) continue;
    if (p.frozen_cols == 0) {
      for (int64_t b = 0; b < int64_t(p.size()); b += kUpdatePiece)
        out.push_back({p.offset + size_t(b), std::min<int64_t>(kUpdatePiece, int64_t(p.size()) - b), p.decay});
      continue;
    }
    for (int32_t r = 0; r < p.rows; ++r)
      out.push_back({p.offset + size_t(r) * size_t(p.cols) + size_t(p.frozen_cols), p.cols - p.frozen_cols, p.decay});
  }
  return out;
}

// losses: run()'s 2n values. The objective mixes the cross-entropy with the uniform's by the
// label smoothing; the losses reported per chain are the plain cross-entropies.
StepResult summarise(const Trainer::Impl& t, const std::vector<double>& losses) {
  const size_t n = losses.size() / 2;
  const double e = double(t.options.label_smoothing);
  auto objective = [&](size_t k) { return (1.0 - e) * losses[k] + e * losses[n + k]; };
  StepResult r;
  r.loss_per_chain.assign(losses.begin(), losses.begin() + std::ptrdiff_t(n));
  if (t.options.loss == TrainLoss::Full) {
    r.loss = objective(n - 1);
  } else {
    double s = 0;
    for (size_t k = 0; k < n; ++k) s += objective(k);
    r.loss = s / double(n);
  }
  return r;
}

// Clears the cancel flag when a step ends, however it ends: a flag set while no step runs
// stops the next one at once (callers that queue work clear it first).
struct CancelReset {
  std::atomic<bool>& flag;
  ~CancelReset() { flag.store(false); }
};

// Zeroes the gradients of frozen weights so that nothing reports or applies them.
void clear_frozen(Trainer::Impl& t) {
  for (const Param& p : t.params) {
    if (p.frozen_cols == 0) continue;
    float* g = t.g.data() + p.offset;
    for (int32_t r = 0; r < p.rows; ++r)
      std::fill(g + size_t(r) * size_t(p.cols), g + size_t(r) * size_t(p.cols) + size_t(p.frozen_cols), 0.0f);
  }
}

}  // namespace

StepResult Trainer::step(const int32_t* tokens, int32_t batch, int32_t seq_len) {
  Impl& t = *impl_;
  check_batch(t, tokens, batch, seq_len);
  CancelReset reset{cancel};
  t.ensure_batch(batch, seq_len);
  t.load_tokens(tokens);
  StepResult r = summarise(t, t.run(true, cancel));
  clear_frozen(t);

  // Global gradient norm over the trainable elements: partial sums over a fixed split.
  const std::vector<Segment> segs = trainable_segments(t);
  std::vector<double> partial(segs.size(), 0.0);
  t.pool->run(int(segs.size()), [&](int i) {
    partial[size_t(i)] = train::sum_squares(t.g.data() + segs[size_t(i)].offset, segs[size_t(i)].length);
  });
  double sq = 0;
  for (double p : partial) sq += p;
  r.grad_norm = std::sqrt(sq);
  if (!std::isfinite(r.grad_norm) || !std::isfinite(r.loss))
    throw Error("the loss or the gradient is not finite (loss " + std::to_string(r.loss) + ", gradient norm " +
                std::to_string(r.grad_norm) + "); lower the learning rate");
  float clip = 1.0f;
  if (t.options.grad_clip > 0 && r.grad_norm > t.options.grad_clip)
    clip = float(double(t.options.grad_clip) / (r.grad_norm + 1e-6));

  r.lr = lr_at(t.step);
  t.step += 1;
  train::AdamStep a;
  a.lr = float(r.lr);
  a.beta1 = t.options.beta1;
  a.beta2 = t.options.beta2;
  a.eps = t.options.eps;
  a.weight_decay = t.options.weight_decay;
  a.grad_scale = clip;
  a.bias1 = float(1.0 - std::pow(double(t.options.beta1), double(t.step)));
  a.bias2 = float(1.0 - std::pow(double(t.options.beta2), double(t.step)));
  t.pool->run(int(segs.size()), [&](int i) {
    const Segment& s = segs[size_t(i)];
    train::adamw_update(t.w.data() + s.offset, t.g.data() + s.offset, t.m.data() + s.offset, t.v.data() + s.offset,
                        s.length, a, s.decay);
  });
  r.step = t.step;
  return r;
}

std::vector<double> Trainer::evaluate(const int32_t* tokens, int32_t batch, int32_t seq_len) {
  Impl& t = *impl_;
  check_batch(t, tokens, batch, seq_len);
  CancelReset reset{cancel};
  t.ensure_batch(batch, seq_len);
  t.load_tokens(tokens);
  std::vector<double> losses = t.run(false, cancel);
  losses.resize(losses.size() / 2);  // the cross-entropy of each sub-model
  return losses;
}

StepResult Trainer::compute_gradients(const int32_t* tokens, int32_t batch, int32_t seq_len,
                                      std::vector<NamedTensor>* gradients) {
  Impl& t = *impl_;
  check_batch(t, tokens, batch, seq_len);
  CancelReset reset{cancel};
  t.ensure_batch(batch, seq_len);
  t.load_tokens(tokens);
  StepResult r = summarise(t, t.run(true, cancel));
  clear_frozen(t);
  double sq = 0;
  for (const Segment& s : trainable_segments(t)) sq += train::sum_squares(t.g.data() + s.offset, s.length);
  r.grad_norm = std::sqrt(sq);
  r.lr = lr_at(t.step);
  r.step = t.step;
  if (gradients) {
    gradients->clear();
    for (const Param& p : t.params) {
      const float* src = t.g.data() + p.offset;
      gradients->push_back({p.name, p.shape, std::vector<float>(src, src + p.size())});
    }
  }
  return r;
}

}  // namespace colm
