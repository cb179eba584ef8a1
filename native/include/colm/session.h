// One conversation's state: the tokens so far and their KV cache, evaluated at any chain
// count k, which may change between any two positions.
//
// The cache is (layer, row, kv_heads_total * head_dim) for K and for V in the session's KvType
// (kv_cache.h: float32, or BF16 (the default), F16 or Q8_0, rounded when a position is evaluated
// and widened in registers by the attention kernels): a layer keeps context_size rows, position p
// in row p. Every invariant below holds bit for bit in every KV type.
// CoLM-Air: K/V come from chain 1 alone, so the cache is the same for every k and a switch
// costs nothing. Plain CoLM: sub-model k reads the KV heads of chains 1..k; the session
// remembers per position how many chains' K/V it holds, so shrinking k is free and growing k
// first recomputes the missing chains over the past.
// Sliding-window layers (FORMAT.md 1.1) mask keys older than W positions in both attention
// paths, and keep only what attention can still read: a ring of W + 256 rows (256: the positions
// one forward call evaluates), position p in row p mod ring, when that is shorter than the
// context (a 4096 window at a 32k context: 4352 rows instead of 32768). Layers without a window
// keep context_size rows. Logits are the bits of the full cache's. Positions that left the ring
// are gone: regrowing chains (or a truncate back past them) recomputes from the latest position
// whose window predecessors the ring still holds, from position 0 if none.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "colm/kv_cache.h"
#include "colm/model.h"
#include "colm/thread_pool.h"

namespace colm {

enum class LogitsWanted { None, Last, All };

struct SessionOptions {
  int32_t context_size = 2048;
  int32_t threads = 0;           // 0: default_thread_count()
  bool capture_hidden = false;   // keep the hidden states of the last evaluated position
  bool window_ring = true;       // false: sliding-window layers keep context_size rows too (tests)
  KvType kv_type = KvType::BF16; // element type of the K/V cache (kv_cache.h)
};

class Session {
 public:
  Session(std::shared_ptr<const Model> model, const SessionOptions& options);
  ~Session();

  const Model& model() const { return *model_; }
  int32_t position() const { return int32_t(tokens_.size()); }
  int32_t context_size() const { return context_size_; }
  const std::vector<int32_t>& tokens() const { return tokens_; }

  // Appends tokens and evaluates them at chain count k (1..n). Returns logits of the last
  // position ((V) floats) or of every new position ((T, V)), or nothing. Plain CoLM first
  // recomputes the K/V of any past position that holds fewer than k chains.
  std::vector<float> evaluate(const int32_t* tokens, int32_t count, int32_t k, LogitsWanted want);

  // The way generation reads a prompt: CoLM-Air builds the whole cache from chain 1 alone and
  // runs only the last position at k; plain CoLM evaluates the prompt at k. Returns the last
  // position's logits.
  std::vector<float> prefill(const int32_t* tokens, int32_t count, int32_t k);

  // Forgets every position from `length` on (regenerate, edit a message).
  void truncate(int32_t length);

  // Hidden states of the last evaluated position when capture_hidden is on:
  // (num_layers + 1, hidden_size); row 0 is the embedding, row l+1 follows layer l.
  // Only the first d_k features of a row were computed (k of that evaluation).
  const std::vector<float>& last_hidden() const { return hidden_; }
  int32_t last_hidden_chains() const { return hidden_chains_; }

  // A copy of the cached K or V of one layer: (position, kv_heads_total * head_dim), widened to
  // float32 from the cache type. Throws for a ring layer once positions have left its ring.
  std::vector<float> kv_cache(int32_t layer, bool values) const;
  // Bytes of the K and V caches together (allocated at construction, whatever the position), in
  // the cache type (Q8_0: values and scales).
  int64_t kv_cache_bytes() const { return k_cache_.bytes() + v_cache_.bytes(); }
  KvType kv_type() const { return k_cache_.type(); }
  // Rows of a sliding-window layer's ring; 0 when no layer has one (every layer: context_size).
  int32_t window_ring_rows() const { return ring_; }
  // How many chains' K/V each position holds (CoLM-Air: always n).
  const std::vector<uint8_t>& kv_chains() const { return kv_chains_; }

  void set_threads(int32_t threads);
  int32_t threads() const { return pool_->size(); }

  // Set from any thread: evaluation stops between two layers and throws Cancelled.
  std::atomic<bool> cancel{false};

 private:
  struct Scratch;
  void forward(const int32_t* tokens, int32_t count, int32_t pos0, int32_t k, LogitsWanted want,
               float* logits_out);
  void ensure_kv_chains(int32_t k);
  void check_chains(int32_t k) const;

  std::shared_ptr<const Model> model_;
  int32_t context_size_;
  bool capture_hidden_;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<int32_t> tokens_;
  std::vector<uint8_t> kv_chains_;   // per position
  KvCache k_cache_, v_cache_;
  std::vector<int64_t> layer_row0_;  // (L): first cache row of each layer
  std::vector<uint8_t> ringed_;      // (L): the layer keeps a ring of ring_ rows
  int32_t ring_ = 0;                 // rows of a ring layer (0: none)
  bool has_full_layers_ = true;      // some layer keeps context_size rows
  // Ring layers hold the K/V of positions [ring_from_, position()) (each in row p mod ring_), with
  // kv_chains_ chains; earlier positions were overwritten. Always 0 without rings.
  int32_t ring_from_ = 0;
  std::unique_ptr<Scratch> scratch_;
  std::vector<float> hidden_;
  int32_t hidden_chains_ = 0;
};

}  // namespace colm
