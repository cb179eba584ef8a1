// The native CoLM trainer: float32 master weights in FORMAT.md's per-chain layout, a full
// forward and backward of every part of the model (chain RMSNorm, chain linears walking only
// their stored blocks, RoPE, causal attention with the plain grouped or the CoLM-Air tiled KV
// map, SwiGLU, LM head prefixes, tied heads), the multi-chain loss (mean over k = 1..n of the
// cross-entropy of logits_k, every logits_k from one forward pass), AdamW with warm-up and
// cosine decay, global gradient-norm clipping and frozen chains.
//
// Deterministic: the same seed, data and options give bit-identical weights whatever the
// thread count, because every sum has a fixed order (work is split into fixed pieces; no
// atomics decide an order). No Node types here: native/addon/trainer_binding.cpp wraps it.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "colm/model.h"

namespace colm {

enum class TrainLoss {
  Multi,  // mean over k = 1..n of the cross-entropy of logits_k
  Full,   // cross-entropy of the full model (k = n) only
};

struct TrainOptions {
  uint64_t seed = 0;             // random initial weights (ignored when initial tensors are given)
  float lr = 1e-3f;              // peak learning rate, reached after warmup_steps
  float min_lr = 1e-4f;          // floor of the cosine decay, reached at total_steps
  int64_t warmup_steps = 0;      // linear warm-up from lr/warmup_steps
  int64_t total_steps = 1000;    // end of the cosine; later steps stay at min_lr
  float weight_decay = 0.1f;     // decoupled (AdamW); chain linears, Air K/V and an untied head only
  float beta1 = 0.9f;
  float beta2 = 0.95f;
  float eps = 1e-8f;
  float grad_clip = 1.0f;        // global L2 norm; 0 turns clipping off
  float label_smoothing = 0.0f;  // share of each target spread evenly over the vocabulary (0 <= e < 1)
  TrainLoss loss = TrainLoss::Multi;
  int32_t freeze_chains = 0;     // chains 1..K are not updated (0 <= K < n)
  int32_t threads = 0;           // 0: default_thread_count()
};

// A float32 tensor by FORMAT.md name: chain linears per chain (X.chains.{i}.weight) when the
// model has several chains, whole (X.weight) when it has one.
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

// Adam's moments per tensor (same names and shapes as the weights) and the steps taken.
struct OptimizerState {
  int64_t step = 0;
  std::vector<NamedTensor> m;
  std::vector<NamedTensor> v;
};

struct StepResult {
  double loss = 0;                     // the objective that was minimised (multi or full)
  std::vector<double> loss_per_chain;  // cross-entropy of logits_k, k = 1..n
  double grad_norm = 0;                // global norm of the trainable gradients, before clipping
  double lr = 0;                       // learning rate used by this step
  int64_t step = 0;                    // steps taken after this one
};

class Trainer {
 public:
  // `init`: the starting weights by FORMAT.md name (per chain or whole; a tied model's stored
  // lm_head is ignored); null draws them from options.seed. `state`: Adam's moments and step
  // count of an earlier run to continue exactly; null starts fresh. Throws Error naming the
  // option, tensor or rule that is wrong.
  Trainer(const ModelConfig& config, const TrainOptions& options,
          const std::vector<NamedTensor>* init = nullptr, const OptimizerState* state = nullptr);
  ~Trainer();
  Trainer(const Trainer&) = delete;
  Trainer& operator=(const Trainer&) = delete;

  // One optimiser step on a batch. `tokens` holds batch rows of seq_len + 1 ids each: the
  // first seq_len are the inputs, the last seq_len the next-token targets.
  StepResult step(const int32_t* tokens, int32_t batch, int32_t seq_len);

  // The loss of every sub-model on a batch (same layout), without touching the weights.
  std::vector<double> evaluate(const int32_t* tokens, int32_t batch, int32_t seq_len);

  // The gradient of the loss for every weight (export names, before clipping), without an
  // update. Frozen weights get zero gradients.
  StepResult compute_gradients(const int32_t* tokens, int32_t batch, int32_t seq_len,
                               std::vector<NamedTensor>* gradients);

  std::vector<NamedTensor> export_weights() const;
  OptimizerState export_optimizer_state() const;

  const ModelConfig& config() const;
  const TrainOptions& options() const;
  int64_t steps_taken() const;
  double lr_at(int64_t step) const;  // the schedule: learning rate of the step after `step` steps
  int64_t parameter_count() const;   // stored weights (a tied head counted once)
  int32_t threads() const;

  // Set from any thread: a running step stops between two layers and throws Cancelled,
  // leaving the weights as they were before the step. Cleared when a step ends; a flag set
  // while nothing runs stops the next step at once.
  std::atomic<bool> cancel{false};

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace colm
