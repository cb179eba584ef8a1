// Which of the trainer's kernel tables runs: the one of the engine's active kernel variant, so
// that --kernels / COLM_KERNELS / set_cpu_kernels choose the trainer's instruction set too.
#include <cstring>

#include "colm/kernels.h"
#include "train_kernels.h"

namespace colm {
namespace train {

#if defined(COLM_HAVE_AVX2)
const TrainKernels& train_kernels_avx2();
#endif
#if defined(COLM_HAVE_AVX512)
const TrainKernels& train_kernels_avx512();
#endif
#if defined(__aarch64__)
const TrainKernels& train_kernels_neon();
#endif

namespace {

// The trainer's table for an engine variant ("avx512-bf16" only changes the engine's decode
// precision: the trainer runs its AVX-512 table under it).
const TrainKernels& for_variant(const CpuKernels& k) {
  const char* name = k.name;
#if defined(COLM_HAVE_AVX512)
  if (std::strncmp(name, "avx512", 6) == 0) return train_kernels_avx512();
#endif
#if defined(COLM_HAVE_AVX2)
  if (std::strcmp(name, "avx2") == 0) return train_kernels_avx2();
#endif
#if defined(__aarch64__)
  if (std::strcmp(name, "neon") == 0) return train_kernels_neon();
#endif
  (void)name;
  return train_kernels_scalar();
}

struct Entry {
  const CpuKernels* engine;
  const TrainKernels* train;
};

struct Table {
  Entry entries[8];
  int n = 0;
  Table() {
    auto all = cpu_kernels_available();
    for (auto* k : cpu_kernels_opt_in()) all.push_back(k);
    for (auto* k : all)
      if (n < 8) entries[n++] = {k, &for_variant(*k)};
  }
};

}  // namespace

std::vector<const TrainKernels*> train_kernels_available() {
  std::vector<const TrainKernels*> out;
  for (auto* k : cpu_kernels_available()) {
    const TrainKernels* t = &for_variant(*k);
    bool seen = false;
    for (auto* o : out) seen = seen || o == t;
    if (!seen) out.push_back(t);
  }
  return out;
}

const TrainKernels& train_kernels() {
  static const Table table;
  const CpuKernels* active = &cpu_kernels();
  for (int i = 0; i < table.n; ++i)
    if (table.entries[i].engine == active) return *table.entries[i].train;
  return for_variant(*active);
}

}  // namespace train
}  // namespace colm
