// Token sampling: repetition penalty, top-k, temperature, top-p, min-p, then a seeded draw.
// The same seed and the same logits give the same tokens on every platform.
#pragma once
#include <cstdint>
#include <vector>

namespace colm {

struct SamplerParams {
  float temperature = 0.8f;     // <= 0 means greedy (argmax, ties to the lowest id)
  int32_t top_k = 40;           // <= 0 means off
  float top_p = 0.95f;          // >= 1 means off
  float min_p = 0.05f;          // <= 0 means off; keeps p >= min_p * p_max
  float repeat_penalty = 1.0f;  // 1 means off; llama.cpp's rule: logit > 0 ? l / pen : l * pen
  int32_t repeat_last_n = 64;   // how many recent tokens the penalty looks at
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(const SamplerParams& params);

  // Picks the next token from logits[0..n_vocab). `recent` are the tokens already in the
  // context, oldest first; the penalty looks at the last repeat_last_n of them.
  int32_t sample(const float* logits, int32_t n_vocab, const int32_t* recent, int32_t n_recent);

  const SamplerParams& params() const { return params_; }

 private:
  SamplerParams params_;
  uint64_t rng_state_[4];  // xoshiro256** state, seeded from `seed` by splitmix64
  std::vector<float> scratch_logits_;    // (n_vocab) sanitised, penalised logits
  std::vector<int32_t> scratch_ids_;     // (n_vocab) candidate ids, filtered in place
  std::vector<double> scratch_weights_;  // (n_vocab) by id: exp((logit - max) / temperature)
  uint64_t next_u64();
  double next_uniform();  // in [0, 1)
};

}  // namespace colm
