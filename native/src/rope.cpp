#include "rope.h"

#include <cmath>

namespace colm {

std::vector<float> rope_inv_freq(const ModelConfig& c) {
  const int32_t half = c.head_dim / 2;
  std::vector<float> out(static_cast<size_t>(half));
  const RopeScaling& s = c.rope_scaling;
  const double two_pi = 6.283185307179586;
  for (int32_t i = 0; i < half; ++i) {
    double inv = 1.0 / std::pow(double(c.rope_theta), double(2 * i) / c.head_dim);
    if (s.llama3) {
      // Long wavelengths are slowed by `factor`, short ones kept, the band between blended.
      const double low_wavelen = s.original_max_position_embeddings / s.low_freq_factor;
      const double high_wavelen = s.original_max_position_embeddings / s.high_freq_factor;
      const double wavelen = two_pi / inv;
      if (wavelen > low_wavelen) {
        inv = inv / s.factor;
      } else if (wavelen >= high_wavelen) {
        double smooth = (s.original_max_position_embeddings / wavelen - s.low_freq_factor) /
                        (s.high_freq_factor - s.low_freq_factor);
        inv = (1.0 - smooth) * inv / s.factor + smooth * inv;
      }
    }
    // Linear: angle = (position / factor) * inv, the same as dividing the frequency.
    if (s.linear) inv = inv / s.factor;
    out[size_t(i)] = float(inv);
  }
  return out;
}

void rope_angles(const std::vector<float>& inv_freq, int64_t position, float* cos_out,
                 float* sin_out) {
  for (size_t i = 0; i < inv_freq.size(); ++i) {
    double angle = double(position) * double(inv_freq[i]);
    cos_out[i] = float(std::cos(angle));
    sin_out[i] = float(std::sin(angle));
  }
}

void rope_apply(float* x, int32_t n_heads, int64_t stride, int32_t head_dim, const float* cos_t,
                const float* sin_t) {
  const int32_t half = head_dim / 2;
  for (int32_t h = 0; h < n_heads; ++h) {
    float* v = x + h * stride;
    for (int32_t i = 0; i < half; ++i) {
      float a = v[i], b = v[i + half];
      v[i] = a * cos_t[i] - b * sin_t[i];
      v[i + half] = b * cos_t[i] + a * sin_t[i];
    }
  }
}

}  // namespace colm
