#include "colm/thread_pool.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
static inline void cpu_relax() { _mm_pause(); }
#elif defined(__aarch64__)
static inline void cpu_relax() { __asm__ volatile("yield"); }
#else
static inline void cpu_relax() {}
#endif

namespace colm {

namespace {
// About 100 us of pause instructions: longer than the gap between two regions of one token,
// much shorter than a human notices.
constexpr int kSpinIterations = 1 << 12;
}  // namespace

ThreadPool::ThreadPool(int n_threads) {
  if (n_threads < 1) n_threads = 1;
  for (int i = 1; i < n_threads; ++i) workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::work_on_current_job() {
  for (;;) {
    int i = next_task_.fetch_add(1, std::memory_order_relaxed);
    if (i >= job_tasks_) return;
    (*job_)(i);
  }
}

void ThreadPool::worker_loop() {
  uint64_t seen = 0;
  for (;;) {
    // Spin a little: the next region of this token usually starts within microseconds.
    bool has_job = false;
    for (int spin = 0; spin < kSpinIterations; ++spin) {
      if (generation_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_relaxed)) {
        has_job = true;
        break;
      }
      cpu_relax();
    }
    if (!has_job) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1);
      wake_.wait(lock, [&] { return stopping_.load() || generation_.load() != seen; });
      sleepers_.fetch_sub(1);
    }
    if (stopping_.load()) return;
    seen = generation_.load(std::memory_order_acquire);
    work_on_current_job();
    unfinished_workers_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(int n_tasks, const std::function<void(int)>& fn) {
  if (n_tasks <= 0) return;
  if (workers_.empty() || n_tasks == 1) {
    for (int i = 0; i < n_tasks; ++i) fn(i);
    return;
  }
  job_ = &fn;
  job_tasks_ = n_tasks;
  next_task_.store(0, std::memory_order_relaxed);
  unfinished_workers_.store(int(workers_.size()), std::memory_order_relaxed);
  {
    // Under the mutex, so a worker between its predicate check and its wait cannot miss it.
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  if (sleepers_.load() > 0) wake_.notify_all();
  work_on_current_job();
  // Every worker must leave the job before fn (owned by the caller) goes away. On a busy
  // machine a worker may have lost its core: after a short spin, give the core away.
  for (int spin = 0; unfinished_workers_.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < 256) cpu_relax();
    else std::this_thread::yield();
  }
  job_ = nullptr;
}

int default_thread_count() {
  unsigned n = std::thread::hardware_concurrency();
  if (n == 0) return 1;
  // Decode is memory-bound: more threads than cores only adds contention.
  return int(n > 8 ? n / 2 : n);
}

}  // namespace colm
