// Which Q4 kernel variant runs: the one that goes with the active float kernels.
#include <algorithm>
#include <cstdlib>
#include <string>

#include "colm/kernels.h"
#include "colm/quant_q4.h"

namespace colm {

#if defined(COLM_HAVE_AVX2)
const Q4Kernels& q4_kernels_avx2();
#endif
#if defined(COLM_HAVE_AVX512)
const Q4Kernels& q4_kernels_avx512_vnni();
#endif
#if defined(__aarch64__)
const Q4Kernels& q4_kernels_neon();
#endif

namespace {

[[maybe_unused]] bool float_variant_available(const char* name) {
  for (const CpuKernels* k : cpu_kernels_available())
    if (std::string(k->name) == name) return true;
  return false;
}

#if defined(COLM_HAVE_AVX512)
bool cpu_has_avx512_vnni() {
  __builtin_cpu_init();
  return float_variant_available("avx512") && __builtin_cpu_supports("avx512vnni");
}
#endif

}  // namespace

std::vector<const Q4Kernels*> q4_kernels_available() {
  std::vector<const Q4Kernels*> out;
#if defined(COLM_HAVE_AVX512)
  if (cpu_has_avx512_vnni()) out.push_back(&q4_kernels_avx512_vnni());
#endif
#if defined(COLM_HAVE_AVX2)
  if (float_variant_available("avx2")) out.push_back(&q4_kernels_avx2());
#endif
#if defined(__aarch64__)
  out.push_back(&q4_kernels_neon());
#endif
  out.push_back(&q4_kernels_scalar());
  return out;
}

namespace {

const Q4Kernels& q4_kernels_for(const std::string& active) {
  static const std::vector<const Q4Kernels*> available = q4_kernels_available();
  if (active == "scalar") return q4_kernels_scalar();
  for (const Q4Kernels* k : available) {
    const std::string name = k->name;
    if (active == name) return *k;                                               // avx2, neon
    if (active.rfind("avx512", 0) == 0 && name.rfind("avx512", 0) == 0) return *k;  // avx512, avx512-bf16
  }
  // AVX-512 without VNNI: the AVX2 integer dot products.
  for (const Q4Kernels* k : available)
    if (std::string(k->name) == "avx2" && active.rfind("avx", 0) == 0) return *k;
  return q4_kernels_scalar();
}

}  // namespace

const Q4Kernels& q4_kernels() {
  // Looked up per product so that set_cpu_kernels applies to Q4 weights as well; matched by name
  // only when the float variant changed (a product must not allocate).
  thread_local const CpuKernels* matched_for = nullptr;
  thread_local const Q4Kernels* matched = nullptr;
  const CpuKernels* active = &cpu_kernels();
  if (active != matched_for) {
    matched = &q4_kernels_for(active->name);
    matched_for = active;
  }
  return *matched;
}

}  // namespace colm

namespace colm {

bool q4_float_activations() {
  // Read per product (one getenv, next to the product's microseconds), so a test can switch it.
  const char* v = std::getenv("COLM_Q4_ACTIVATIONS");
  return v != nullptr && v[0] == 'f' && v[1] == '3' && v[2] == '2' && v[3] == 0;
}

const Q8Acts* q4_prepare_acts(const MatmulJob* jobs, int32_t n_jobs, int32_t T, ThreadPool& pool) {
  if (q4_float_activations()) return nullptr;
  thread_local std::vector<Q8ActsBuffer> buffers;
  thread_local std::vector<Q8Acts> views;
  views.assign(size_t(n_jobs), Q8Acts{});
  if (buffers.size() < size_t(n_jobs)) buffers.resize(size_t(n_jobs));
  bool any = false;
  for (int32_t j = 0; j < n_jobs; ++j) {
    int64_t kq = 0;
    for (int32_t b = 0; b < jobs[j].n_blocks; ++b)
      if (dtype_is_q4(jobs[j].blocks[b].w.dtype)) kq = std::max<int64_t>(kq, jobs[j].blocks[b].w.cols);
    if (kq == 0) continue;
    any = true;
    int32_t same = -1;
    for (int32_t i = 0; i < j; ++i)
      if (jobs[i].x == jobs[j].x && jobs[i].ldx == jobs[j].ldx && views[size_t(i)].ld >= kq) same = i;
    if (same >= 0) {
      views[size_t(j)] = views[size_t(same)];
      continue;
    }
    // (Workers see the buffer through this reference: a thread_local named inside the lambda
    // would be each worker's own.)
    Q8ActsBuffer& buf = buffers[size_t(j)];
    buf.resize(T, kq);
    const float* x = jobs[j].x;
    const int64_t ldx = jobs[j].ldx;
    const Q4Kernels& k = q4_kernels();
    if (T <= 4) {
      buf.quantize_rows(x, ldx, kq, 0, T, &k);
    } else {
      const int32_t step = 4;
      pool.run((T + step - 1) / step, [&](int i) { buf.quantize_rows(x, ldx, kq, i * step, std::min(T, i * step + step), &k); });
    }
    views[size_t(j)] = buf.view(kq);
  }
  return any ? views.data() : nullptr;
}

}  // namespace colm
