// A persistent pool of worker threads shared by every kernel. Idle workers sleep on a
// condition variable (no spinning: laptops on battery); the calling thread works too, so a
// pool of size 1 runs everything inline with no thread at all.
#pragma once
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace colm {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);  // total threads, the caller included; clamped to >= 1
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Calls fn(i) for every i in [0, n_tasks) and returns when all calls are done.
  // Tasks are handed out dynamically, so uneven tasks balance themselves.
  // Not reentrant: one run() at a time per pool (the session serialises its work).
  void run(int n_tasks, const std::function<void(int)>& fn);

 private:
  void worker_loop();
  void work_on_current_job();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  uint64_t generation_ = 0;  // bumped for every job; workers wait for a new one
  bool stopping_ = false;
  const std::function<void(int)>* job_ = nullptr;
  int job_tasks_ = 0;
  std::atomic<int> next_task_{0};
  int active_workers_ = 0;  // workers still inside the current job
};

// The number of threads to use when the user did not say: the physical cores we can guess.
int default_thread_count();

}  // namespace colm
