// Descent starts and descents computed ahead of the selection loop (internal to descent.cpp).
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gio/options.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/rng.hpp"
#include "gio/target_stats.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace gio::detail {

// Where each iteration's descent starts: the target mean, or for 'jump' a random target row.
// Jump rows are drawn in iteration order, on demand or ahead of time, so drawing ahead does not
// change the sequence. (They are the run's only random draws when random_restart_prob is 0.)
class DescentStarts {
 public:
  // rows: the jump rows drawn so far (the run's LoopState keeps them, for checkpoints).
  DescentStarts(const TargetStats& ts, VInit how, Rng& rng, std::vector<std::uint64_t>& rows)
      : ts_(ts), jump_(how == VInit::Jump), rng_(rng), rows_(rows) {}
  const double* operator()(std::size_t iteration) {
    if (!jump_) return ts_.mean().data();
    while (rows_.size() <= iteration) rows_.push_back(rng_.below(ts_.n()));
    return ts_.row(static_cast<std::size_t>(rows_[iteration]));
  }

 private:
  const TargetStats& ts_;
  bool jump_;
  Rng& rng_;
  std::vector<std::uint64_t>& rows_;
};

// Without discard_nearest_for_xy and without random restarts, an ordinary descent is a pure
// function of its start and |W| (DESIGN §2a), so the descents of the next iterations can run
// ahead, assuming each iteration adds one row: kernels::kBatch of them side by side per thread
// (one pass over X serves all four), on every thread, with no synchronisation inside a descent.
// An entry is used only if that assumption held; results equal those computed one at a time.
class DescentsAhead {
 public:
  DescentsAhead(const RelaxedKL& est, DescentStarts& starts, std::size_t d, int steps, double step, int n_threads)
      : est_(est), starts_(starts), d_(d), steps_(steps), step_(step), n_threads_(n_threads),
        out_(static_cast<std::size_t>(n_threads * kernels::kBatch) * d) {}

  // needed: how many more descents the run can use at most (its remaining budget of picks), so
  // that the last batches of a budgeted run are not computed in vain.
  void get(std::size_t iteration, std::size_t m_rows, double* v, std::size_t needed) {
    const bool ready = iteration >= it0_ && iteration < it0_ + filled_ && m_rows == m0_ + (iteration - it0_);
    if (!ready) {
      const std::size_t batches = (std::max<std::size_t>(needed, 1) + kernels::kBatch - 1) / kernels::kBatch;
      fill(iteration, m_rows, static_cast<int>(std::min<std::size_t>(batches, static_cast<std::size_t>(n_threads_))),
           nullptr, 0);
    }
    const double* r = out_.data() + (iteration - it0_) * d_;
    std::copy(r, r + d_, v);
  }

  // The first (long) descent of a run, from v, on one thread while the others already run the
  // ordinary descents of the next iterations.
  void long_descent_and_fill(std::size_t iteration, std::size_t m_rows, double* v, int long_steps) {
    if (n_threads_ < 2) {
      est_.descend(v, long_steps, step_, 1, m_rows);
      return;
    }
    fill(iteration + 1, m_rows + 1, n_threads_ - 1, v, long_steps);
  }

 private:
  // Batches for iterations [iteration, iteration + batches * kBatch); with `v`, one more thread
  // runs `v`'s long descent alongside.
  void fill(std::size_t iteration, std::size_t m_rows, int batches, double* v, int long_steps) {
    constexpr int B = kernels::kBatch;
    const std::size_t count = static_cast<std::size_t>(batches * B);
    for (std::size_t b = 0; b < count; ++b) {  // starts drawn here, in order, on this thread
      const double* s = starts_(iteration + b);
      std::copy(s, s + d_, out_.data() + b * d_);
    }
    const std::size_t long_m = m_rows - 1;
    const int jobs = batches + (v ? 1 : 0);
    FirstError err;
#pragma omp parallel for num_threads(jobs) schedule(static, 1) if (jobs > 1)
    for (int t = 0; t < jobs; ++t)
      err.run([&] {
        if (t == batches) {
          est_.descend(v, long_steps, step_, 1, long_m);
          return;
        }
        std::size_t m[B];
        for (int b = 0; b < B; ++b) m[b] = m_rows + static_cast<std::size_t>(t * B + b);
        est_.descend_batch(out_.data() + static_cast<std::size_t>(t * B) * d_, steps_, step_, m);
      });
    err.rethrow();
    it0_ = iteration;
    m0_ = m_rows;
    filled_ = count;
  }

  const RelaxedKL& est_;
  DescentStarts& starts_;
  std::size_t d_;
  int steps_;
  double step_;
  int n_threads_;
  std::vector<double> out_;
  std::size_t it0_ = 0, m0_ = 0, filled_ = 0;
};

}  // namespace gio::detail
