// A loaded CoLM checkpoint: the config, the widths every chain count implies, and views of
// every weight in the memory-mapped files (kept in their stored dtype; no copy at load).
// The TypeScript side parses and validates headers and config.json (app/checkpoint) and hands
// the result over as a ModelSpec; this side checks again everything that memory safety or
// the math relies on, so a wrong spec is an Error, never a crash.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "colm/kernels.h"
#include "colm/tensor.h"

namespace colm {

// Every refusal of the engine: a one-line message naming the file, tensor or key and the rule.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a cancel flag stops work between two steps.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// HF rope_type "llama3" (frequency bands blended) or "linear" (positions / factor); neither: none.
struct RopeScaling {
  bool llama3 = false;
  bool linear = false;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  float original_max_position_embeddings = 8192.0f;
};

struct ModelConfig {
  int32_t hidden_size = 0;        // D
  int32_t intermediate_size = 0;  // H
  int32_t num_layers = 0;         // L
  int32_t vocab_size = 0;         // V
  int32_t num_heads = 0;          // h
  int32_t num_kv_heads = 0;       // h_kv
  int32_t head_dim = 0;
  std::vector<int32_t> chains;  // C = {c1..cn}
  bool kv_sharing = false;      // CoLM-Air
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeScaling rope_scaling;
  bool tie_word_embeddings = false;
  // FORMAT.md 1.1 parts, as app/checkpoint/config.ts reads each family.
  bool qkv_bias = false;  // q_proj, k_proj, v_proj have biases
  bool o_bias = false;    // o_proj has a bias
  bool mlp_bias = false;  // gate_proj, up_proj, down_proj have biases
  bool qk_norm = false;   // qwen3: per-head RMSNorm of q and k (weights [head_dim]) before RoPE
  // Sliding-window attention: a query at position p sees p-W+1..p in the layers where
  // sliding_layers[l] != 0. sliding_window 0: every layer sees every earlier position.
  int32_t sliding_window = 0;
  std::vector<uint8_t> sliding_layers;  // (L), empty when sliding_window is 0
  // colm_quantization (docs/FORMAT-Q8.md): 32 when every chain linear is stored as Q8_0
  // `.qweight` / `.qscale` pairs, 0 when the weights are float.
  int32_t q8_block_size = 0;
};

// Widths implied by a config; cum_* arrays have n+1 entries with cum[0] = 0, cum[k] for
// sub-model k. Computing them validates every divisibility rule of FORMAT.md.
struct ChainLayout {
  int32_t n = 0;                   // number of chains
  std::vector<int32_t> cum_hidden; // d_k
  std::vector<int32_t> cum_heads;  // query heads of sub-model k
  std::vector<int32_t> cum_kv_heads;  // KV heads sub-model k reads (Air: h_kv for every k)
  std::vector<int32_t> cum_ffn;    // H_k
  int32_t kv_heads_total = 0;      // KV heads in the cache
  int32_t group = 1;               // plain CoLM: query heads per KV head

  static ChainLayout from_config(const ModelConfig& c);  // throws Error naming the broken rule
};

// One block of a chain linear: the rows of output chain i, reading input columns [0, cum_i).
using ChainBlock = MatmulBlock;

// A linear map under the chain rule; sub-model k applies blocks 0..k-1 only. A dense map
// (embedding-free LM head, Air K/V) is one block whose cols can be cut to a prefix.
// Each block is float (F32/F16/BF16) or Q8_0, as the checkpoint stores that tensor.
struct ChainLinear {
  std::vector<ChainBlock> blocks;
  // (D_y) float32 bias, widened at load (small), or empty. FORMAT.md 1.1: sub-model k adds the
  // first cum_k entries, the outputs of blocks 0..k-1 (a dense map: all of them).
  std::vector<float> bias;
};

struct LayerWeights {
  std::vector<float> input_norm;  // (D) widened to float32 at load: small
  std::vector<float> post_norm;   // (D)
  ChainLinear q;     // D -> h*head_dim
  ChainLinear k;     // plain: D -> h_kv*head_dim chain linear; Air: one dense block reading D_1
  ChainLinear v;
  ChainLinear o;     // h*head_dim -> D
  ChainLinear gate;  // D -> H
  ChainLinear up;    // D -> H
  ChainLinear down;  // H -> D
  std::vector<float> q_norm;  // (head_dim) qwen3 qk-norm, empty when the config has none
  std::vector<float> k_norm;  // (head_dim)
};

struct TensorSpec {
  std::string name;
  // Where the bytes are: in `memory` when set (a tensor converted at load, e.g. from GGUF; the
  // Model keeps the buffer alive), else at `offset` in ModelSpec::files[file] (memory-mapped).
  std::shared_ptr<const std::vector<uint8_t>> memory;
  int32_t file = 0;       // index into ModelSpec::files; ignored when `memory` is set
  uint64_t offset = 0;    // absolute byte offset in that file; ignored when `memory` is set
  uint64_t byte_length = 0;
  DType dtype = DType::F32;  // as stored: F32, F16, BF16, or I8 (a Q8_0 `.qweight`)
  std::vector<int64_t> shape;
  // A GGUF's Q8_0 tensor handed over as its blocks (offset/byte_length: the blocks in the file):
  // this spec is the .qweight (I8) or the .qscale (F16) part, split at load (colm/gguf_q8.h),
  // with llama.cpp's q/k row permutation undone over `unpermute_heads` heads when nonzero.
  enum class Q8Part : uint8_t { None, QWeight, QScale };
  Q8Part q8_part = Q8Part::None;
  int32_t unpermute_heads = 0;
};

struct ModelSpec {
  ModelConfig config;
  std::vector<std::string> files;
  std::vector<TensorSpec> tensors;
};

class MappedFile;

struct Model {
  ModelConfig config;
  ChainLayout layout;
  // Float (F32/F16/BF16) as stored, or Q8_0 when the plan holds `.qweight` + `.qscale` for it (a
  // GGUF's own Q8_0 token_embd / output are kept; docs/FORMAT-Q8.md): rows are read with
  // widen_row, products go through the matmul kernels, which take either.
  WeightView embed;    // (V, D)
  WeightView lm_head;  // (V, D): the embedding table when tied
  std::vector<float> final_norm;  // (D)
  std::vector<LayerWeights> layers;
  std::vector<float> rope_inv_freq;  // (head_dim/2), llama3 scaling applied
  uint64_t mapped_bytes = 0;

  ~Model();
  std::vector<std::unique_ptr<MappedFile>> files_;
  std::vector<std::unique_ptr<uint8_t[]>> owned_;  // aligned copies of misaligned tensors
  std::vector<std::shared_ptr<uint8_t>> split_;     // GGUF Q8_0 tensors split at load
  std::vector<std::shared_ptr<const std::vector<uint8_t>>> in_memory_;  // TensorSpec::memory buffers
};

// Progress in [0, 1] while the weights are checked.
using ProgressFn = std::function<void(double)>;

// Maps the files and binds every tensor. Throws Error with the file, tensor and rule.
// Storage is decided per chain linear by the tensors the spec holds: `.weight` (whole or per
// chain, float) or `.qweight` + `.qscale` (Q8_0: whole when n = 1, else per chain), so a plan may
// mix float and Q8_0 linears (a GGUF file does). A checkpoint whose config has colm_quantization
// must store every chain linear as Q8_0 (docs/FORMAT-Q8.md), as before. The embedding and the LM
// head are float `.weight`, or Q8_0 `.qweight` + `.qscale` when the plan gives them so (a GGUF's
// own Q8_0 embedding / LM head are kept; the safetensors reader keeps them float, FORMAT-Q8.md).
std::shared_ptr<Model> model_load(const ModelSpec& spec, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel);

}  // namespace colm
