// A persistent pool of worker threads shared by every kernel. Between two parallel regions of
// one token (microseconds apart) workers spin briefly so a region starts without a wake-up;
// after about 100 us without work they sleep on a condition variable, so an idle engine costs
// no CPU (laptops on battery). The calling thread works too: a pool of size 1 has no threads.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
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
  std::atomic<uint64_t> generation_{0};  // bumped for every job; workers wait for a new one
  std::atomic<bool> stopping_{false};
  std::atomic<int> sleepers_{0};
  const std::function<void(int)>* job_ = nullptr;
  int job_tasks_ = 0;
  std::atomic<int> next_task_{0};
  std::atomic<int> unfinished_workers_{0};  // workers still inside the current job
};

// The number of threads to use when the user did not say: the physical cores we can guess.
int default_thread_count();

}  // namespace colm
