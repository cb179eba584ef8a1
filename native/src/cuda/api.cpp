// The C ABI (colm_cuda_api.h): devices, the model upload, sessions and the forward pass that
// strings the kernels together. Mirrors native/src/session.cpp step by step; every CUDA error
// becomes a status and a message for the calling thread, nothing throws across the ABI.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <cuda_runtime.h>

#include "kernels.h"

namespace colm_cuda {
int driver_version();
void require_driver();
}  // namespace colm_cuda

using namespace colm_cuda;

// ---------------------------------------------------------------------------------------------
// Device model and session
// ---------------------------------------------------------------------------------------------

namespace {

constexpr int32_t kChunk = 256;     // positions per forward call (as the CPU engine's kMaxChunk)
constexpr int32_t kLogitRows = 32;  // LM-head rows computed and copied back at a time
constexpr int64_t kAlign = 256;

thread_local std::string g_error;

struct DevLinear {
  std::vector<DevWeight> blocks;
  const float* bias = nullptr;
};

struct DevLayer {
  const float* input_norm = nullptr;
  const float* post_norm = nullptr;
  const float* q_norm = nullptr;
  const float* k_norm = nullptr;
  DevLinear q, k, v, o, gate, up, down;
  int32_t window = 0;
};

size_t elem_size(int32_t dt) { return dt == COLM_CUDA_F32 ? 4 : (dt == COLM_CUDA_F16 || dt == COLM_CUDA_BF16) ? 2 : 1; }
int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }
int64_t q8_blocks(int64_t cols) { return (cols + 31) / 32; }

}  // namespace

struct colm_cuda_model {
  int32_t device = 0;
  int32_t D = 0, H = 0, L = 0, V = 0, heads = 0, kv_heads = 0, hd = 0, n = 0, max_chains = 0;
  int32_t kv_total = 0, group = 1, kv_sharing = 0;
  float eps = 1e-5f;
  std::vector<int32_t> cum_hidden, cum_heads, cum_kv_heads, cum_ffn;
  uint8_t* pool = nullptr;
  uint64_t bytes = 0;
  DevWeight embed{}, lm_head{};
  const float* final_norm = nullptr;
  const float* inv_freq = nullptr;
  std::vector<DevLayer> layers;
  ~colm_cuda_model() {
    if (pool) {
      cudaSetDevice(device);
      cudaFree(pool);
    }
  }
};

struct colm_cuda_session {
  colm_cuda_model* model = nullptr;
  int32_t ctx = 0;
  cudaStream_t stream = nullptr;
  uint8_t* pool = nullptr;
  uint64_t bytes = 0, kv_bytes = 0;
  uint16_t *k_cache = nullptr, *v_cache = nullptr;  // BF16 bits, (L, ctx, kv_total * hd)
  float *x, *a, *q, *att, *tmp, *gate, *up, *k_new, *v_new, *cos_t, *sin_t, *logits, *ws;
  int32_t* tok = nullptr;
  int64_t ws_floats = 0;
  std::vector<int32_t> tokens;
  std::vector<uint8_t> kv_chains;
  std::vector<float> host_logits;
  bool lost = false;
  ~colm_cuda_session() {
    cudaSetDevice(model->device);
    if (stream) cudaStreamDestroy(stream);
    if (pool) cudaFree(pool);
  }
};

namespace {

// ---- the weight walk shared by the memory plan and the upload ----

class Arena {
 public:
  explicit Arena(uint8_t* base) : base_(base) {}
  uint64_t used() const { return uint64_t(used_); }
  // Reserves bytes; returns the device address (nullptr in plan mode).
  uint8_t* take(int64_t bytes) {
    const int64_t at = used_;
    used_ = round_up(used_ + bytes, kAlign);
    return base_ ? base_ + at : nullptr;
  }
  bool planning() const { return base_ == nullptr; }

 private:
  uint8_t* base_;
  int64_t used_ = 0;
};

// Rows of `w` compacted to `cols` columns (a prefix), rows padded to 16 elements so every row
// starts 16-byte aligned for the vector loads. Copied in slabs of rows to bound host memory.
DevWeight place_weight(Arena& arena, const colm_cuda_weight& w, int32_t cols) {
  DevWeight d{};
  d.dtype = w.dtype;
  d.scale_dtype = w.scale_dtype;
  d.rows = w.rows;
  d.cols = cols;
  d.ld = round_up(cols, 16);
  d.out_offset = w.out_offset;
  const size_t es = elem_size(w.dtype);
  const int64_t row_bytes = d.ld * int64_t(es);
  uint8_t* data = arena.take(int64_t(w.rows) * row_bytes);
  uint8_t* scales = nullptr;
  size_t ses = 0;
  if (w.dtype == COLM_CUDA_Q8_0) {
    d.scales_ld = q8_blocks(cols);
    ses = w.scale_dtype == COLM_CUDA_F32 ? 4 : 2;
    scales = arena.take(int64_t(w.rows) * d.scales_ld * int64_t(ses));
  }
  d.data = data;
  d.scales = scales;
  if (arena.planning()) return d;
  const int64_t slab = std::max<int64_t>(1, (64 << 20) / std::max<int64_t>(row_bytes, 1));
  std::vector<uint8_t> staging;
  const uint8_t* src = static_cast<const uint8_t*>(w.data);
  for (int64_t r0 = 0; r0 < w.rows; r0 += slab) {
    const int64_t nr = std::min<int64_t>(slab, w.rows - r0);
    staging.assign(size_t(nr * row_bytes), 0);
    for (int64_t r = 0; r < nr; ++r)
      std::memcpy(staging.data() + r * row_bytes, src + (r0 + r) * w.ld * int64_t(es), size_t(cols) * es);
    check(cudaMemcpy(data + r0 * row_bytes, staging.data(), staging.size(), cudaMemcpyHostToDevice), "copying weights to the GPU");
  }
  if (scales) {
    const int64_t srow = d.scales_ld * int64_t(ses);
    staging.assign(size_t(w.rows * srow), 0);
    const uint8_t* ssrc = static_cast<const uint8_t*>(w.scales);
    for (int64_t r = 0; r < w.rows; ++r) std::memcpy(staging.data() + r * srow, ssrc + r * w.scales_ld * int64_t(ses), size_t(srow));
    check(cudaMemcpy(scales, staging.data(), staging.size(), cudaMemcpyHostToDevice), "copying weight scales to the GPU");
  }
  return d;
}

const float* place_floats(Arena& arena, const float* src, int64_t n) {
  if (!src) return nullptr;
  uint8_t* p = arena.take(n * 4);
  if (!arena.planning()) check(cudaMemcpy(p, src, size_t(n) * 4, cudaMemcpyHostToDevice), "copying norms and biases to the GPU");
  return reinterpret_cast<const float*>(p);
}

DevLinear place_linear(Arena& arena, const colm_cuda_linear& lin, int32_t max_chains) {
  DevLinear d;
  const int32_t nb = std::min(lin.n_blocks, max_chains);
  for (int32_t b = 0; b < nb; ++b) d.blocks.push_back(place_weight(arena, lin.blocks[b], lin.blocks[b].cols));
  d.bias = place_floats(arena, lin.bias, lin.bias_len);
  return d;
}

void check_weight(const colm_cuda_weight& w, const char* what) {
  if (!w.data || w.rows <= 0 || w.cols <= 0 || w.ld < w.cols)
    fail(COLM_CUDA_INVALID_ARGUMENT, std::string(what) + ": an empty or malformed weight view");
  if (w.dtype != COLM_CUDA_F32 && w.dtype != COLM_CUDA_F16 && w.dtype != COLM_CUDA_BF16 && w.dtype != COLM_CUDA_Q8_0)
    fail(COLM_CUDA_UNSUPPORTED, std::string(what) + ": stored type " + std::to_string(w.dtype) + " is not supported");
  if (w.dtype == COLM_CUDA_Q8_0 && (!w.scales || (w.scale_dtype != COLM_CUDA_F32 && w.scale_dtype != COLM_CUDA_F16)))
    fail(COLM_CUDA_INVALID_ARGUMENT, std::string(what) + ": a Q8_0 weight needs F16 or F32 scales");
}

void check_desc(const colm_cuda_model_desc* d) {
  if (!d || d->struct_size != sizeof(colm_cuda_model_desc))
    fail(COLM_CUDA_INVALID_ARGUMENT, "model description: struct_size does not match this library (rebuild the addon and the CUDA library together)");
  if (d->n_chains < 1 || d->n_chains > COLM_CUDA_MAX_CHAINS)
    fail(COLM_CUDA_UNSUPPORTED, "the CUDA backend runs models of 1 to " + std::to_string(COLM_CUDA_MAX_CHAINS) + " chains; this one has " +
                                    std::to_string(d->n_chains));
  if (d->head_dim > 256 || d->head_dim % 2 != 0)
    fail(COLM_CUDA_UNSUPPORTED, "the CUDA backend needs an even head_dim of at most 256, got " + std::to_string(d->head_dim));
  if (d->max_chains < 0 || d->max_chains > d->n_chains)
    fail(COLM_CUDA_INVALID_ARGUMENT, "max_chains must be 0 (all) or 1.." + std::to_string(d->n_chains));
  check_weight(d->embed, "embedding");
  check_weight(d->lm_head, "lm_head");
  for (int32_t l = 0; l < d->num_layers; ++l) {
    const colm_cuda_layer& ly = d->layers[l];
    for (const colm_cuda_linear* lin : {&ly.q, &ly.k, &ly.v, &ly.o, &ly.gate, &ly.up, &ly.down})
      for (int32_t b = 0; b < lin->n_blocks; ++b) check_weight(lin->blocks[b], ("layer " + std::to_string(l)).c_str());
  }
}

// Walks every tensor in a fixed order; with a null base it only counts bytes.
void place_model(Arena& arena, const colm_cuda_model_desc* d, colm_cuda_model* m) {
  const int32_t mc = d->max_chains > 0 ? d->max_chains : d->n_chains;
  const int32_t dk_max = d->cum_hidden[mc];
  m->embed = place_weight(arena, d->embed, dk_max);
  const bool tied = d->lm_head.data == d->embed.data && d->lm_head.dtype == d->embed.dtype && d->lm_head.ld == d->embed.ld &&
                    d->lm_head.scales == d->embed.scales;
  m->lm_head = tied ? m->embed : place_weight(arena, d->lm_head, dk_max);
  m->final_norm = place_floats(arena, d->final_norm, d->hidden_size);
  m->inv_freq = place_floats(arena, d->rope_inv_freq, d->head_dim / 2);
  m->layers.clear();
  for (int32_t l = 0; l < d->num_layers; ++l) {
    const colm_cuda_layer& s = d->layers[l];
    DevLayer ly;
    ly.input_norm = place_floats(arena, s.input_norm, d->hidden_size);
    ly.post_norm = place_floats(arena, s.post_norm, d->hidden_size);
    ly.q_norm = place_floats(arena, s.q_norm, d->head_dim);
    ly.k_norm = place_floats(arena, s.k_norm, d->head_dim);
    ly.q = place_linear(arena, s.q, mc);
    ly.k = place_linear(arena, s.k, mc);
    ly.v = place_linear(arena, s.v, mc);
    ly.o = place_linear(arena, s.o, mc);
    ly.gate = place_linear(arena, s.gate, mc);
    ly.up = place_linear(arena, s.up, mc);
    ly.down = place_linear(arena, s.down, mc);
    ly.window = s.sliding_window;
    m->layers.push_back(std::move(ly));
  }
}

// ---- session memory: one allocation, carved in this order ----

struct SessionSizes {
  int64_t kv_elems;  // per K and per V
  int64_t ws_floats;
  int64_t total;
};

SessionSizes session_sizes(int32_t L, int32_t D, int32_t H, int32_t V, int32_t heads, int32_t kv_total, int32_t hd, int32_t ctx) {
  SessionSizes s{};
  const int64_t qdim = int64_t(heads) * hd, kvdim = int64_t(kv_total) * hd;
  s.kv_elems = int64_t(L) * ctx * kvdim;
  // Attention partials: a chunk of queries with one split each, or one query split every 64 keys.
  s.ws_floats = std::max<int64_t>(int64_t(kChunk) * heads * (hd + 2), int64_t(heads) * (hd + 2) * ceil_div(ctx, 64));
  const int64_t floats[] = {kChunk * int64_t(D), kChunk * int64_t(D), kChunk * qdim, kChunk * qdim, kChunk * int64_t(D),
                            kChunk * int64_t(H), kChunk * int64_t(H), kChunk * kvdim, kChunk * kvdim, kChunk * int64_t(hd / 2),
                            kChunk * int64_t(hd / 2), kLogitRows * int64_t(V), s.ws_floats};
  int64_t t = 2 * round_up(s.kv_elems * 2, kAlign);
  for (int64_t f : floats) t += round_up(f * 4, kAlign);
  t += round_up(kChunk * 4, kAlign);
  s.total = t;
  return s;
}

int finish(int status, const std::string& message) {
  g_error = message;
  return status;
}

template <typename F>
int guarded(F&& f) {
  try {
    f();
    g_error.clear();
    return COLM_CUDA_OK;
  } catch (const Failure& e) {
    return finish(e.status, e.message);
  } catch (const std::bad_alloc&) {
    return finish(COLM_CUDA_OUT_OF_MEMORY, "out of host memory");
  } catch (const std::exception& e) {
    return finish(COLM_CUDA_ERROR, e.what());
  }
}

std::string gib(uint64_t b) {
  char buf[32];
  snprintf(buf, sizeof buf, "%.2f GiB", double(b) / double(1ull << 30));
  return buf;
}

uint8_t* device_alloc(uint64_t bytes, const char* what) {
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it
    size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    fail(COLM_CUDA_OUT_OF_MEMORY, std::string("out of GPU memory: ") + what + " needs " + gib(bytes) + ", " + gib(free_b) +
                                      " of " + gib(total_b) + " free");
  }
  check(e, what);
  return static_cast<uint8_t*>(p);
}

LinearArgs linear_args(const DevLinear& lin, int32_t k) {
  LinearArgs a{};
  a.n = std::min<int32_t>(k, int32_t(lin.blocks.size()));
  for (int32_t b = 0; b < a.n; ++b) a.b[b] = lin.blocks[size_t(b)];
  a.bias = lin.bias;
  a.total_rows = a.b[a.n - 1].out_offset + a.b[a.n - 1].rows;
  return a;
}

// ---- the forward of sub-model k over T positions from pos0 (session.cpp Session::forward) ----

void forward(colm_cuda_session& s, const int32_t* tokens, int32_t T, int32_t pos0, int32_t k, int32_t want,
             float* logits_out) {
  colm_cuda_model& m = *s.model;
  cudaStream_t st = s.stream;
  const int32_t D = m.D, H = m.H, hd = m.hd;
  const int64_t qdim = int64_t(m.heads) * hd, kvdim = int64_t(m.kv_total) * hd;
  const int32_t dk = m.cum_hidden[size_t(k)];
  const int32_t n_q = m.cum_heads[size_t(k)], n_kv = m.cum_kv_heads[size_t(k)];
  ChainCum cum{};
  for (int32_t i = 0; i <= k; ++i) cum.v[i] = m.cum_hidden[size_t(i)];

  check(cudaMemcpyAsync(s.tok, tokens, size_t(T) * 4, cudaMemcpyHostToDevice, st), "copying tokens to the GPU");
  launch_embed(m.embed, s.tok, T, dk, s.x, D, st);
  launch_rope_tables(m.inv_freq, hd / 2, pos0, T, s.cos_t, s.sin_t, st);

  for (int32_t layer = 0; layer < m.L; ++layer) {
    const DevLayer& w = m.layers[size_t(layer)];
    // The residual add of the previous layer's FFN is fused into this layer's input norm.
    launch_add_rmsnorm(s.x, layer == 0 ? nullptr : s.tmp, w.input_norm, cum, k, m.eps, s.a, T, D, st);
    launch_linear(linear_args(w.q, k), s.a, D, s.q, qdim, T, st);
    launch_linear(linear_args(w.k, k), s.a, D, s.k_new, kvdim, T, st);
    launch_linear(linear_args(w.v, k), s.a, D, s.v_new, kvdim, T, st);
    RopeKvArgs r{};
    r.q = s.q;
    r.q_stride = qdim;
    r.k_new = s.k_new;
    r.v_new = s.v_new;
    r.kv_new_stride = kvdim;
    r.k_cache = s.k_cache + int64_t(layer) * s.ctx * kvdim;
    r.v_cache = s.v_cache + int64_t(layer) * s.ctx * kvdim;
    r.kv_stride = kvdim;
    r.cos_t = s.cos_t;
    r.sin_t = s.sin_t;
    r.q_norm = w.q_norm;
    r.k_norm = w.k_norm;
    r.eps = m.eps;
    r.T = T;
    r.pos0 = pos0;
    r.n_q = n_q;
    r.n_kv = n_kv;
    r.head_dim = hd;
    launch_rope_kv(r, st);
    AttentionArgs at{};
    at.q = s.q;
    at.q_stride = qdim;
    at.k_cache = r.k_cache;
    at.v_cache = r.v_cache;
    at.kv_stride = kvdim;
    at.out = s.att;
    at.T = T;
    at.pos0 = pos0;
    at.n_q = n_q;
    at.head_dim = hd;
    at.tiled_kv_map = m.kv_sharing;
    at.num_kv_heads = m.kv_heads;
    at.group = m.group;
    at.window = w.window;
    launch_attention(at, s.ws, s.ws_floats, st);
    launch_linear(linear_args(w.o, k), s.att, qdim, s.tmp, D, T, st);
    launch_add_rmsnorm(s.x, s.tmp, w.post_norm, cum, k, m.eps, s.a, T, D, st);
    launch_linear(linear_args(w.gate, k), s.a, D, s.gate, H, T, st);
    launch_linear(linear_args(w.up, k), s.a, D, s.up, H, T, st);
    launch_swiglu(s.gate, s.up, m.cum_ffn[size_t(k)], T, H, st);
    launch_linear(linear_args(w.down, k), s.gate, H, s.tmp, D, T, st);
  }
  check_launch("launching the forward kernels");

  if (want != COLM_CUDA_LOGITS_NONE) {
    // The last residual add, the final per-chain norm, the LM head prefix (d_k columns).
    launch_add_rmsnorm(s.x, s.tmp, m.final_norm, cum, k, m.eps, s.a, T, D, st);
    DevWeight head = m.lm_head;
    head.cols = dk;
    head.out_offset = 0;
    LinearArgs la{};
    la.n = 1;
    la.b[0] = head;
    la.total_rows = m.V;
    const int32_t first = want == COLM_CUDA_LOGITS_LAST ? T - 1 : 0;
    for (int32_t r0 = first; r0 < T; r0 += kLogitRows) {
      const int32_t rows = std::min(kLogitRows, T - r0);
      launch_linear(la, s.a + int64_t(r0) * D, D, s.logits, m.V, rows, st);
      check(cudaMemcpyAsync(logits_out + int64_t(r0 - first) * m.V, s.logits, size_t(rows) * m.V * 4, cudaMemcpyDeviceToHost, st),
            "copying logits to the host");
    }
    check_launch("launching the LM head");
  }
  check(cudaStreamSynchronize(st), "running the forward pass on the GPU");

  // Positions now hold the K/V of (at least) chains 1..k (Air: every chain's).
  const int32_t have = m.kv_sharing ? m.n : k;
  if (s.kv_chains.size() < size_t(pos0 + T)) s.kv_chains.resize(size_t(pos0 + T), 0);
  for (int32_t t = 0; t < T; ++t) {
    uint8_t& kc = s.kv_chains[size_t(pos0 + t)];
    const bool kept = pos0 + t < int32_t(s.tokens.size());
    kc = uint8_t(std::max<int32_t>(kept ? kc : 0, have));
  }
}

void ensure_kv_chains(colm_cuda_session& s, int32_t k) {
  if (s.model->kv_sharing) return;  // Air: the cache serves every k
  const int32_t pos = int32_t(s.tokens.size());
  int32_t from = pos;
  for (int32_t p = 0; p < pos; ++p)
    if (s.kv_chains[size_t(p)] < k) {
      from = p;
      break;
    }
  for (int32_t p = from; p < pos;) {
    const int32_t n = std::min(kChunk, pos - p);
    forward(s, s.tokens.data() + p, n, p, k, COLM_CUDA_LOGITS_NONE, nullptr);
    p += n;
  }
}

void evaluate_run(colm_cuda_session& s, const int32_t* tokens, int32_t count, int32_t k, int32_t want, float* out,
                  const volatile int32_t* cancel) {
  ensure_kv_chains(s, k);
  const int64_t V = s.model->V;
  for (int32_t done = 0; done < count;) {
    if (cancel && *cancel) fail(COLM_CUDA_CANCELLED, "cancelled");
    const int32_t n = std::min(kChunk, count - done);
    const bool last_chunk = done + n == count;
    const int32_t chunk_want = want == COLM_CUDA_LOGITS_ALL ? COLM_CUDA_LOGITS_ALL
                               : (want == COLM_CUDA_LOGITS_LAST && last_chunk) ? COLM_CUDA_LOGITS_LAST
                                                                                : COLM_CUDA_LOGITS_NONE;
    float* o = want == COLM_CUDA_LOGITS_ALL ? out + int64_t(done) * V : out;
    forward(s, tokens + done, n, int32_t(s.tokens.size()), k, chunk_want, o);
    s.tokens.insert(s.tokens.end(), tokens + done, tokens + done + n);
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------
// The ABI functions
// ---------------------------------------------------------------------------------------------

const char* api_library_version() {
  static const std::string v = "colm_cuda 0.1.0 (CUDA runtime " + std::to_string(CUDART_VERSION / 1000) + "." +
                               std::to_string((CUDART_VERSION % 1000) / 10) + ")";
  return v.c_str();
}

const char* api_last_error() { return g_error.c_str(); }

int api_device_count(int32_t* count) {
  *count = 0;
  return guarded([&] {
    require_driver();
    int n = 0;
    check(cudaGetDeviceCount(&n), "counting CUDA devices");
    if (n == 0) fail(COLM_CUDA_NO_DEVICE, "the NVIDIA driver reports no CUDA device");
    *count = n;
  });
}

int api_device_info(int32_t device, colm_cuda_device_info* out) {
  return guarded([&] {
    require_driver();
    int n = 0;
    check(cudaGetDeviceCount(&n), "counting CUDA devices");
    if (device < 0 || device >= n)
      fail(COLM_CUDA_BAD_DEVICE, "there is no CUDA device " + std::to_string(device) + " (this machine has " + std::to_string(n) + ")");
    cudaDeviceProp p{};
    check(cudaGetDeviceProperties(&p, device), "reading the device properties");
    std::memset(out, 0, sizeof *out);
    out->index = device;
    std::snprintf(out->name, sizeof out->name, "%s", p.name);
    out->cc_major = p.major;
    out->cc_minor = p.minor;
    out->multiprocessors = p.multiProcessorCount;
    check(cudaSetDevice(device), "selecting the device");
    size_t free_b = 0, total_b = 0;
    check(cudaMemGetInfo(&free_b, &total_b), "reading the free device memory");
    out->total_bytes = total_b;
    out->free_bytes = free_b;
    out->driver_version = driver_version();
    int rt = 0;
    cudaRuntimeGetVersion(&rt);
    out->runtime_version = rt;
  });
}

int api_driver_version(int32_t* version) {
  *version = driver_version();
  return COLM_CUDA_OK;
}

int api_plan_memory(const colm_cuda_model_desc* desc, int32_t context_size, colm_cuda_memory_plan* out) {
  return guarded([&] {
    check_desc(desc);
    colm_cuda_model scratch;
    Arena arena(nullptr);
    place_model(arena, desc, &scratch);
    const SessionSizes ss = session_sizes(desc->num_layers, desc->hidden_size, desc->intermediate_size, desc->vocab_size,
                                          desc->num_heads, desc->kv_heads_total, desc->head_dim, context_size);
    out->weight_bytes = arena.used();
    out->kv_bytes = uint64_t(ss.kv_elems) * 2 * 2;
    out->workspace_bytes = uint64_t(ss.total) - out->kv_bytes;
  });
}

int api_model_create(int32_t device, const colm_cuda_model_desc* desc, colm_cuda_model** out) {
  *out = nullptr;
  return guarded([&] {
    require_driver();
    check_desc(desc);
    check(cudaSetDevice(device), "selecting the device");
    auto m = std::make_unique<colm_cuda_model>();
    m->device = device;
    m->D = desc->hidden_size;
    m->H = desc->intermediate_size;
    m->L = desc->num_layers;
    m->V = desc->vocab_size;
    m->heads = desc->num_heads;
    m->kv_heads = desc->num_kv_heads;
    m->hd = desc->head_dim;
    m->n = desc->n_chains;
    m->max_chains = desc->max_chains > 0 ? desc->max_chains : desc->n_chains;
    m->kv_total = desc->kv_heads_total;
    m->group = desc->group;
    m->kv_sharing = desc->kv_sharing;
    m->eps = desc->rms_norm_eps;
    m->cum_hidden.assign(desc->cum_hidden, desc->cum_hidden + m->n + 1);
    m->cum_heads.assign(desc->cum_heads, desc->cum_heads + m->n + 1);
    m->cum_kv_heads.assign(desc->cum_kv_heads, desc->cum_kv_heads + m->n + 1);
    m->cum_ffn.assign(desc->cum_ffn, desc->cum_ffn + m->n + 1);
    Arena plan(nullptr);
    place_model(plan, desc, m.get());
    m->bytes = plan.used();
    m->pool = device_alloc(m->bytes, "the model's weights");
    Arena arena(m->pool);
    place_model(arena, desc, m.get());
    *out = m.release();
  });
}

void api_model_free(colm_cuda_model* m) { delete m; }
uint64_t api_model_bytes(const colm_cuda_model* m) { return m ? m->bytes : 0; }

int api_session_create(colm_cuda_model* m, int32_t ctx, colm_cuda_session** out) {
  *out = nullptr;
  return guarded([&] {
    if (!m) fail(COLM_CUDA_INVALID_ARGUMENT, "session_create: no model");
    if (ctx <= 0 || ctx > (1 << 24)) fail(COLM_CUDA_INVALID_ARGUMENT, "context size must be between 1 and 16777216, got " + std::to_string(ctx));
    check(cudaSetDevice(m->device), "selecting the device");
    auto s = std::make_unique<colm_cuda_session>();
    s->model = m;
    s->ctx = ctx;
    const SessionSizes ss = session_sizes(m->L, m->D, m->H, m->V, m->heads, m->kv_total, m->hd, ctx);
    s->bytes = uint64_t(ss.total);
    s->kv_bytes = uint64_t(ss.kv_elems) * 4;
    s->ws_floats = ss.ws_floats;
    s->pool = device_alloc(s->bytes, ("a session of " + std::to_string(ctx) + " positions (BF16 KV cache and activations)").c_str());
    Arena a(s->pool);
    s->k_cache = reinterpret_cast<uint16_t*>(a.take(ss.kv_elems * 2));
    s->v_cache = reinterpret_cast<uint16_t*>(a.take(ss.kv_elems * 2));
    const int64_t qdim = int64_t(m->heads) * m->hd, kvdim = int64_t(m->kv_total) * m->hd;
    auto f = [&](int64_t n) { return reinterpret_cast<float*>(a.take(n * 4)); };
    s->x = f(kChunk * int64_t(m->D));
    s->a = f(kChunk * int64_t(m->D));
    s->q = f(kChunk * qdim);
    s->att = f(kChunk * qdim);
    s->tmp = f(kChunk * int64_t(m->D));
    s->gate = f(kChunk * int64_t(m->H));
    s->up = f(kChunk * int64_t(m->H));
    s->k_new = f(kChunk * kvdim);
    s->v_new = f(kChunk * kvdim);
    s->cos_t = f(kChunk * int64_t(m->hd / 2));
    s->sin_t = f(kChunk * int64_t(m->hd / 2));
    s->logits = f(kLogitRows * int64_t(m->V));
    s->ws = f(ss.ws_floats);
    s->tok = reinterpret_cast<int32_t*>(a.take(kChunk * 4));
    // Zeros, as the CPU cache starts: KV heads of chains a position never ran read as 0.
    check(cudaMemset(s->pool, 0, s->bytes), "clearing the session's memory");
    check(cudaStreamCreateWithFlags(&s->stream, cudaStreamNonBlocking), "creating a CUDA stream");
    *out = s.release();
  });
}

void api_session_free(colm_cuda_session* s) { delete s; }

int api_session_evaluate(colm_cuda_session* s, const int32_t* tokens, int32_t count, int32_t k, int32_t prefill,
                         int32_t logits, float* logits_out, const volatile int32_t* cancel) {
  return guarded([&] {
    if (!s) fail(COLM_CUDA_INVALID_ARGUMENT, "evaluate: no session");
    if (s->lost) fail(COLM_CUDA_DEVICE_LOST, "the GPU context was lost earlier in this session; load the model again (or use --device cpu)");
    colm_cuda_model& m = *s->model;
    if (k < 1 || k > m.max_chains)
      fail(COLM_CUDA_INVALID_ARGUMENT, "chain count " + std::to_string(k) + " is out of range: this model has " + std::to_string(m.n) +
                                           " chain(s)" + (m.max_chains < m.n ? ", " + std::to_string(m.max_chains) + " on the GPU" : ""));
    if (count <= 0) fail(COLM_CUDA_INVALID_ARGUMENT, "nothing to evaluate: the token list is empty");
    const int32_t pos = int32_t(s->tokens.size());
    if (int64_t(pos) + count > s->ctx)
      fail(COLM_CUDA_INVALID_ARGUMENT, "context is full: " + std::to_string(pos) + " + " + std::to_string(count) +
                                           " tokens do not fit in a context of " + std::to_string(s->ctx));
    for (int32_t i = 0; i < count; ++i)
      if (tokens[i] < 0 || tokens[i] >= m.V)
        fail(COLM_CUDA_INVALID_ARGUMENT, "token id " + std::to_string(tokens[i]) + " is outside the vocabulary [0, " + std::to_string(m.V) + ")");
    if (logits != COLM_CUDA_LOGITS_NONE && !logits_out) fail(COLM_CUDA_INVALID_ARGUMENT, "evaluate: logits wanted but no buffer");
    check(cudaSetDevice(m.device), "selecting the device");
    try {
      if (prefill && m.kv_sharing && k > 1 && count > 1) {
        // CoLM-Air: the prompt's cache from chain 1 alone; only the last position runs at k.
        evaluate_run(*s, tokens, count - 1, 1, COLM_CUDA_LOGITS_NONE, nullptr, cancel);
        evaluate_run(*s, tokens + count - 1, 1, k, logits, logits_out, cancel);
      } else {
        evaluate_run(*s, tokens, count, k, logits, logits_out, cancel);
      }
    } catch (const Failure& e) {
      if (e.status == COLM_CUDA_DEVICE_LOST) s->lost = true;
      throw;
    }
  });
}

int api_session_truncate(colm_cuda_session* s, int32_t length) {
  return guarded([&] {
    if (length < 0) length = 0;
    if (size_t(length) < s->tokens.size()) {
      s->tokens.resize(size_t(length));
      s->kv_chains.resize(size_t(length));
    }
  });
}

int32_t api_session_position(const colm_cuda_session* s) { return s ? int32_t(s->tokens.size()) : 0; }
uint64_t api_session_kv_bytes(const colm_cuda_session* s) { return s ? s->kv_bytes : 0; }

int api_session_kv_cache(colm_cuda_session* s, int32_t layer, int32_t values, float* out) {
  return guarded([&] {
    const colm_cuda_model& m = *s->model;
    if (layer < 0 || layer >= m.L) fail(COLM_CUDA_INVALID_ARGUMENT, "layer " + std::to_string(layer) + " does not exist");
    check(cudaSetDevice(m.device), "selecting the device");
    const int64_t kvdim = int64_t(m.kv_total) * m.hd, n = int64_t(s->tokens.size()) * kvdim;
    std::vector<uint16_t> bits(static_cast<size_t>(n));
    const uint16_t* src = (values ? s->v_cache : s->k_cache) + int64_t(layer) * s->ctx * kvdim;
    if (n > 0) check(cudaMemcpy(bits.data(), src, size_t(n) * 2, cudaMemcpyDeviceToHost), "copying the KV cache to the host");
    for (int64_t i = 0; i < n; ++i) {
      const uint32_t u = uint32_t(bits[size_t(i)]) << 16;
      std::memcpy(out + i, &u, 4);
    }
  });
}

int api_session_kv_chains(const colm_cuda_session* s, uint8_t* out) {
  std::copy(s->kv_chains.begin(), s->kv_chains.begin() + s->tokens.size(), out);
  return COLM_CUDA_OK;
}

int api_bench_copy_bandwidth(int32_t device, uint64_t bytes, int32_t iterations, double* gbps) {
  *gbps = 0;
  return guarded([&] {
    require_driver();
    check(cudaSetDevice(device), "selecting the device");
    uint8_t* a = device_alloc(bytes, "the copy benchmark");
    uint8_t* b = nullptr;
    try {
      b = device_alloc(bytes, "the copy benchmark");
      cudaEvent_t e0, e1;
      check(cudaEventCreate(&e0), "creating an event");
      check(cudaEventCreate(&e1), "creating an event");
      check(cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice), "warming up the copy");
      check(cudaEventRecord(e0), "recording an event");
      for (int32_t i = 0; i < iterations; ++i) check(cudaMemcpyAsync(b, a, bytes, cudaMemcpyDeviceToDevice), "copying on the device");
      check(cudaEventRecord(e1), "recording an event");
      check(cudaEventSynchronize(e1), "waiting for the copies");
      float ms = 0;
      check(cudaEventElapsedTime(&ms, e0, e1), "timing the copies");
      cudaEventDestroy(e0);
      cudaEventDestroy(e1);
      // Bytes read plus bytes written, as the decode roofline counts weight bytes read.
      *gbps = 2.0 * double(bytes) * iterations / (double(ms) * 1e-3) / 1e9;
    } catch (...) {
      cudaFree(a);
      if (b) cudaFree(b);
      throw;
    }
    cudaFree(a);
    cudaFree(b);
  });
}

const colm_cuda_api kApi = {
    COLM_CUDA_ABI_VERSION,
    sizeof(colm_cuda_api),
    api_library_version,
    api_last_error,
    api_device_count,
    api_device_info,
    api_driver_version,
    api_plan_memory,
    api_model_create,
    api_model_free,
    api_model_bytes,
    api_session_create,
    api_session_free,
    api_session_evaluate,
    api_session_truncate,
    api_session_position,
    api_session_kv_bytes,
    api_session_kv_cache,
    api_session_kv_chains,
    api_bench_copy_bandwidth,
};

}  // namespace

extern "C" COLM_CUDA_EXPORT const colm_cuda_api* colm_cuda_get_api(uint32_t abi_version) {
  return abi_version == COLM_CUDA_ABI_VERSION ? &kApi : nullptr;
}
