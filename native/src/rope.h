// Rotary position embedding, Hugging Face "rotate half" convention: dimension i pairs with
// i + head_dim/2. Frequencies include HF's "llama3" or "linear" scaling when the config asks for it.
#pragma once
#include <cstdint>
#include <vector>

#include "colm/model.h"

namespace colm {

// (head_dim/2) inverse frequencies theta^(-2i/head_dim), llama3- or linear-scaled when configured.
std::vector<float> rope_inv_freq(const ModelConfig& c);

// Fills cos/sin tables (head_dim/2 each) for one position.
void rope_angles(const std::vector<float>& inv_freq, int64_t position, float* cos_out, float* sin_out);

// Rotates n_heads heads of x (each head_dim floats, heads `stride` floats apart) in place.
void rope_apply(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* cos_t,
                const float* sin_t);

}  // namespace colm
