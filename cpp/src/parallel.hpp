// OpenMP helpers: thread counts per call, and exceptions carried out of parallel regions.
#pragma once
#include <exception>
#include <mutex>

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

}  // namespace gio::detail
