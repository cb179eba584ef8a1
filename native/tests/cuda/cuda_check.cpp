// The GPU check (scripts/gpu-check.sh runs it): the CUDA backend against the CPU engine, side by
// side through the same InferenceSession interface, on the golden fixtures' models
// (test/fixtures/cuda/*.plan, written from the checkpoint reader) and on synthetic models this
// program builds in memory for every stored type (F32, F16, BF16, Q8_0), CoLM-Air and plain CoLM,
// GQA, biases, qk-norm and sliding windows. Then a benchmark table.
//
//   colm_cuda_check [--root DIR] [--no-bench] [--quick] [--dry-run]
//
// --dry-run: no GPU needed; builds every model and runs it on the CPU only (the check of this
// program itself, run by test/native/cuda-backend.test.ts).
//
// Exit status: 0 every check passed, 1 a check failed, 2 no usable GPU (the reason is printed).
// Nothing here has run on a GPU yet: the tolerances below are first guesses, to be set from the
// first run's numbers (the KV cache is BF16 on the GPU, float32 on the CPU).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "colm/backend.h"
#include "colm/model.h"
#include "colm/session.h"
#include "colm/tensor.h"

using namespace colm;

namespace {

int g_failures = 0;
int g_checks = 0;

// Logits agree when max|gpu - cpu| <= kTol * max(1, max|cpu|). BF16 K/V: ~3 significant digits.
constexpr double kTol = 2e-2;

void expect(bool ok, const std::string& what) {
  ++g_checks;
  if (!ok) {
    ++g_failures;
    std::printf("  FAIL %s\n", what.c_str());
  }
}

struct Diff {
  double max_abs = 0, scale = 0;
  bool ok() const { return max_abs <= kTol * std::max(1.0, scale) && std::isfinite(max_abs); }
};

Diff diff(const std::vector<float>& gpu, const std::vector<float>& cpu) {
  Diff d;
  if (gpu.size() != cpu.size()) {
    d.max_abs = INFINITY;
    return d;
  }
  for (size_t i = 0; i < cpu.size(); ++i) {
    const double e = std::fabs(double(gpu[i]) - double(cpu[i]));
    if (!(e <= d.max_abs)) d.max_abs = e;
    d.scale = std::max(d.scale, std::fabs(double(cpu[i])));
  }
  return d;
}

// ---- plan texts (app/checkpoint/plan-text.ts) ----

std::shared_ptr<Model> load_plan(const std::string& root, const std::string& path, std::vector<int32_t>& tokens) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read " + path);
  ModelSpec spec;
  ModelConfig& c = spec.config;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string kind;
    ls >> kind;
    if (kind == "config") {
      std::string key;
      ls >> key;
      auto i32 = [&] { int64_t v; ls >> v; return int32_t(v); };
      auto f32 = [&] { double v; ls >> v; return float(v); };
      if (key == "hidden_size") c.hidden_size = i32();
      else if (key == "intermediate_size") c.intermediate_size = i32();
      else if (key == "num_layers") c.num_layers = i32();
      else if (key == "vocab_size") c.vocab_size = i32();
      else if (key == "num_heads") c.num_heads = i32();
      else if (key == "num_kv_heads") c.num_kv_heads = i32();
      else if (key == "head_dim") c.head_dim = i32();
      else if (key == "chains") { int32_t v; while (ls >> v) c.chains.push_back(v); }
      else if (key == "kv_sharing") c.kv_sharing = i32() != 0;
      else if (key == "rms_norm_eps") c.rms_norm_eps = f32();
      else if (key == "rope_theta") c.rope_theta = f32();
      else if (key == "rope_scaling") {
        std::string type;
        ls >> type;
        if (type == "linear") { c.rope_scaling.linear = true; c.rope_scaling.factor = f32(); }
        else if (type == "llama3") {
          c.rope_scaling.llama3 = true;
          c.rope_scaling.factor = f32();
          c.rope_scaling.low_freq_factor = f32();
          c.rope_scaling.high_freq_factor = f32();
          c.rope_scaling.original_max_position_embeddings = f32();
        }
      }
      else if (key == "tie_word_embeddings") c.tie_word_embeddings = i32() != 0;
      else if (key == "qkv_bias") c.qkv_bias = i32() != 0;
      else if (key == "o_bias") c.o_bias = i32() != 0;
      else if (key == "mlp_bias") c.mlp_bias = i32() != 0;
      else if (key == "qk_norm") c.qk_norm = i32() != 0;
      else if (key == "q8_block_size") c.q8_block_size = i32();
      else if (key == "sliding_window") c.sliding_window = i32();
      else if (key == "sliding_layers") { int v; while (ls >> v) c.sliding_layers.push_back(uint8_t(v)); }
    } else if (kind == "file") {
      std::string f;
      ls >> f;
      spec.files.push_back(root + "/" + f);
    } else if (kind == "tensor") {
      TensorSpec t;
      std::string dtype;
      ls >> t.name >> t.file >> t.offset >> t.byte_length >> dtype;
      t.dtype = dtype == "F32" ? DType::F32 : dtype == "F16" ? DType::F16 : dtype == "BF16" ? DType::BF16 : DType::I8;
      int64_t d;
      while (ls >> d) t.shape.push_back(d);
      spec.tensors.push_back(t);
    } else if (kind == "tokens") {
      int32_t v;
      while (ls >> v) tokens.push_back(v);
    }
  }
  return model_load(spec, nullptr, nullptr);
}

// ---- synthetic models, in memory ----

struct Synth {
  std::string name;
  int32_t D = 128, H = 256, L = 2, V = 512, heads = 8, kv_heads = 2, hd = 16;
  std::vector<int32_t> chains = {1, 1};
  bool air = true, tied = false, bias = false, qk_norm = false;
  int32_t window = 0;
  DType dtype = DType::F32;
  bool q8 = false;
};

class SpecBuilder {
 public:
  SpecBuilder(ModelSpec& spec, uint32_t seed) : spec_(spec), rng_(seed) {}

  void floats(const std::string& name, std::vector<int64_t> shape, DType dt, float scale, float offset = 0.0f) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    auto buf = std::make_shared<std::vector<uint8_t>>(size_t(n) * dtype_size(dt));
    std::uniform_real_distribution<float> u(-scale, scale);
    for (int64_t i = 0; i < n; ++i) {
      const float v = offset + u(rng_);
      if (dt == DType::F32) std::memcpy(buf->data() + 4 * i, &v, 4);
      else if (dt == DType::F16) { const uint16_t h = f32_to_f16(v); std::memcpy(buf->data() + 2 * i, &h, 2); }
      else { uint32_t bits; std::memcpy(&bits, &v, 4); const uint16_t h = uint16_t((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16); std::memcpy(buf->data() + 2 * i, &h, 2); }
    }
    add(name, shape, dt, buf);
  }

  void q8(const std::string& base, int64_t rows, int64_t cols, float scale) {
    std::vector<float> row(static_cast<size_t>(cols));
    auto q = std::make_shared<std::vector<uint8_t>>(size_t(rows * cols));
    const int64_t nb = q8_blocks(cols);
    auto s = std::make_shared<std::vector<uint8_t>>(size_t(rows * nb * 2));
    std::uniform_real_distribution<float> u(-scale, scale);
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& v : row) v = u(rng_);
      quantize_row_q8_0(row.data(), cols, reinterpret_cast<int8_t*>(q->data() + r * cols), s->data() + r * nb * 2, DType::F16);
    }
    add(base + ".qweight", {rows, cols}, DType::I8, q);
    add(base + ".qscale", {rows, nb}, DType::F16, s);
  }

 private:
  void add(const std::string& name, std::vector<int64_t> shape, DType dt, std::shared_ptr<std::vector<uint8_t>> buf) {
    TensorSpec t;
    t.name = name;
    t.memory = buf;
    t.file = -1;
    t.byte_length = buf->size();
    t.dtype = dt;
    t.shape = std::move(shape);
    spec_.tensors.push_back(std::move(t));
  }
  ModelSpec& spec_;
  std::mt19937 rng_;
};

std::shared_ptr<Model> build_synthetic(const Synth& s, uint32_t seed) {
  ModelSpec spec;
  ModelConfig& c = spec.config;
  c.hidden_size = s.D;
  c.intermediate_size = s.H;
  c.num_layers = s.L;
  c.vocab_size = s.V;
  c.num_heads = s.heads;
  c.num_kv_heads = s.kv_heads;
  c.head_dim = s.hd;
  c.chains = s.chains;
  c.kv_sharing = s.air;
  c.rope_theta = 10000.0f;
  c.tie_word_embeddings = s.tied;
  c.qkv_bias = c.o_bias = c.mlp_bias = s.bias;
  c.qk_norm = s.qk_norm;
  c.q8_block_size = s.q8 ? 32 : 0;
  if (s.window > 0) {
    c.sliding_window = s.window;
    for (int32_t l = 0; l < s.L; ++l) c.sliding_layers.push_back(uint8_t(l % 2 == 0));
  }
  const ChainLayout l = ChainLayout::from_config(c);
  SpecBuilder b(spec, seed);
  const DType dt = s.dtype;
  b.floats("model.embed_tokens.weight", {s.V, s.D}, dt, 1.0f);
  if (!s.tied) b.floats("lm_head.weight", {s.V, s.D}, dt, 1.0f / std::sqrt(float(s.D)));
  b.floats("model.norm.weight", {s.D}, dt, 0.1f, 1.0f);
  auto scaled = [](const std::vector<int32_t>& cum, int32_t f) {
    std::vector<int32_t> o(cum);
    for (auto& v : o) v *= f;
    return o;
  };
  const auto q_cum = scaled(l.cum_heads, s.hd), kv_cum = scaled(l.cum_kv_heads, s.hd);
  auto linear = [&](const std::string& p, const std::vector<int32_t>& out, const std::vector<int32_t>& in) {
    const size_t n = out.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      const std::string base = n == 1 && s.q8 ? p : p + ".chains." + std::to_string(i);
      const float sc = 1.0f / std::sqrt(float(in[i + 1]));
      if (s.q8) b.q8(base, out[i + 1] - out[i], in[i + 1], sc);
      else b.floats(base + ".weight", {out[i + 1] - out[i], in[i + 1]}, dt, sc);
    }
    if (s.bias) b.floats(p + ".bias", {out[n]}, DType::F32, 0.1f);
  };
  for (int32_t li = 0; li < s.L; ++li) {
    const std::string p = "model.layers." + std::to_string(li) + ".";
    b.floats(p + "input_layernorm.weight", {s.D}, dt, 0.1f, 1.0f);
    b.floats(p + "post_attention_layernorm.weight", {s.D}, dt, 0.1f, 1.0f);
    linear(p + "self_attn.q_proj", q_cum, l.cum_hidden);
    if (s.air) {
      const float sc = 1.0f / std::sqrt(float(l.cum_hidden[1]));
      b.floats(p + "self_attn.k_proj.weight", {int64_t(s.kv_heads) * s.hd, l.cum_hidden[1]}, dt, sc);
      b.floats(p + "self_attn.v_proj.weight", {int64_t(s.kv_heads) * s.hd, l.cum_hidden[1]}, dt, sc);
      if (s.bias) {
        b.floats(p + "self_attn.k_proj.bias", {int64_t(s.kv_heads) * s.hd}, DType::F32, 0.1f);
        b.floats(p + "self_attn.v_proj.bias", {int64_t(s.kv_heads) * s.hd}, DType::F32, 0.1f);
      }
    } else {
      linear(p + "self_attn.k_proj", kv_cum, l.cum_hidden);
      linear(p + "self_attn.v_proj", kv_cum, l.cum_hidden);
    }
    if (s.qk_norm) {
      b.floats(p + "self_attn.q_norm.weight", {s.hd}, DType::F32, 0.1f, 1.0f);
      b.floats(p + "self_attn.k_norm.weight", {s.hd}, DType::F32, 0.1f, 1.0f);
    }
    linear(p + "self_attn.o_proj", l.cum_hidden, q_cum);
    linear(p + "mlp.gate_proj", l.cum_ffn, l.cum_hidden);
    linear(p + "mlp.up_proj", l.cum_ffn, l.cum_hidden);
    linear(p + "mlp.down_proj", l.cum_hidden, l.cum_ffn);
  }
  return model_load(spec, nullptr, nullptr);
}

std::vector<int32_t> random_tokens(int32_t n, int32_t V, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (auto& v : t) v = int32_t(rng() % uint32_t(V));
  return t;
}

// ---- GPU against CPU on one model ----

bool g_dry_run = false;

void compare_model(const std::string& name, const std::shared_ptr<Model>& model, const std::vector<int32_t>& tokens) {
  const int32_t n = model->layout.n, V = model->config.vocab_size;
  const int32_t P = int32_t(tokens.size());
  SessionOptions opts;
  opts.context_size = std::max(64, P + 8);
  if (g_dry_run) {
    auto cpu = make_cpu_session(model, opts);
    const auto logits = cpu->evaluate(tokens.data(), P, n, LogitsWanted::All);
    expect(logits.size() == size_t(P) * size_t(V) && std::all_of(logits.begin(), logits.end(), [](float x) { return std::isfinite(x); }),
           name + ": CPU logits");
    std::printf("  %-34s chains %d  (dry run: CPU only)\n", name.c_str(), n);
    return;
  }
  double worst = 0;
  auto note = [&](const Diff& d, const std::string& what) {
    worst = std::max(worst, d.max_abs);
    expect(d.ok(), name + ": " + what + ": max|dlogit| " + std::to_string(d.max_abs) + " (logit scale " + std::to_string(d.scale) + ")");
  };
  for (int32_t k = 1; k <= n; ++k) {
    // One position at a time (the decode path), every position's logits.
    auto cpu = make_cpu_session(model, opts);
    auto gpu = make_cuda_session(model, 0, opts);
    for (int32_t p = 0; p < P; ++p) {
      note(diff(gpu->evaluate(&tokens[size_t(p)], 1, k, LogitsWanted::Last), cpu->evaluate(&tokens[size_t(p)], 1, k, LogitsWanted::Last)),
           "decode k=" + std::to_string(k) + " position " + std::to_string(p));
    }
    // All positions in one call (the prefill path: GEMM and attention over T queries).
    auto cpu2 = make_cpu_session(model, opts);
    auto gpu2 = make_cuda_session(model, 0, opts);
    note(diff(gpu2->evaluate(tokens.data(), P, k, LogitsWanted::All), cpu2->evaluate(tokens.data(), P, k, LogitsWanted::All)),
         "batched k=" + std::to_string(k));
    // The generation prompt path (CoLM-Air: chain 1 over the prompt, the last position at k).
    auto cpu3 = make_cpu_session(model, opts);
    auto gpu3 = make_cuda_session(model, 0, opts);
    note(diff(gpu3->prefill(tokens.data(), P, k), cpu3->prefill(tokens.data(), P, k)), "prefill k=" + std::to_string(k));
  }
  // A chain-count schedule changing at every position (plain CoLM: growing recomputes K/V).
  {
    auto cpu = make_cpu_session(model, opts);
    auto gpu = make_cuda_session(model, 0, opts);
    for (int32_t p = 0; p < P; ++p) {
      const int32_t k = 1 + (p * 7 + 3) % n;
      note(diff(gpu->evaluate(&tokens[size_t(p)], 1, k, LogitsWanted::Last), cpu->evaluate(&tokens[size_t(p)], 1, k, LogitsWanted::Last)),
           "schedule position " + std::to_string(p) + " k=" + std::to_string(k));
    }
  }
  // Invariants on the GPU alone.
  if (model->config.kv_sharing && n > 1) {
    // CoLM-Air: the cache is chain 1's, the same for every k: bit-equal across k.
    auto a = make_cuda_session(model, 0, opts);
    auto b = make_cuda_session(model, 0, opts);
    a->evaluate(tokens.data(), P, 1, LogitsWanted::None);
    b->evaluate(tokens.data(), P, n, LogitsWanted::None);
    bool same = true;
    for (int32_t l = 0; l < model->config.num_layers; ++l)
      same = same && a->kv_cache(l, false) == b->kv_cache(l, false) && a->kv_cache(l, true) == b->kv_cache(l, true);
    expect(same, name + ": Air KV cache differs between k=1 and k=" + std::to_string(n));
    // A switch is free and exact: k=1 over the past then k=n equals k=n from the start.
    auto sw = make_cuda_session(model, 0, opts);
    auto fresh = make_cuda_session(model, 0, opts);
    sw->evaluate(tokens.data(), P - 1, 1, LogitsWanted::None);
    fresh->evaluate(tokens.data(), P - 1, n, LogitsWanted::None);
    const auto x = sw->evaluate(&tokens[size_t(P - 1)], 1, n, LogitsWanted::Last);
    const auto y = fresh->evaluate(&tokens[size_t(P - 1)], 1, n, LogitsWanted::Last);
    expect(x == y, name + ": Air switch 1 -> " + std::to_string(n) + " is not bit-equal to a fresh k=" + std::to_string(n));
  }
  if (!model->config.kv_sharing && n > 1) {
    // Plain CoLM: growing k recomputes the past; the result equals a fresh run at k (within tolerance).
    auto sw = make_cuda_session(model, 0, opts);
    auto fresh = make_cuda_session(model, 0, opts);
    sw->evaluate(tokens.data(), P - 1, 1, LogitsWanted::None);
    fresh->evaluate(tokens.data(), P - 1, n, LogitsWanted::None);
    note(diff(sw->evaluate(&tokens[size_t(P - 1)], 1, n, LogitsWanted::Last), fresh->evaluate(&tokens[size_t(P - 1)], 1, n, LogitsWanted::Last)),
         "plain switch 1 -> n equals fresh");
    const auto kc = sw->kv_chains();
    expect(std::all_of(kc.begin(), kc.end(), [&](uint8_t v) { return v >= n; }), name + ": plain switch left positions without n chains");
  }
  // Truncate and re-evaluate gives the same logits.
  {
    auto g = make_cuda_session(model, 0, opts);
    const auto first = g->evaluate(tokens.data(), P, n, LogitsWanted::Last);
    g->truncate(P - 1);
    const auto again = g->evaluate(&tokens[size_t(P - 1)], 1, n, LogitsWanted::Last);
    note(diff(again, first), "truncate then re-evaluate");
  }
  (void)V;
  std::printf("  %-34s chains %d  max|dlogit| %.3g\n", name.c_str(), n, worst);
}

// ---- benchmark ----

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

uint64_t weight_bytes_read(const Model& m, int32_t k) {
  auto bytes = [](const WeightView& w) {
    uint64_t b = uint64_t(w.rows) * uint64_t(w.cols) * dtype_size(w.dtype);
    if (w.dtype == DType::Q8_0) b += uint64_t(w.rows) * uint64_t(q8_blocks(w.cols)) * dtype_size(w.scale_dtype);
    return b;
  };
  uint64_t total = 0;
  for (const LayerWeights& l : m.layers)
    for (const ChainLinear* lin : {&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down})
      for (int32_t b = 0; b < std::min<int32_t>(k, int32_t(lin->blocks.size())); ++b) total += bytes(lin->blocks[size_t(b)].w);
  WeightView head = m.lm_head;
  head.cols = m.layout.cum_hidden[size_t(k)];
  return total + bytes(head);
}

// The benchmark model: a 4-chain CoLM-Air in BF16 of a 1B-class shape.
Synth bench_model(bool quick) {
  Synth s;
  s.name = "bench";
  s.D = 2048;
  s.H = 5632;
  s.L = quick ? 4 : 16;
  s.V = 32000;
  s.heads = 16;
  s.kv_heads = 4;
  s.hd = 128;
  s.chains = {1, 1, 1, 1};
  s.air = true;
  s.dtype = DType::BF16;
  return s;
}

void bench(bool quick) {
  const colm::CudaProbe probe = cuda_probe();
  std::printf("\nbenchmark on %s (%.1f GiB)\n", probe.devices[0].name.c_str(), double(probe.devices[0].total_bytes) / (1ull << 30));
  const Synth s = bench_model(quick);
  // Device-to-device copy of 1 GiB (bytes read + written), the roofline for the decode GB/s.
  const double copy_gbps = cuda_copy_bandwidth(0, 1ull << 30, quick ? 5 : 20);
  std::printf("  device-to-device copy: %.1f GB/s (read + write)\n", copy_gbps);
  auto model = build_synthetic(s, 7);
  SessionOptions opts;
  opts.context_size = 4096;
  const auto prompt = random_tokens(512, s.V, 11);
  std::printf("  %-28s %10s %10s %10s\n", "", "tok/s", "GB/s", "of copy");
  for (int32_t k = 1; k <= 4; ++k) {
    auto g = make_cuda_session(model, 0, opts);
    g->prefill(prompt.data(), 64, k);
    int32_t tok = 1;
    for (int i = 0; i < 8; ++i) g->evaluate(&tok, 1, k, LogitsWanted::Last);  // warm-up
    const int steps = quick ? 32 : 128;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) g->evaluate(&tok, 1, k, LogitsWanted::Last);
    const double dt = seconds_since(t0) / steps;
    const double gbps = double(weight_bytes_read(*model, k)) / dt / 1e9;
    std::printf("  decode k=%d (BF16, %d layers)   %10.1f %10.1f %9.0f%%\n", k, s.L, 1.0 / dt, gbps, copy_gbps > 0 ? 100.0 * gbps / copy_gbps : 0.0);
  }
  for (int32_t k : {1, 4}) {
    auto g = make_cuda_session(model, 0, opts);
    const auto t0 = std::chrono::steady_clock::now();
    g->evaluate(prompt.data(), int32_t(prompt.size()), k, LogitsWanted::Last);
    std::printf("  prefill 512 tokens k=%d        %10.1f\n", k, prompt.size() / seconds_since(t0));
  }
  {
    auto g = make_cuda_session(model, 0, opts);
    g->prefill(prompt.data(), 64, 1);
    int32_t tok = 1;
    for (int i = 0; i < 16; ++i) g->evaluate(&tok, 1, 1, LogitsWanted::Last);
    auto t0 = std::chrono::steady_clock::now();
    g->evaluate(&tok, 1, 4, LogitsWanted::Last);
    const double switch_ms = seconds_since(t0) * 1e3;
    t0 = std::chrono::steady_clock::now();
    g->evaluate(&tok, 1, 4, LogitsWanted::Last);
    std::printf("  next token after switch 1->4   %.2f ms (steady k=4: %.2f ms)\n", switch_ms, seconds_since(t0) * 1e3);
  }
  std::printf("  chain GEMM vs cuBLAS: not measured yet (the mma GEMM and the cuBLAS reference are next-session work)\n");
}

}  // namespace

int main(int argc, char** argv) {
  std::string root = ".";
  bool run_bench = true, quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--root" && i + 1 < argc) root = argv[++i];
    else if (a == "--no-bench") run_bench = false;
    else if (a == "--quick") quick = true;
    else if (a == "--dry-run") {
      g_dry_run = true;
      run_bench = false;
    }
    else {
      std::fprintf(stderr, "usage: colm_cuda_check [--root DIR] [--no-bench] [--quick] [--dry-run]\n");
      return 2;
    }
  }
  const CudaProbe probe = cuda_probe();
  std::printf("CUDA library: %s (%s)\n", probe.library_loaded ? probe.library_version.c_str() : "not loaded", probe.library_path.c_str());
  if (probe.devices.empty() && !g_dry_run) {
    std::printf("no usable GPU: %s\n", probe.reason.c_str());
    return 2;
  }
  for (const CudaDevice& d : probe.devices)
    std::printf("cuda:%d %s, compute %d.%d, %.1f of %.1f GiB free, driver %d, runtime %d\n", d.index, d.name.c_str(), d.cc_major,
                d.cc_minor, double(d.free_bytes) / (1ull << 30), double(d.total_bytes) / (1ull << 30), d.driver_version, d.runtime_version);

  std::printf("\ngolden fixtures (test/fixtures/cuda/*.plan), GPU against CPU:\n");
  const char* fixtures[] = {"air4_f32", "air_gqa_bf16", "llama_gqa", "llama_linear_rope", "mistral_window", "plain_unequal_bf16",
                            "qwen2_chained", "qwen3_air", "qwen3_head_dim", "tied_f16", "whole_sharded"};
  for (const char* f : fixtures) {
    try {
      std::vector<int32_t> tokens;
      auto model = load_plan(root, root + "/test/fixtures/cuda/" + f + ".plan", tokens);
      compare_model(f, model, tokens);
    } catch (const std::exception& e) {
      expect(false, std::string(f) + ": " + e.what());
    }
  }

  std::printf("\nsynthetic models, GPU against CPU:\n");
  std::vector<Synth> synth;
  for (DType dt : {DType::F32, DType::F16, DType::BF16}) {
    Synth s;
    s.dtype = dt;
    s.name = std::string("air {1,1} ") + dtype_name(dt);
    synth.push_back(s);
    s.air = false;
    s.chains = {1, 1};
    s.name = std::string("plain {1,1} GQA ") + dtype_name(dt);
    synth.push_back(s);
  }
  {
    Synth s;
    s.q8 = true;
    s.name = "air {1,1} Q8_0";
    synth.push_back(s);
    s.air = false;
    s.name = "plain {1,1} Q8_0";
    synth.push_back(s);
    s.q8 = false;
    s.air = true;
    s.D = 256;
    s.H = 512;
    s.heads = 8;
    s.kv_heads = 2;
    s.hd = 32;
    s.chains = {1, 1, 1, 1};
    s.bias = true;
    s.qk_norm = true;
    s.window = 12;
    s.dtype = DType::BF16;
    s.name = "air {1,1,1,1} bias qk-norm window BF16";
    synth.push_back(s);
    s.air = false;
    s.kv_heads = 4;
    s.chains = {1, 2, 1};
    s.heads = 8;
    s.D = 256;
    s.hd = 32;
    s.H = 512;
    s.name = "plain {1,2,1} bias qk-norm window BF16";
    synth.push_back(s);
    // Odd widths: rows whose length is not a multiple of the 16-byte vectors.
    Synth o;
    o.D = 120;
    o.H = 210;
    o.heads = 6;
    o.kv_heads = 2;
    o.hd = 20;
    o.chains = {1, 2};
    o.V = 333;
    o.dtype = DType::BF16;
    o.name = "air {1,2} odd widths BF16";
    synth.push_back(o);
  }
  uint32_t seed = 1;
  for (const Synth& s : synth) {
    try {
      auto model = build_synthetic(s, seed++);
      // 40 tokens: the batched path crosses the 8-token GEMV/GEMM switch and several attention splits.
      compare_model(s.name, model, random_tokens(40, s.V, seed));
    } catch (const std::exception& e) {
      expect(false, s.name + ": " + e.what());
    }
  }

  if (g_dry_run) {
    // The benchmark model's shape is valid (one layer and a small vocabulary: the CPU is slow).
    Synth s = bench_model(true);
    s.L = 1;
    s.V = 1000;
    try {
      compare_model("benchmark shape (1 layer)", build_synthetic(s, 7), random_tokens(4, s.V, 3));
    } catch (const std::exception& e) {
      expect(false, std::string("benchmark shape: ") + e.what());
    }
  }
  std::printf("\n%d checks, %d failed\n", g_checks, g_failures);
  if (run_bench) {
    try {
      bench(quick);
    } catch (const std::exception& e) {
      std::printf("benchmark stopped: %s\n", e.what());
      ++g_failures;
    }
  }
  return g_failures == 0 ? 0 : 1;
}
