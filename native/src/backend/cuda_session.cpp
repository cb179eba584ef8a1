// The CUDA backend behind InferenceSession: describes a loaded colm::Model to libcolm_cuda (host
// pointers into the mapped checkpoint, stored types), keeps one device copy of each model per
// device for all its sessions, and turns every status the library returns into colm::Error
// (colm::Cancelled for a cancel) with the library's message.
#include <algorithm>
#include <mutex>

#include "colm/backend.h"
#include "cuda_loader.h"

namespace colm {

namespace {

// ---- the model description: views and arrays that live as long as the description ----

struct ModelDesc {
  colm_cuda_model_desc desc{};
  std::vector<int32_t> cum_hidden, cum_heads, cum_kv_heads, cum_ffn;
  std::vector<colm_cuda_layer> layers;
  std::vector<std::vector<colm_cuda_weight>> blocks;  // one vector per linear
};

colm_cuda_weight weight_of(const WeightView& w, int32_t out_offset) {
  colm_cuda_weight d{};
  d.data = w.data;
  d.dtype = int32_t(w.dtype);
  d.rows = w.rows;
  d.cols = w.cols;
  d.ld = w.ld;
  d.scales = w.scales;
  d.scale_dtype = int32_t(w.scale_dtype);
  d.scales_ld = w.scales_ld;
  d.out_offset = out_offset;
  return d;
}

colm_cuda_linear linear_of(ModelDesc& md, const ChainLinear& lin) {
  std::vector<colm_cuda_weight> b;
  for (const ChainBlock& blk : lin.blocks) b.push_back(weight_of(blk.w, blk.out_offset));
  md.blocks.push_back(std::move(b));
  colm_cuda_linear l{};
  l.blocks = md.blocks.back().data();
  l.n_blocks = int32_t(md.blocks.back().size());
  l.bias = lin.bias.empty() ? nullptr : lin.bias.data();
  l.bias_len = int32_t(lin.bias.size());
  return l;
}

std::unique_ptr<ModelDesc> describe(const Model& m, int32_t max_chains) {
  auto md = std::make_unique<ModelDesc>();
  const ModelConfig& c = m.config;
  const ChainLayout& l = m.layout;
  md->cum_hidden = l.cum_hidden;
  md->cum_heads = l.cum_heads;
  md->cum_kv_heads = l.cum_kv_heads;
  md->cum_ffn = l.cum_ffn;
  md->blocks.reserve(size_t(c.num_layers) * 7);  // pointers into it must stay put
  colm_cuda_model_desc& d = md->desc;
  d.struct_size = sizeof(colm_cuda_model_desc);
  d.hidden_size = c.hidden_size;
  d.intermediate_size = c.intermediate_size;
  d.num_layers = c.num_layers;
  d.vocab_size = c.vocab_size;
  d.num_heads = c.num_heads;
  d.num_kv_heads = c.num_kv_heads;
  d.head_dim = c.head_dim;
  d.n_chains = l.n;
  d.cum_hidden = md->cum_hidden.data();
  d.cum_heads = md->cum_heads.data();
  d.cum_kv_heads = md->cum_kv_heads.data();
  d.cum_ffn = md->cum_ffn.data();
  d.kv_heads_total = l.kv_heads_total;
  d.group = l.group;
  d.kv_sharing = c.kv_sharing ? 1 : 0;
  d.rms_norm_eps = c.rms_norm_eps;
  d.rope_inv_freq = m.rope_inv_freq.data();
  d.embed = weight_of(m.embed, 0);
  d.lm_head = weight_of(m.lm_head, 0);
  d.final_norm = m.final_norm.data();
  d.max_chains = max_chains;
  for (int32_t i = 0; i < c.num_layers; ++i) {
    const LayerWeights& w = m.layers[size_t(i)];
    colm_cuda_layer ly{};
    ly.input_norm = w.input_norm.data();
    ly.post_norm = w.post_norm.data();
    ly.q = linear_of(*md, w.q);
    ly.k = linear_of(*md, w.k);
    ly.v = linear_of(*md, w.v);
    ly.o = linear_of(*md, w.o);
    ly.gate = linear_of(*md, w.gate);
    ly.up = linear_of(*md, w.up);
    ly.down = linear_of(*md, w.down);
    ly.q_norm = w.q_norm.empty() ? nullptr : w.q_norm.data();
    ly.k_norm = w.k_norm.empty() ? nullptr : w.k_norm.data();
    ly.sliding_window = c.sliding_window > 0 && c.sliding_layers[size_t(i)] ? c.sliding_window : 0;
    md->layers.push_back(ly);
  }
  d.layers = md->layers.data();
  return md;
}

const colm_cuda_api& require_api() {
  const CudaLibrary& lib = cuda_library();
  if (!lib.api) throw Error(lib.reason);
  return *lib.api;
}

void check_status(const colm_cuda_api& api, int status) {
  if (status == COLM_CUDA_OK) return;
  if (status == COLM_CUDA_CANCELLED) throw Cancelled();
  const std::string msg = api.last_error();
  throw Error("CUDA: " + (msg.empty() ? "error " + std::to_string(status) : msg));
}

// ---- one device copy per (model, device), shared by its sessions ----

struct DeviceModel {
  const colm_cuda_api* api = nullptr;
  colm_cuda_model* handle = nullptr;
  ~DeviceModel() {
    if (handle) api->model_free(handle);
  }
};

struct CacheEntry {
  std::weak_ptr<const Model> model;
  const Model* key;
  int32_t device;
  std::shared_ptr<DeviceModel> dev;
};

std::mutex g_cache_mutex;
std::vector<CacheEntry> g_cache;

std::shared_ptr<DeviceModel> device_model(const std::shared_ptr<const Model>& model, int32_t device) {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  g_cache.erase(std::remove_if(g_cache.begin(), g_cache.end(), [](const CacheEntry& e) { return e.model.expired(); }),
                g_cache.end());
  for (const CacheEntry& e : g_cache)
    if (e.key == model.get() && e.device == device) return e.dev;
  const colm_cuda_api& api = require_api();
  auto md = describe(*model, 0);
  auto dev = std::make_shared<DeviceModel>();
  dev->api = &api;
  check_status(api, api.model_create(device, &md->desc, &dev->handle));
  g_cache.push_back({model, model.get(), device, dev});
  return dev;
}

class CudaSession final : public InferenceSession {
 public:
  CudaSession(std::shared_ptr<const Model> model, int32_t device, const SessionOptions& options)
      : model_(std::move(model)), device_(device), context_(options.context_size), api_(require_api()) {
    if (context_ <= 0 || context_ > (1 << 24))
      throw Error("context size must be between 1 and 16777216, got " + std::to_string(context_));
    const ModelConfig& c = model_->config;
    kv_bytes_ = int64_t(c.num_layers) * context_ * model_->layout.kv_heads_total * c.head_dim * 2 * 2;
  }
  ~CudaSession() override {
    if (session_) api_.session_free(session_);
  }

  std::string device() const override { return "cuda:" + std::to_string(device_); }
  const Model& model() const override { return *model_; }
  int32_t position() const override { return int32_t(tokens_.size()); }
  int32_t context_size() const override { return context_; }
  const std::vector<int32_t>& tokens() const override { return tokens_; }

  std::vector<float> evaluate(const int32_t* tokens, int32_t count, int32_t k, LogitsWanted want) override {
    return run(tokens, count, k, false, want);
  }
  std::vector<float> prefill(const int32_t* tokens, int32_t count, int32_t k) override {
    return run(tokens, count, k, true, LogitsWanted::Last);
  }
  void truncate(int32_t length) override {
    if (session_) check_status(api_, api_.session_truncate(session_, length));
    if (length < 0) length = 0;
    if (size_t(length) < tokens_.size()) tokens_.resize(size_t(length));
  }
  std::vector<float> kv_cache(int32_t layer, bool values) const override {
    const ModelConfig& c = model_->config;
    if (layer < 0 || layer >= c.num_layers) throw Error("layer " + std::to_string(layer) + " does not exist");
    std::vector<float> out(size_t(position()) * size_t(model_->layout.kv_heads_total) * size_t(c.head_dim));
    if (session_ && !out.empty()) check_status(api_, api_.session_kv_cache(session_, layer, values ? 1 : 0, out.data()));
    return out;
  }
  int64_t kv_cache_bytes() const override { return kv_bytes_; }
  KvType kv_type() const override { return KvType::BF16; }  // the GPU cache is BF16 whatever was asked
  std::vector<uint8_t> kv_chains() const override {
    std::vector<uint8_t> out(tokens_.size());
    if (session_ && !out.empty()) check_status(api_, api_.session_kv_chains(session_, out.data()));
    return out;
  }
  const std::vector<float>& last_hidden() const override { return no_hidden_; }
  int32_t last_hidden_chains() const override { return 0; }
  void set_threads(int32_t) override {}
  int32_t threads() const override { return 1; }
  void request_cancel() override { cancel_ = 1; }

 private:
  // The weights (shared) and this session's cache, on first use: off the JS thread in the addon.
  void ready() {
    if (session_) return;
    if (!dev_) dev_ = device_model(model_, device_);
    check_status(api_, api_.session_create(dev_->handle, context_, &session_));
  }

  std::vector<float> run(const int32_t* tokens, int32_t count, int32_t k, bool prefill, LogitsWanted want) {
    cancel_ = 0;
    ready();
    const size_t V = size_t(model_->config.vocab_size);
    std::vector<float> logits(want == LogitsWanted::All ? size_t(count) * V : want == LogitsWanted::Last ? V : 0);
    const int32_t w = want == LogitsWanted::All ? COLM_CUDA_LOGITS_ALL : want == LogitsWanted::Last ? COLM_CUDA_LOGITS_LAST
                                                                                                       : COLM_CUDA_LOGITS_NONE;
    const int status =
        api_.session_evaluate(session_, tokens, count, k, prefill ? 1 : 0, w, logits.empty() ? nullptr : logits.data(), &cancel_);
    // The library appends what it evaluated, even when a later chunk failed: mirror its position.
    const int32_t pos = api_.session_position(session_);
    const size_t before = tokens_.size();
    if (size_t(pos) > before) tokens_.insert(tokens_.end(), tokens, tokens + (size_t(pos) - before));
    check_status(api_, status);
    return logits;
  }

  std::shared_ptr<const Model> model_;
  int32_t device_;
  int32_t context_;
  const colm_cuda_api& api_;
  std::shared_ptr<DeviceModel> dev_;
  colm_cuda_session* session_ = nullptr;
  std::vector<int32_t> tokens_;
  int64_t kv_bytes_ = 0;
  volatile int32_t cancel_ = 0;
  std::vector<float> no_hidden_;
};

}  // namespace

CudaProbe cuda_probe(const std::string& library_path) {
  CudaProbe p;
  CudaLibrary at;
  const CudaLibrary& lib = library_path.empty() ? cuda_library() : (at = cuda_library_at(library_path));
  p.library_path = lib.path;
  if (!lib.api) {
    p.reason = lib.reason;
    p.status = -1;
    return p;
  }
  const colm_cuda_api& api = *lib.api;
  p.library_loaded = true;
  p.library_version = api.library_version();
  api.driver_version(&p.driver_version);
  int32_t n = 0;
  p.status = api.device_count(&n);
  if (p.status != COLM_CUDA_OK) {
    p.reason = api.last_error();
    return p;
  }
  for (int32_t i = 0; i < n; ++i) {
    colm_cuda_device_info info{};
    if (api.device_info(i, &info) != COLM_CUDA_OK) {
      p.reason = api.last_error();
      continue;
    }
    CudaDevice d;
    d.index = info.index;
    d.name = info.name;
    d.cc_major = info.cc_major;
    d.cc_minor = info.cc_minor;
    d.total_bytes = info.total_bytes;
    d.free_bytes = info.free_bytes;
    d.multiprocessors = info.multiprocessors;
    d.driver_version = info.driver_version;
    d.runtime_version = info.runtime_version;
    p.devices.push_back(d);
  }
  if (!p.devices.empty()) p.reason.clear();
  return p;
}

CudaMemoryPlan cuda_plan_memory(const Model& model, int32_t context_size, int32_t max_chains) {
  const colm_cuda_api& api = require_api();
  auto md = describe(model, max_chains);
  colm_cuda_memory_plan plan{};
  check_status(api, api.plan_memory(&md->desc, context_size, &plan));
  return {plan.weight_bytes, plan.kv_bytes, plan.workspace_bytes};
}

std::unique_ptr<InferenceSession> make_cuda_session(std::shared_ptr<const Model> model, int32_t device,
                                                    const SessionOptions& options) {
  const CudaLibrary& lib = cuda_library();
  if (!lib.api) throw Error("cuda:" + std::to_string(device) + " is not available: " + lib.reason);
  int32_t n = 0;
  if (lib.api->device_count(&n) != COLM_CUDA_OK)
    throw Error("cuda:" + std::to_string(device) + " is not available: " + lib.api->last_error());
  if (device < 0 || device >= n)
    throw Error("there is no CUDA device " + std::to_string(device) + " (this machine has " + std::to_string(n) + ")");
  return std::make_unique<CudaSession>(std::move(model), device, options);
}

double cuda_copy_bandwidth(int32_t device, uint64_t bytes, int32_t iterations) {
  const colm_cuda_api& api = require_api();
  double gbps = 0;
  check_status(api, api.bench_copy_bandwidth(device, bytes, iterations, &gbps));
  return gbps;
}

void cuda_release_model(const Model* model) {
  std::lock_guard<std::mutex> lock(g_cache_mutex);
  g_cache.erase(std::remove_if(g_cache.begin(), g_cache.end(),
                               [&](const CacheEntry& e) { return e.key == model || e.model.expired(); }),
                g_cache.end());
}

}  // namespace colm
