// OpenMP helpers: thread counts per call, and exceptions carried out of parallel regions.
#pragma once
#include <atomic>
#include <exception>
#include <mutex>

#include "gio/interrupt.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gio::detail {

// n_threads <= 0 means "whatever OpenMP would use" (OMP_NUM_THREADS or all cores).
inline int resolve_threads(int n_threads) {
#ifdef _OPENMP
  return n_threads > 0 ? n_threads : omp_get_max_threads();
#else
  (void)n_threads;
  return 1;
#endif
}

// Keeps the first exception thrown inside a parallel region; rethrow() after the region.
class FirstError {
 public:
  template <class F>
  void run(F&& f) noexcept {
    try {
      f();
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!err_) err_ = std::current_exception();
    }
  }
  void rethrow() const {
    if (err_) std::rethrow_exception(err_);
  }

 private:
  std::mutex mu_;
  std::exception_ptr err_;
};

// Lets a long loop end early on an interrupt (Ctrl-C). Only the calling thread may run the
// InterruptCheck (it may take Python's GIL), which inside a parallel region is OpenMP's thread 0;
// once it fires, every thread skips its remaining iterations. After the loop,
// throw_if_stopped() throws gio::Interrupted. The check itself rate-limits (bindings: 50 ms).
class Stopper {
 public:
  explicit Stopper(const InterruptCheck* check) : check_(check != nullptr && *check ? check : nullptr) {}
  // In the loop body: true means skip this iteration.
  bool stop() {
    if (check_ == nullptr) return false;
    if (stopped_.load(std::memory_order_relaxed)) return true;
#ifdef _OPENMP
    if (omp_get_thread_num() != 0) return false;
#endif
    if ((*check_)()) stopped_.store(true, std::memory_order_relaxed);
    return stopped_.load(std::memory_order_relaxed);
  }
  bool stopped() const { return stopped_.load(); }
  // After the loop, on the calling thread, which asks once more: in a short dynamically scheduled
  // loop it may have run no iteration, and so never asked (an interrupt during set-up would then
  // surface only at the first pick, as an InterruptedRun).
  void throw_if_stopped() {
    if (check_ != nullptr && !stopped_.load() && (*check_)()) stopped_.store(true);
    if (stopped_.load()) throw Interrupted();
  }

 private:
  const InterruptCheck* check_;
  std::atomic<bool> stopped_{false};
};

}  // namespace gio::detail
