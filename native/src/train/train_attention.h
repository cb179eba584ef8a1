// Causal self-attention of one head over one sequence, forward and backward, as block products
// on the trainer's GEMM tiles: queries in blocks of 64 rows, each block scoring only the keys
// up to its last position.
#pragma once
#include <cstdint>
#include <vector>

namespace colm {
namespace train {

struct AttentionHead {
  int32_t T = 0, hd = 0;
  float scale = 1.0f;
  const float* q = nullptr;   // (T, hd) rows ldq apart, after RoPE
  int64_t ldq = 0;
  const float* k = nullptr;   // (T, hd) rows ldkv apart, after RoPE
  const float* v = nullptr;
  int64_t ldkv = 0;
  const float* kT = nullptr;  // (hd, T) the keys transposed
  const float* vT = nullptr;  // (hd, T) the values transposed (backward)
};

// out (T, hd) rows ldo apart; lse (T): log-sum-exp of each row's scaled scores.
// scratch: grows to T*T floats.
void attention_head_forward(const AttentionHead& h, float* out, int64_t ldo, float* lse, std::vector<float>& scratch);

// o: the forward's output; d_o its gradient. Writes dq (T, hd) rows lddq apart and this head's
// share of dk, dv: (T, hd) contiguous each, overwritten. scratch: grows to 2*T*T floats.
void attention_head_backward(const AttentionHead& h, const float* o, int64_t ldo, const float* d_o, int64_t lddo,
                             const float* lse, float* dq, int64_t lddq, float* dk, float* dv,
                             std::vector<float>& scratch);

}  // namespace train
}  // namespace colm
