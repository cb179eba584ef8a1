// Picks the kernel variant at run time and runs matmul over the thread pool.
#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "colm/kernels.h"
#include "colm/quant_q4.h"

namespace colm {

#if defined(COLM_HAVE_AVX2)
const CpuKernels& cpu_kernels_avx2();
#endif
#if defined(COLM_HAVE_AVX512)
const CpuKernels& cpu_kernels_avx512();
#endif
#if defined(COLM_HAVE_AVX512BF16)
const CpuKernels& cpu_kernels_avx512_bf16();
#endif
#if defined(__aarch64__)
const CpuKernels& cpu_kernels_neon();
#endif

namespace {

#if defined(COLM_HAVE_AVX2) || defined(COLM_HAVE_AVX512)
// The OS must save the wide registers (XCR0) as well as the CPU having the instructions.
uint64_t xgetbv0() {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (uint64_t(edx) << 32) | eax;
}
#endif

#if defined(COLM_HAVE_AVX2)
bool cpu_has_avx2() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma") || !__builtin_cpu_supports("avx")) return false;
  unsigned eax, ebx, ecx, edx;
  __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(1), "c"(0));
  const bool f16c = (ecx >> 29) & 1u, osxsave = (ecx >> 27) & 1u;
  return f16c && osxsave && (xgetbv0() & 0x6) == 0x6;
}
#endif

#if defined(COLM_HAVE_AVX512)
bool cpu_has_avx512() {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx512f") || !__builtin_cpu_supports("avx512bw") ||
      !__builtin_cpu_supports("avx512vl") || !__builtin_cpu_supports("avx512dq"))
    return false;
  return (xgetbv0() & 0xe6) == 0xe6;  // SSE, AVX and the three AVX-512 state components
}
#endif

const CpuKernels* g_active = nullptr;
std::once_flag g_init;

// Every variant that may be chosen by name: the available ones, then the opt-in ones.
std::vector<const CpuKernels*> selectable_kernels();

void init_active() {
  g_active = cpu_kernels_available().front();
  if (const char* want = std::getenv("COLM_KERNELS")) {
    for (auto* k : selectable_kernels())
      if (std::string(k->name) == want) g_active = k;
  }
}

}  // namespace

std::vector<const CpuKernels*> cpu_kernels_available() {
  std::vector<const CpuKernels*> out;
#if defined(COLM_HAVE_AVX512)
  if (cpu_has_avx512()) out.push_back(&cpu_kernels_avx512());
#endif
#if defined(COLM_HAVE_AVX2)
  if (cpu_has_avx2()) out.push_back(&cpu_kernels_avx2());
#endif
#if defined(__aarch64__)
  out.push_back(&cpu_kernels_neon());
#endif
  out.push_back(&cpu_kernels_scalar());
  return out;
}

std::vector<const CpuKernels*> cpu_kernels_opt_in() {
  std::vector<const CpuKernels*> out;
#if defined(COLM_HAVE_AVX512BF16)
  __builtin_cpu_init();
  if (cpu_has_avx512() && __builtin_cpu_supports("avx512bf16")) out.push_back(&cpu_kernels_avx512_bf16());
#endif
  return out;
}

const CpuKernels& cpu_kernels() {
  std::call_once(g_init, init_active);
  return *g_active;
}

namespace {
std::vector<const CpuKernels*> selectable_kernels() {
  auto all = cpu_kernels_available();
  for (auto* k : cpu_kernels_opt_in()) all.push_back(k);
  return all;
}
}  // namespace

bool set_cpu_kernels(const std::string& name) {
  std::call_once(g_init, init_active);
  for (auto* k : selectable_kernels()) {
    if (name == k->name) {
      g_active = k;
      return true;
    }
  }
  return false;
}

void matmul_jobs(const MatmulJob* jobs, int32_t n_jobs, int32_t T, ThreadPool& pool) {
  if (n_jobs <= 0 || T <= 0) return;
  const CpuKernels& k = cpu_kernels();
  // Cut every block into row ranges: enough tasks to balance the threads (blocks have
  // different K-extents, so work per row differs), few enough to amortise a task.
  struct Task {
    int32_t job, block, r0, r1;
  };
  thread_local std::vector<Task> tasks;
  tasks.clear();
  int64_t total_rows = 0;
  int32_t max_cols = 0;
  for (int32_t j = 0; j < n_jobs; ++j)
    for (int32_t b = 0; b < jobs[j].n_blocks; ++b) {
      total_rows += jobs[j].blocks[b].w.rows;
      max_cols = std::max(max_cols, jobs[j].blocks[b].w.cols);
    }
  if (total_rows == 0) return;
  const int64_t threads = pool.size();
  // Multiples of 32 rows: the prefill kernels work on panels of up to 32 rows.
  int32_t step = int32_t(std::max<int64_t>(32, (total_rows + threads * 8 - 1) / (threads * 8)));
  step = (step + 31) / 32 * 32;
  for (int32_t j = 0; j < n_jobs; ++j)
    for (int32_t b = 0; b < jobs[j].n_blocks; ++b)
      for (int32_t r = 0; r < jobs[j].blocks[b].w.rows; r += step)
        tasks.push_back({j, b, r, std::min(jobs[j].blocks[b].w.rows, r + step)});
  const std::vector<Task>& all = tasks;

  // Prefill: pack each distinct input once (q/k/v share theirs, so do gate/up), read-only for
  // every thread.
  const bool packed = T > 1 && k.x_tile > 0;
  thread_local std::vector<std::vector<float>> packs;
  // Reused across calls: decode runs ~60 of these regions per token, so no allocation here.
  // (The workers see these through the references below: a thread_local named inside the
  // lambda would be each worker's own, empty, copy.)
  thread_local std::vector<const float*> job_xp_buffer;
  thread_local std::vector<int64_t> job_kp_buffer;
  job_xp_buffer.assign(size_t(n_jobs), nullptr);
  job_kp_buffer.assign(size_t(n_jobs), 0);
  std::vector<const float*>& job_xp = job_xp_buffer;
  std::vector<int64_t>& job_kp = job_kp_buffer;
  thread_local std::vector<int32_t> to_pack_buffer;  // jobs whose input is packed here
  std::vector<int32_t>& to_pack = to_pack_buffer;
  to_pack.clear();
  if (packed) {
    if (packs.size() < size_t(n_jobs)) packs.resize(size_t(n_jobs));
    for (int32_t j = 0; j < n_jobs; ++j) {
      int64_t kp = 0;
      for (int32_t b = 0; b < jobs[j].n_blocks; ++b)
        if (!dtype_is_q4(jobs[j].blocks[b].w.dtype)) kp = std::max<int64_t>(kp, jobs[j].blocks[b].w.cols);
      if (kp == 0) continue;  // only Q4 blocks: they read the 8-bit activations below
      int32_t same = -1;
      for (int32_t i = 0; i < j; ++i)
        if (jobs[i].x == jobs[j].x && jobs[i].ldx == jobs[j].ldx && job_kp[size_t(i)] >= kp) same = i;
      if (same >= 0) {
        job_xp[size_t(j)] = job_xp[size_t(same)];
        job_kp[size_t(j)] = job_kp[size_t(same)];
        continue;
      }
      const size_t need = size_t((T + k.x_tile - 1) / k.x_tile) * size_t(k.x_tile) * size_t(kp);
      if (packs[size_t(j)].size() < need) packs[size_t(j)].resize(need);
      job_xp[size_t(j)] = packs[size_t(j)].data();
      job_kp[size_t(j)] = kp;
      to_pack.push_back(j);
    }
    // Tile b of a packed input depends only on input rows [b * x_tile, (b + 1) * x_tile), so
    // the tiles are packed in parallel when there is enough to pack (a 512 x 4096 input takes
    // milliseconds, a few percent of its product on two threads).
    const int32_t n_tiles = (T + k.x_tile - 1) / k.x_tile;
    int64_t pack_floats = 0;
    for (int32_t j : to_pack) pack_floats += int64_t(T) * job_kp[size_t(j)];
    auto pack_tile = [&](int i) {
      const int32_t j = to_pack[size_t(i / n_tiles)], b = i % n_tiles;
      // job_xp, not `packs`: inside this lambda that name would be each worker's own thread_local.
      k.pack_x(jobs[j].x, jobs[j].ldx, job_kp[size_t(j)], T, const_cast<float*>(job_xp[size_t(j)]), b, b + 1);
    };
    const int n_pack = int(to_pack.size()) * n_tiles;
    if (pool.size() > 1 && pack_floats >= (int64_t(1) << 16)) {
      pool.run(n_pack, pack_tile);
    } else {
      for (int i = 0; i < n_pack; ++i) pack_tile(i);
    }
  }

  // Q4 weights (colm/quant_q4.h): each job's input rows quantized to 8 bits once, shared read-only.
  const Q8Acts* q4_acts = q4_prepare_acts(jobs, n_jobs, T, pool);
  const Q4Kernels& q4 = q4_kernels();

  pool.run(int(all.size()), [&](int i) {
    thread_local std::vector<float> scratch;
    const size_t need = packed ? size_t(kMatmulScratchRows) * size_t(max_cols) : matmul_scratch_floats(max_cols, T);
    if (scratch.size() < need) scratch.resize(need);
    const Task& t = all[size_t(i)];
    const MatmulJob& job = jobs[t.job];
    const MatmulBlock& mb = job.blocks[t.block];
    if (dtype_is_q4(mb.w.dtype) && q4_acts == nullptr) {  // COLM_Q4_ACTIVATIONS=f32
      cpu_kernels_scalar().matmul_rows(mb.w, t.r0, t.r1, job.x, job.ldx, job.y + mb.out_offset, job.ldy, T, scratch.data());
    } else if (dtype_is_q4(mb.w.dtype)) {
      q4.matmul_rows(mb.w, t.r0, t.r1, q4_acts[t.job], T, job.y + mb.out_offset, job.ldy);
    } else if (packed) {
      k.matmul_rows_packed(mb.w, t.r0, t.r1, job_xp[size_t(t.job)], job_kp[size_t(t.job)], job.y + mb.out_offset, job.ldy, T, scratch.data());
    } else {
      k.matmul_rows(mb.w, t.r0, t.r1, job.x, job.ldx, job.y + mb.out_offset, job.ldy, T, scratch.data());
    }
  });
}

void matmul_blocks(const MatmulBlock* blocks, int32_t n_blocks, const float* x, int64_t ldx,
                   float* y, int64_t ldy, int32_t T, ThreadPool& pool) {
  MatmulJob job{blocks, n_blocks, x, ldx, y, ldy};
  matmul_jobs(&job, 1, T, pool);
}

void matmul(const WeightView& w, const float* x, int64_t ldx, float* y, int64_t ldy, int32_t T,
            ThreadPool& pool) {
  MatmulBlock b{w, 0};
  matmul_blocks(&b, 1, x, ldx, y, ldy, T, pool);
}

}  // namespace colm
