// Q4_0 / Q4_K blocks (llama.cpp's layouts, colm/quant_q4.h): dequantization bit for bit as
// gguf-py, the quantizers the tests and `colm quantize` share, and the 8-bit activations the
// integer kernels read.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "colm/quant_q4.h"

namespace colm {

namespace {

inline float f16_at(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return f16_to_f32(h);
}

inline void put_f16(uint8_t* p, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(p, &h, 2);
}

}  // namespace

// ---- dequantization ----

void dequantize_row_q4_0(const uint8_t* blocks, int64_t n, float* dst) {
  for (int64_t b = 0; b < n / kQ4_0Block; ++b) {
    const uint8_t* blk = blocks + b * kQ4_0Bytes;
    const float d = f16_at(blk);
    float* out = dst + b * kQ4_0Block;
    for (int i = 0; i < 16; ++i) {
      out[i] = d * float(int(blk[2 + i] & 15) - 8);
      out[i + 16] = d * float(int(blk[2 + i] >> 4) - 8);
    }
  }
}

void dequantize_row_q4_k(const uint8_t* blocks, int64_t n, float* dst) {
  for (int64_t b = 0; b < n / kQ4KBlock; ++b) {
    const uint8_t* blk = blocks + b * kQ4KBytes;
    const float d = f16_at(blk), dmin = f16_at(blk + 2);
    const uint8_t* qs = blk + 16;
    float* out = dst + b * kQ4KBlock;
    for (int j = 0; j < 8; ++j) {
      uint8_t sc, m;
      q4k_scale_min(j, blk + 4, sc, m);
      // gguf-py: (d * sc) * q - dmin * m, every product rounded to float32 (all exact but the last).
      const float ds = d * float(sc), dm = dmin * float(m);
      const int shift = (j & 1) * 4;
      for (int i = 0; i < 32; ++i) {
        const float q = float((qs[32 * (j / 2) + i] >> shift) & 15);
        const volatile float prod = ds * q;  // no fused multiply-subtract: gguf-py rounds the product
        out[32 * j + i] = prod - dm;
      }
    }
  }
}

// ---- quantization ----

void quantize_row_q4_0(const float* src, int64_t n, uint8_t* blocks) {
  for (int64_t b = 0; b < n / kQ4_0Block; ++b) {
    const float* x = src + b * kQ4_0Block;
    uint8_t* blk = blocks + b * kQ4_0Bytes;
    // The value of largest magnitude, with its sign (the first one on ties, as numpy's argmax).
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < 32; ++i)
      if (std::fabs(x[i]) > amax) {
        amax = std::fabs(x[i]);
        max = x[i];
      }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_f16(blk, d);
    for (int i = 0; i < 16; ++i) {
      const volatile float a = x[i] * id, c = x[i + 16] * id;  // gguf-py: trunc(x * id + 8.5)
      const int q0 = std::min(15, int(std::trunc(a + 8.5f)));
      const int q1 = std::min(15, int(std::trunc(c + 8.5f)));
      blk[2 + i] = uint8_t(q0 | (q1 << 4));
    }
  }
}

void quantize_row_q4_k(const float* src, int64_t n, uint8_t* blocks) {
  for (int64_t b = 0; b < n / kQ4KBlock; ++b) {
    const float* x = src + b * kQ4KBlock;
    uint8_t* blk = blocks + b * kQ4KBytes;
    float scale[8], minv[8];  // per sub-block: step and -min (min clipped to <= 0)
    float max_scale = 0.0f, max_min = 0.0f;
    for (int j = 0; j < 8; ++j) {
      float lo = 0.0f, hi = x[32 * j];
      for (int i = 0; i < 32; ++i) {
        lo = std::min(lo, x[32 * j + i]);
        hi = std::max(hi, x[32 * j + i]);
      }
      scale[j] = std::max(0.0f, hi - lo) / 15.0f;
      minv[j] = -lo;
      max_scale = std::max(max_scale, scale[j]);
      max_min = std::max(max_min, minv[j]);
    }
    const uint16_t dh = f32_to_f16(max_scale / 63.0f), dmh = f32_to_f16(max_min / 63.0f);
    std::memcpy(blk, &dh, 2);
    std::memcpy(blk + 2, &dmh, 2);
    const float d = f16_to_f32(dh), dmin = f16_to_f32(dmh);
    uint8_t sc[8], m[8];
    for (int j = 0; j < 8; ++j) {
      // The scale rounded up (so the range still fits 15 steps), the min to nearest.
      sc[j] = uint8_t(d > 0.0f ? std::min(63.0f, std::ceil(scale[j] / d)) : 0.0f);
      m[j] = uint8_t(dmin > 0.0f ? std::min(63.0f, std::round(minv[j] / dmin)) : 0.0f);
    }
    uint8_t* s = blk + 4;
    std::memset(s, 0, 12);
    for (int j = 0; j < 8; ++j) {
      if (j < 4) {
        s[j] |= sc[j] & 63;
        s[j + 4] |= m[j] & 63;
      } else {
        s[j + 4] = uint8_t((sc[j] & 0xF) | ((m[j] & 0xF) << 4));
        s[j - 4] |= uint8_t((sc[j] >> 4) << 6);
        s[j] |= uint8_t((m[j] >> 4) << 6);
      }
    }
    uint8_t* qs = blk + 16;
    std::memset(qs, 0, 128);
    for (int j = 0; j < 8; ++j) {
      const float ds = d * float(sc[j]), dm = dmin * float(m[j]);
      for (int i = 0; i < 32; ++i) {
        int q = ds > 0.0f ? int(std::round((x[32 * j + i] + dm) / ds)) : 0;
        q = std::max(0, std::min(15, q));
        qs[32 * (j / 2) + i] |= uint8_t(q << ((j & 1) * 4));
      }
    }
  }
}

// ---- 8-bit activations ----

void quantize_acts_q8(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum) {
  for (int64_t b = 0; b < K / kQ8ActBlock; ++b) {
    const float* xb = x + b * kQ8ActBlock;
    float amax = 0.0f;
    for (int i = 0; i < kQ8ActBlock; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float scale = amax / 127.0f, inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    int32_t s = 0;
    for (int i = 0; i < kQ8ActBlock; ++i) {
      const float v = std::round(xb[i] * inv);  // ties away from zero
      const int iv = int(std::max(-127.0f, std::min(127.0f, v)));
      q[b * kQ8ActBlock + i] = int8_t(iv);
      s += iv;
    }
    d[b] = scale;
    sum[b] = s;
  }
}

void group_acts_q8(const int8_t* q, const float* d, int64_t K, int8_t* halves, int32_t* minus8, float* d_lanes) {
  constexpr int kHalf = kQ8ActBlock / 2, kLanes = kHalf / 4;  // 16 bytes a half, 4 lanes a block
  for (int64_t g = 0; g < K / (kQ4Group * kQ8ActBlock); ++g) {
    const int8_t* src = q + g * kQ4Group * kQ8ActBlock;
    int8_t* dst = halves + g * kQ4Group * kQ8ActBlock;
    for (int i = 0; i < kQ4Group; ++i) {
      const int8_t* block = src + i * kQ8ActBlock;
      std::memcpy(dst + i * kHalf, block, kHalf);
      std::memcpy(dst + (kQ4Group + i) * kHalf, block + kHalf, kHalf);
      for (int j = 0; j < kLanes; ++j) {
        int32_t s = 0;
        for (int k = 0; k < 4; ++k) s += block[4 * j + k] + block[kHalf + 4 * j + k];
        minus8[g * kQ4Group * kLanes + i * kLanes + j] = -8 * s;
        d_lanes[g * kQ4Group * kLanes + i * kLanes + j] = d[g * kQ4Group + i];
      }
    }
  }
}

void Q8ActsBuffer::resize(int32_t T, int64_t ld) {
  const size_t n = size_t(T) * size_t(ld);
  if (q.size() < n) {
    q.resize(n);
    halves.resize(n);
  }
  if (d.size() < n / kQ8ActBlock) {
    d.resize(n / kQ8ActBlock);
    sum.resize(n / kQ8ActBlock);
  }
  if (minus8.size() < n / 8) {
    minus8.resize(n / 8);
    d_lanes.resize(n / 8);
  }
}

void quantize_acts_scalar(const float* x, int64_t K, int8_t* q, float* d, int32_t* sum, int8_t* halves, int32_t* minus8,
                          float* d_lanes) {
  quantize_acts_q8(x, K, q, d, sum);
  group_acts_q8(q, d, K, halves, minus8, d_lanes);
}

void Q8ActsBuffer::quantize_rows(const float* x, int64_t ldx, int64_t ld, int32_t t0, int32_t t1, const Q4Kernels* k) {
  const auto quantize = k != nullptr ? k->quantize_acts : quantize_acts_scalar;
  const int64_t nb = ld / kQ8ActBlock;
  for (int32_t t = t0; t < t1; ++t)
    quantize(x + int64_t(t) * ldx, ld, q.data() + int64_t(t) * ld, d.data() + int64_t(t) * nb, sum.data() + int64_t(t) * nb,
             halves.data() + int64_t(t) * ld, minus8.data() + int64_t(t) * (ld / 8), d_lanes.data() + int64_t(t) * (ld / 8));
}

}  // namespace colm
