// Portable 16-float vectors (GCC/Clang vector extensions) for the trainer's elementwise loops:
// train_isa_body.h is compiled once per instruction set (train_isa_*.cpp), and each build lowers
// the 64-byte vectors to its own registers (one zmm, two ymm, four xmm or q registers).
#pragma once
#include <cstdint>
#include <cstring>

#define COLM_INLINE static inline __attribute__((always_inline))

#if defined(__GNUC__)
// The 64-byte vectors never cross a call boundary (every helper is always_inline), so the note
// about their calling convention without AVX-512 does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace colm {
namespace train {

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

}  // namespace train
}  // namespace colm
