// Portable 16-float vectors (GCC/Clang vector extensions) and the build attributes the
// trainer's loops share: on Linux x86-64 each exported function is cloned for AVX-512, AVX2+FMA
// and baseline x86-64 (target_clones) and the loader picks one; elsewhere it is built once and
// the compiler lowers the 64-byte vectors to whatever the target has.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define COLM_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define COLM_CLONES
#endif
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

}  // namespace train
}  // namespace colm
