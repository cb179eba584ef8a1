// Portable 16-float vectors (GCC/Clang vector extensions) and the math on them (exp) that the
// trainer's elementwise loops (train/train_isa_body.h) and the inference kernels' softmax
// (kernels/cpu/softmax_body.h) share. A file that includes this is compiled once per instruction
// set, and each build lowers the 64-byte vectors to its own registers (one zmm, two ymm, four xmm
// or q registers). Everything has internal linkage (COLM_INLINE is static), so no copy compiled
// for a wider set can stand in for another file's at link time.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#define COLM_INLINE static inline __attribute__((always_inline))

#if defined(__GNUC__)
// The 64-byte vectors never cross a call boundary (every helper is always_inline), so the note
// about their calling convention without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace colm {
namespace simd {

typedef float v16 __attribute__((vector_size(64), aligned(4)));
typedef int32_t vi16 __attribute__((vector_size(64), aligned(4)));

COLM_INLINE v16 vload(const float* p) {
  v16 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

COLM_INLINE void vstore(float* p, v16 v) { std::memcpy(p, &v, sizeof v); }

// Comparisons and selects go through the widest vector the build's target has: GCC splits the
// arithmetic of a 64-byte vector into native pieces by itself, but does a comparison or a select
// one lane at a time when the vector is wider than the target's (AVX2, SSE2).
#if defined(__AVX512F__)
#define COLM_VN_BYTES 64
#elif defined(__AVX__)
#define COLM_VN_BYTES 32
#else
#define COLM_VN_BYTES 16
#endif
typedef float vn __attribute__((vector_size(COLM_VN_BYTES), aligned(4)));
typedef int32_t vin __attribute__((vector_size(COLM_VN_BYTES), aligned(4)));
constexpr int kVnParts = 64 / COLM_VN_BYTES;

COLM_INLINE v16 vmax(v16 a, v16 b) {
  vn pa[kVnParts], pb[kVnParts];
  std::memcpy(pa, &a, sizeof a);
  std::memcpy(pb, &b, sizeof b);
  for (int i = 0; i < kVnParts; ++i) pa[i] = pa[i] > pb[i] ? pa[i] : pb[i];
  std::memcpy(&a, pa, sizeof a);
  return a;
}

COLM_INLINE v16 vmin(v16 a, v16 b) {
  vn pa[kVnParts], pb[kVnParts];
  std::memcpy(pa, &a, sizeof a);
  std::memcpy(pb, &b, sizeof b);
  for (int i = 0; i < kVnParts; ++i) pa[i] = pa[i] < pb[i] ? pa[i] : pb[i];
  std::memcpy(&a, pa, sizeof a);
  return a;
}

// -1 (every bit) where a > b, else 0.
COLM_INLINE vi16 vgt(v16 a, v16 b) {
  vn pa[kVnParts], pb[kVnParts];
  vin r[kVnParts];
  std::memcpy(pa, &a, sizeof a);
  std::memcpy(pb, &b, sizeof b);
  for (int i = 0; i < kVnParts; ++i) r[i] = pa[i] > pb[i];
  vi16 out;
  std::memcpy(&out, r, sizeof out);
  return out;
}

// 16 floats: the compiler maps it to one AVX-512 register, two AVX2 ones, or four SSE ones.
constexpr int kLanes = 16;

COLM_INLINE v16 vsplat(float a) { return v16{} + a; }

// Lanes summed in lane order: a fixed order whatever the instruction set.
COLM_INLINE float hsum(v16 v) {
  float t = 0.0f;
  for (int l = 0; l < kLanes; ++l) t += v[l];
  return t;
}
COLM_INLINE float hmax(v16 v) {
  float m = v[0];
  for (int l = 1; l < kLanes; ++l) m = v[l] > m ? v[l] : m;
  return m;
}

// exp(x) within 2 ulp for x in float range (Cephes' polynomial on x - n ln 2, times 2^n).
COLM_INLINE v16 vexp(v16 x) {
  x = vmax(x, vsplat(-87.0f));
  x = vmin(x, vsplat(88.0f));
  const v16 y = x * 1.44269504088896341f + 0.5f;
  vi16 n = __builtin_convertvector(y, vi16);  // toward zero, then down by one where that rounded up
  n += vgt(__builtin_convertvector(n, v16), y);  // (a true comparison is -1 in every bit)
  const v16 fx = __builtin_convertvector(n, v16);
  const v16 r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  const v16 z = r * r;
  v16 p = vsplat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const vi16 bits = (n + 127) << 23;
  v16 scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// The same function one value at a time (tails).
COLM_INLINE float fast_exp(float x) {
  x = x > 88.0f ? 88.0f : x < -87.0f ? -87.0f : x;
  const float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  const float r = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  const float z = r * r;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * z + r + 1.0f;
  const int32_t bits = (int32_t(fx) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, 4);
  return p * scale;
}

}  // namespace simd
}  // namespace colm
