// Binds a ModelSpec to memory-mapped weights: every tensor FORMAT.md names, checked for
// shape, dtype, bounds and (whole chain linears) zeros outside the block mask. FORMAT.md 1.1
// biases and qk-norm weights are widened to float32 here (they are small).
#include <cmath>
#include <cstring>
#include <map>
#include <set>

#include "colm/gguf_q8.h"
#include "colm/model.h"
#include "colm/quant_q4.h"
#include "mapped_file.h"
#include "rope.h"

namespace colm {

Model::~Model() = default;

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

class Binder {
 public:
  Binder(const ModelSpec& spec, Model& model, const ProgressFn& progress,
         const std::atomic<bool>* cancel)
      : spec_(spec), model_(model), progress_(progress), cancel_(cancel) {
    for (const auto& t : spec.tensors) {
      if (!by_name_.emplace(t.name, &t).second) throw Error("tensor \"" + t.name + "\" is listed twice");
    }
    for (const auto& path : spec.files) {
      model.files_.push_back(std::make_unique<MappedFile>(path));
      model.mapped_bytes += model.files_.back()->size();
    }
  }

  bool has(const std::string& name) const { return by_name_.count(name) != 0; }

  // A whole float matrix (rows, cols), as stored; with `allow_q4` (chain linears) also Q4_0 or
  // Q4_K blocks (docs/FORMAT-Q4.md), whose rows must be whole blocks.
  WeightView matrix(const std::string& name, int64_t rows, int64_t cols, bool allow_q4 = false) {
    const TensorSpec& t = find(name);
    if (!(allow_q4 && dtype_is_q4(t.dtype))) require_float(t);
    if (t.shape.size() != 2 || t.shape[0] != rows || t.shape[1] != cols)
      fail(t, "shape " + shape_text(t.shape) + " but the config implies " +
                  shape_text({rows, cols}));
    WeightView w;
    w.data = data_of(t);
    w.dtype = t.dtype;
    w.rows = int32_t(rows);
    w.cols = int32_t(cols);
    w.ld = cols;
    return w;
  }

  // A (D) vector widened to float32.
  std::vector<float> vector(const std::string& name, int64_t n) {
    const TensorSpec& t = find(name);
    require_float(t);
    if (t.shape.size() != 1 || t.shape[0] != n)
      fail(t, "shape " + shape_text(t.shape) + " but the config implies " + shape_text({n}));
    std::vector<float> out(static_cast<size_t>(n));
    widen_to_f32(data_of(t), t.dtype, out.data(), n);
    return out;
  }

  // A Q8_0 matrix (rows, cols) from the pair base.qweight (I8, [rows, cols]) and base.qscale
  // (F16 or F32, [rows, ceil(cols / 32)]), docs/FORMAT-Q8.md.
  WeightView quantized(const std::string& base, int64_t rows, int64_t cols) {
    const TensorSpec& q = find(base + ".qweight");
    if (q.dtype != DType::I8) fail(q, std::string("dtype ") + dtype_name(q.dtype) + " but a .qweight must be I8");
    if (q.shape.size() != 2 || q.shape[0] != rows || q.shape[1] != cols)
      fail(q, "shape " + shape_text(q.shape) + " but the config implies " + shape_text({rows, cols}));
    const TensorSpec& s = find(base + ".qscale");
    if (s.dtype != DType::F16 && s.dtype != DType::F32)
      fail(s, std::string("dtype ") + dtype_name(s.dtype) + " but a .qscale must be F16 or F32");
    const int64_t blocks = q8_blocks(cols);
    if (s.shape.size() != 2 || s.shape[0] != rows || s.shape[1] != blocks)
      fail(s, "shape " + shape_text(s.shape) + " but " + std::to_string(rows) + " rows of " + std::to_string(cols) +
                  " columns in blocks of 32 need " + shape_text({rows, blocks}));
    WeightView w;
    w.data = data_of(q);
    w.dtype = DType::Q8_0;
    w.rows = int32_t(rows);
    w.cols = int32_t(cols);
    w.ld = cols;
    w.scales = data_of(s);
    w.scale_dtype = s.dtype;
    w.scales_ld = blocks;
    return w;
  }

  // The embedding or the LM head, (V, D): float `base.weight`, Q4_0/Q4_K `base.weight` (a GGUF's
  // own blocks, kept as they are; every chain's prefix d_k must be whole blocks, as a Q4 chain
  // linear's K-extents), or Q8_0 `base.qweight` + `base.qscale` when the plan holds that pair (a
  // GGUF's own Q8_0 tensors; see docs/FORMAT-Q8.md: the safetensors reader never hands these
  // over quantized). Both forms: refused.
  WeightView float_or_quantized(const std::string& base, int64_t rows, int64_t cols, const std::vector<int32_t>& cum_hidden) {
    if (!has(base + ".qweight") && !has(base + ".qscale")) {
      WeightView w = matrix(base + ".weight", rows, cols, /*allow_q4=*/true);
      if (dtype_is_q4(w.dtype)) check_q4_extents(find(base + ".weight"), cum_hidden);
      return w;
    }
    if (has(base + ".weight"))
      throw Error("tensor \"" + base + ".weight\" is also stored as .qweight and .qscale; keep one form");
    return quantized(base, rows, cols);
  }

  // A chain linear of a q8_0 checkpoint: per chain X.chains.{i}.qweight/.qscale, or, only
  // when n = 1, X.qweight/.qscale of the whole matrix.
  ChainLinear quantized_chain_linear(const std::string& prefix, const std::vector<int32_t>& out_cum,
                                     const std::vector<int32_t>& in_cum) {
    const size_t n = out_cum.size() - 1;
    if (has(prefix + ".weight") || has(prefix + ".chains.0.weight"))
      throw Error("tensor \"" + prefix + (has(prefix + ".weight") ? ".weight" : ".chains.0.weight") +
                  "\" is a float chain linear, but " +
                  (spec_.config.q8_block_size != 0 ? std::string("colm_quantization q8_0 asks every chain linear to be stored as .qweight and .qscale")
                                                   : "the same linear is also stored as .qweight and .qscale; keep one form"));
    ChainLinear lin;
    if (n == 1) {
      lin.blocks.push_back({quantized(prefix, out_cum[1], in_cum[1]), 0});
      return lin;
    }
    if (has(prefix + ".qweight"))
      throw Error("tensor \"" + prefix + ".qweight\" stores a chain linear whole, which a q8_0 checkpoint allows only "
                  "when n = 1; store " + prefix + ".chains.{i}.qweight per chain");
    for (size_t i = 0; i < n; ++i) {
      const std::string base = prefix + ".chains." + std::to_string(i);
      lin.blocks.push_back({quantized(base, out_cum[i + 1] - out_cum[i], in_cum[i + 1]), out_cum[i]});
    }
    return lin;
  }

  // A chain linear: out_cum / in_cum are cumulative widths over the chains (n+1 entries).
  // Whether X is stored in 4-bit blocks (docs/FORMAT-Q4.md): read like a float chain linear,
  // whole or per chain, with or without colm_quantization.
  bool stored_as_q4(const std::string& prefix) const {
    for (const std::string& name : {prefix + ".weight", prefix + ".chains.0.weight"}) {
      auto it = by_name_.find(name);
      if (it != by_name_.end() && dtype_is_q4(it->second->dtype)) return true;
    }
    return false;
  }

  ChainLinear chain_linear(const std::string& prefix, const std::vector<int32_t>& out_cum,
                           const std::vector<int32_t>& in_cum) {
    if (spec_.config.q8_block_size != 0 && !stored_as_q4(prefix)) return quantized_chain_linear(prefix, out_cum, in_cum);
    const size_t n = out_cum.size() - 1;
    const int64_t d_out = out_cum[n], d_in = in_cum[n];
    ChainLinear lin;
    // Without colm_quantization, storage is per tensor: a plan (a GGUF file's) may hold this
    // linear as Q8_0 while others stay float.
    if (has(prefix + ".qweight") || has(prefix + ".chains.0.qweight"))
      return quantized_chain_linear(prefix, out_cum, in_cum);
    const std::string whole = prefix + ".weight";
    if (has(whole)) {
      if (has(prefix + ".chains.0.weight"))
        fail(find(whole), "stored both whole and per chain; a checkpoint must use one form");
      WeightView w = matrix(whole, d_out, d_in, true);
      if (dtype_is_q4(w.dtype)) check_q4_extents(find(whole), in_cum);
      if (n > 1) check_mask(find(whole), w, out_cum, in_cum);
      for (size_t i = 0; i < n; ++i) {
        ChainBlock b;
        b.w = w;
        b.w.data = w.row_ptr(out_cum[i]);
        b.w.rows = out_cum[i + 1] - out_cum[i];
        b.w.cols = in_cum[i + 1];
        b.out_offset = out_cum[i];
        lin.blocks.push_back(b);
      }
      return lin;
    }
    for (size_t i = 0; i < n; ++i) {
      const std::string name = prefix + ".chains." + std::to_string(i) + ".weight";
      if (!has(name)) throw Error("tensor \"" + name + "\" is missing (" + prefix +
                                  " needs either .weight or one .chains.{i}.weight per chain)");
      ChainBlock b;
      b.w = matrix(name, out_cum[i + 1] - out_cum[i], in_cum[i + 1], true);
      b.out_offset = out_cum[i];
      lin.blocks.push_back(b);
    }
    return lin;
  }

  // A dense map given as one block (the CoLM-Air K/V projections).
  ChainLinear dense(const std::string& name, int64_t rows, int64_t cols) {
    ChainLinear lin;
    lin.blocks.push_back({matrix(name + ".weight", rows, cols), 0});
    return lin;
  }

  // FORMAT.md 1.1 bias of a chain linear with outputs out_cum: whole `X.bias` (D_y) or per chain
  // `X.chains.{i}.bias` (D_y*ci/S), whatever form its weight has. Air's dense K/V: n = 1.
  std::vector<float> bias(const std::string& prefix, const std::vector<int32_t>& out_cum) {
    const size_t n = out_cum.size() - 1;
    const std::string whole = prefix + ".bias";
    if (has(whole)) {
      if (has(prefix + ".chains.0.bias"))
        fail(find(whole), "stored both whole and per chain; a checkpoint must use one form");
      return vector(whole, out_cum[n]);
    }
    if (n == 1 || !has(prefix + ".chains.0.bias"))
      throw Error("tensor \"" + whole + "\" is missing (the config asks for biases)");
    std::vector<float> out;
    for (size_t i = 0; i < n; ++i) {
      std::vector<float> part = vector(prefix + ".chains." + std::to_string(i) + ".bias", out_cum[i + 1] - out_cum[i]);
      out.insert(out.end(), part.begin(), part.end());
    }
    return out;
  }

  void ignore(const std::string& name) { used_.insert(name); }

  void check_all_used() const {
    for (const auto& t : spec_.tensors)
      if (!used_.count(t.name))
        throw Error((t.memory || t.file < 0 || size_t(t.file) >= spec_.files.size() ? std::string("(in memory)")
                                                                                      : spec_.files[size_t(t.file)]) +
                    ": tensor \"" + t.name +
                    "\" is not part of this model (unknown tensor)");
  }

  void step_progress(double fraction) {
    if (cancel_ && cancel_->load()) throw Cancelled();
    if (progress_) progress_(fraction);
  }

 private:
  const TensorSpec& find(const std::string& name) {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) throw Error("tensor \"" + name + "\" is missing");
    used_.insert(name);
    return *it->second;
  }

  // Norms, Air's K/V, float chain linears and a float embedding or LM head are read as floats.
  void require_float(const TensorSpec& t) const {
    if (!dtype_is_float(t.dtype))
      fail(t, std::string("dtype ") + dtype_name(t.dtype) + " but this tensor must be F32, F16 or BF16");
  }

  // A whole Q4 chain linear is read per chain as the first cum_i columns of its rows: every
  // K-extent must end on a block boundary (docs/FORMAT-Q4.md).
  void check_q4_extents(const TensorSpec& t, const std::vector<int32_t>& in_cum) const {
    const int32_t block = q4_block_weights(t.dtype);
    for (size_t i = 1; i < in_cum.size(); ++i)
      if (in_cum[i] % block != 0)
        fail(t, std::string("is ") + dtype_name(t.dtype) + ", whose blocks hold " + std::to_string(block) +
                    " columns, but chain " + std::to_string(i) + " reads the first " + std::to_string(in_cum[i]) +
                    " columns (a chain's K-extent must be a multiple of " + std::to_string(block) + ")");
  }

  [[noreturn]] void fail(const TensorSpec& t, const std::string& rule) const {
    std::string file = t.memory ? "(in memory)"
                       : t.file >= 0 && size_t(t.file) < spec_.files.size() ? spec_.files[size_t(t.file)] : "?";
    throw Error(file + ": tensor \"" + t.name + "\": " + rule);
  }

  // Checks bounds and byte length, then returns a pointer aligned for the dtype.
  const void* data_of(const TensorSpec& t) {
    if (t.memory) return memory_of(t);
    if (t.q8_part != TensorSpec::Q8Part::None) return split_of(t);
    if (t.file < 0 || size_t(t.file) >= model_.files_.size()) fail(t, "refers to no file");
    const MappedFile& f = *model_.files_[size_t(t.file)];
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || d > (int64_t(1) << 40)) fail(t, "absurd shape " + shape_text(t.shape));
      numel *= uint64_t(d);
      if (numel > f.size() * (dtype_is_q4(t.dtype) ? 2 : 1)) fail(t, "shape " + shape_text(t.shape) + " is larger than the file");
    }
    check_blocks(t);
    if (uint64_t(dtype_bytes(t.dtype, int64_t(numel))) != t.byte_length)
      fail(t, "holds " + std::to_string(t.byte_length) + " bytes but shape " +
                  shape_text(t.shape) + " of " + dtype_name(t.dtype) + " needs " +
                  std::to_string(dtype_bytes(t.dtype, int64_t(numel))));
    if (t.offset > f.size() || t.byte_length > f.size() - t.offset)
      fail(t, "data runs past the end of the file (offset " + std::to_string(t.offset) + " + " +
                  std::to_string(t.byte_length) + " > " + std::to_string(f.size()) + ")");
    const uint8_t* p = f.data() + t.offset;
    if (reinterpret_cast<uintptr_t>(p) % dtype_size(t.dtype) == 0) return p;
    // Misaligned for its dtype (legal in safetensors, rare): keep an aligned copy.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[t.byte_length + 1]);
    std::memcpy(copy.get(), p, t.byte_length);
    model_.owned_.push_back(std::move(copy));
    return model_.owned_.back().get();
  }

  // A GGUF Q8_0 tensor's .qweight or .qscale part (TensorSpec::q8_part): its blocks are checked
  // against the file and the shape, split (q/k unpermuted) into memory the Model owns on first
  // use, and both parts come from that one pass.
  const void* split_of(const TensorSpec& t) {
    const bool qweight = t.q8_part == TensorSpec::Q8Part::QWeight;
    if (t.dtype != (qweight ? DType::I8 : DType::F16)) fail(t, std::string("a Q8_0 ") + (qweight ? ".qweight must be I8" : ".qscale must be F16"));
    if (t.shape.size() != 2 || t.shape[0] <= 0 || t.shape[1] <= 0 || t.shape[0] > (int64_t(1) << 32) || t.shape[1] > (int64_t(1) << 32))
      fail(t, "shape " + shape_text(t.shape) + " is not [rows, columns] of a Q8_0 tensor");
    const int64_t rows = t.shape[0], cols = qweight ? t.shape[1] : t.shape[1] * kQ8Block;
    if (cols % kQ8Block != 0) fail(t, "has " + std::to_string(cols) + " columns, not whole Q8_0 blocks of 32");
    const uint64_t need = uint64_t(rows) * uint64_t(cols / kQ8Block) * uint64_t(kQ8_0BlockBytes);
    if (t.byte_length != need)
      fail(t, "holds " + std::to_string(t.byte_length) + " bytes of Q8_0 blocks but shape " + shape_text(t.shape) + " needs " + std::to_string(need));
    if (t.file < 0 || size_t(t.file) >= model_.files_.size()) fail(t, "refers to no file");
    const MappedFile& f = *model_.files_[size_t(t.file)];
    if (t.offset > f.size() || t.byte_length > f.size() - t.offset)
      fail(t, "data runs past the end of the file (offset " + std::to_string(t.offset) + " + " + std::to_string(t.byte_length) + " > " +
                  std::to_string(f.size()) + ")");
    if (t.unpermute_heads < 0 || (t.unpermute_heads > 0 && rows % (2 * int64_t(t.unpermute_heads)) != 0))
      fail(t, "has " + std::to_string(rows) + " rows, not a whole number of " + std::to_string(t.unpermute_heads) +
                  " heads with an even head size (needed to undo llama.cpp's q/k permutation)");
    const auto key = std::make_pair(t.file, t.offset);
    auto it = split_cache_.find(key);
    if (it == split_cache_.end()) {
      std::shared_ptr<uint8_t> q = alloc_split_bytes(size_t(rows * cols)), sc = alloc_split_bytes(size_t(rows * (cols / kQ8Block) * 2));
      split_q8_0_rows(f.data() + t.offset, rows, cols, t.unpermute_heads, reinterpret_cast<int8_t*>(q.get()), sc.get());
      model_.split_.push_back(q);
      model_.split_.push_back(sc);
      it = split_cache_.emplace(key, std::make_pair(q.get(), sc.get())).first;
    }
    return qweight ? static_cast<const void*>(it->second.first) : static_cast<const void*>(it->second.second);
  }

  // Q4 tensors are rows of whole blocks: a 2-D shape whose last dimension is a multiple of the block.
  void check_blocks(const TensorSpec& t) const {
    if (!dtype_is_q4(t.dtype)) return;
    const int32_t block = q4_block_weights(t.dtype);
    if (t.shape.size() != 2 || t.shape[1] % block != 0)
      fail(t, "shape " + shape_text(t.shape) + " of " + dtype_name(t.dtype) + " must be [rows, cols] with cols a multiple of " +
                  std::to_string(block) + " (whole blocks per row)");
  }

  // A tensor whose bytes came in memory: the buffer is kept by the Model; operator new's
  // alignment covers every dtype.
  const void* memory_of(const TensorSpec& t) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) {
      if (d < 0 || d > (int64_t(1) << 40)) fail(t, "absurd shape " + shape_text(t.shape));
      numel *= uint64_t(d);
      if (numel > t.memory->size() * (dtype_is_q4(t.dtype) ? 2 : 1)) fail(t, "shape " + shape_text(t.shape) + " is larger than its data");
    }
    check_blocks(t);
    if (uint64_t(dtype_bytes(t.dtype, int64_t(numel))) != t.byte_length || t.byte_length != t.memory->size())
      fail(t, "holds " + std::to_string(t.memory->size()) + " bytes in memory but shape " + shape_text(t.shape) +
                  " of " + dtype_name(t.dtype) + " needs " + std::to_string(dtype_bytes(t.dtype, int64_t(numel))));
    model_.in_memory_.push_back(t.memory);
    return t.memory->data();
  }

  // A whole chain linear must be zero outside the block lower-triangular mask.
  void check_mask(const TensorSpec& t, const WeightView& w, const std::vector<int32_t>& out_cum,
                  const std::vector<int32_t>& in_cum) const {
    const size_t n = out_cum.size() - 1;
    const size_t es = dtype_size(w.dtype);
    if (dtype_is_q4(w.dtype)) {
      // Blocks outside a chain's columns must decode to zero (any -0.0 counts as zero).
      std::vector<float> row(static_cast<size_t>(in_cum[n]));
      for (size_t i = 0; i + 1 < n; ++i)
        for (int32_t r = out_cum[i]; r < out_cum[i + 1]; ++r) {
          widen_to_f32(w.row_ptr(r), w.dtype, row.data(), in_cum[n]);
          for (int32_t c = in_cum[i + 1]; c < in_cum[n]; ++c)
            if (row[size_t(c)] != 0.0f)
              fail(t, "nonzero entry at [" + std::to_string(r) + ", " + std::to_string(c) +
                          "] outside the block lower-triangular chain mask");
        }
      return;
    }
    for (size_t i = 0; i + 1 < n; ++i) {
      for (int32_t r = out_cum[i]; r < out_cum[i + 1]; ++r) {
        const uint8_t* row = w.row_ptr(r);
        for (int32_t c = in_cum[i + 1]; c < in_cum[n]; ++c) {
          // -0.0 counts as zero: clear the sign bit before testing.
          bool nonzero;
          if (es == 4) {
            uint32_t bits;
            std::memcpy(&bits, row + size_t(c) * 4, 4);
            nonzero = (bits & 0x7fffffffu) != 0;
          } else {
            uint16_t bits;
            std::memcpy(&bits, row + size_t(c) * 2, 2);
            nonzero = (bits & 0x7fffu) != 0;
          }
          if (nonzero)
            fail(t, "nonzero entry at [" + std::to_string(r) + ", " + std::to_string(c) +
                        "] outside the block lower-triangular chain mask");
        }
      }
    }
  }

  const ModelSpec& spec_;
  Model& model_;
  const ProgressFn& progress_;
  const std::atomic<bool>* cancel_;
  std::map<std::string, const TensorSpec*> by_name_;
  std::set<std::string> used_;
  // Split GGUF Q8_0 tensors by (file, offset): their .qweight and .qscale parts.
  std::map<std::pair<int32_t, uint64_t>, std::pair<const uint8_t*, const uint8_t*>> split_cache_;
};

std::vector<int32_t> scaled(const std::vector<int32_t>& cum, int32_t factor) {
  std::vector<int32_t> out(cum);
  for (auto& v : out) v *= factor;
  return out;
}

}  // namespace

std::shared_ptr<Model> model_load(const ModelSpec& spec, const ProgressFn& progress,
                                  const std::atomic<bool>* cancel) {
  auto model = std::make_shared<Model>();
  Model& m = *model;
  m.config = spec.config;
  m.layout = ChainLayout::from_config(spec.config);
  const ModelConfig& c = m.config;
  const ChainLayout& l = m.layout;
  if (c.q8_block_size != 0 && c.q8_block_size != kQ8Block)
    throw Error("colm_quantization.block_size " + std::to_string(c.q8_block_size) + " is not supported (q8_0 uses 32)");
  const int32_t D = c.hidden_size, hd = c.head_dim;
  if (c.sliding_window < 0) throw Error("config: sliding_window must be positive, got " + std::to_string(c.sliding_window));
  if (c.sliding_window > 0 && c.sliding_layers.size() != size_t(c.num_layers))
    throw Error("config: slidingWindowLayers must have one entry per layer");

  Binder bind(spec, m, progress, cancel);
  // Float, or a GGUF's 4-bit or Q8_0 token_embd / output.
  m.embed = bind.float_or_quantized("model.embed_tokens", c.vocab_size, D, l.cum_hidden);
  if (c.tie_word_embeddings) {
    m.lm_head = m.embed;  // 4-bit or Q8_0 too when the embedding is
    // FORMAT.md: a stored copy is ignored when tied
    bind.ignore("lm_head.weight");
    bind.ignore("lm_head.qweight");
    bind.ignore("lm_head.qscale");
  } else {
    m.lm_head = bind.float_or_quantized("lm_head", c.vocab_size, D, l.cum_hidden);
  }
  m.final_norm = bind.vector("model.norm.weight", D);

  const auto q_cum = scaled(l.cum_heads, hd);
  const auto kv_cum = scaled(l.cum_kv_heads, hd);
  for (int32_t li = 0; li < c.num_layers; ++li) {
    bind.step_progress(double(li) / c.num_layers);
    const std::string p = "model.layers." + std::to_string(li) + ".";
    LayerWeights lw;
    lw.input_norm = bind.vector(p + "input_layernorm.weight", D);
    lw.post_norm = bind.vector(p + "post_attention_layernorm.weight", D);
    lw.q = bind.chain_linear(p + "self_attn.q_proj", q_cum, l.cum_hidden);
    const std::vector<int32_t> air_kv_cum = {0, c.num_kv_heads * hd};
    if (c.kv_sharing) {
      lw.k = bind.dense(p + "self_attn.k_proj", int64_t(c.num_kv_heads) * hd, l.cum_hidden[1]);
      lw.v = bind.dense(p + "self_attn.v_proj", int64_t(c.num_kv_heads) * hd, l.cum_hidden[1]);
    } else {
      lw.k = bind.chain_linear(p + "self_attn.k_proj", kv_cum, l.cum_hidden);
      lw.v = bind.chain_linear(p + "self_attn.v_proj", kv_cum, l.cum_hidden);
    }
    if (c.qkv_bias) {
      lw.q.bias = bind.bias(p + "self_attn.q_proj", q_cum);
      lw.k.bias = bind.bias(p + "self_attn.k_proj", c.kv_sharing ? air_kv_cum : kv_cum);
      lw.v.bias = bind.bias(p + "self_attn.v_proj", c.kv_sharing ? air_kv_cum : kv_cum);
    }
    if (c.qk_norm) {
      lw.q_norm = bind.vector(p + "self_attn.q_norm.weight", hd);
      lw.k_norm = bind.vector(p + "self_attn.k_norm.weight", hd);
    }
    lw.o = bind.chain_linear(p + "self_attn.o_proj", l.cum_hidden, q_cum);
    if (c.o_bias) lw.o.bias = bind.bias(p + "self_attn.o_proj", l.cum_hidden);
    lw.gate = bind.chain_linear(p + "mlp.gate_proj", l.cum_ffn, l.cum_hidden);
    lw.up = bind.chain_linear(p + "mlp.up_proj", l.cum_ffn, l.cum_hidden);
    lw.down = bind.chain_linear(p + "mlp.down_proj", l.cum_hidden, l.cum_ffn);
    if (c.mlp_bias) {
      lw.gate.bias = bind.bias(p + "mlp.gate_proj", l.cum_ffn);
      lw.up.bias = bind.bias(p + "mlp.up_proj", l.cum_ffn);
      lw.down.bias = bind.bias(p + "mlp.down_proj", l.cum_hidden);
    }
    m.layers.push_back(std::move(lw));
  }
  bind.check_all_used();
  m.rope_inv_freq = rope_inv_freq(c);
  bind.step_progress(1.0);
  return model;
}

}  // namespace colm
