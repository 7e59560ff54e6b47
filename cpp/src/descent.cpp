#include "descent.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gio/pool_index.hpp"
#include "gio/rng.hpp"
#include "descents_ahead.hpp"
#include "kernels/kernels.hpp"
#include "reference_rules.hpp"
#include "run.hpp"

namespace gio::detail {
namespace {

constexpr int kStepsPerInterruptCheck = 32;

double norm(const std::vector<double>& v) { return std::sqrt(kernels::dot(v.data(), v.data(), v.size())); }

template <class T, class Est>
class DescentSearch {
 public:
  // The one-process search: a PoolIndex over the pool.
  DescentSearch(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
                const Result* resume)
      : o_(o), de_(o.descent), run_(pool, target, init, o, hooks, resume), res_(run_.result()), st_(res_.loop),
        ts_(run_.ts()), est_(run_.est()),
        own_index_(std::make_unique<PoolIndex<T>>(pool, o.projection, run_.n_threads(), run_.interrupt_check(),
                                                  &ts_.frame())),
        index_(*own_index_), rng_(o.seed), starts_(ts_, de_.v_init, rng_, st_.jump_rows), v_(target.cols) {
    start(target);
  }

  // A caller's projection, which also gives the pool's rows (projection.use_frame: the run's frame).
  DescentSearch(PoolProjection<T>& projection, MatrixView<T> target, MatrixView<T> init, const Options& o,
                const Hooks& hooks, const Result* resume)
      : o_(o), de_(o.descent), run_(projection, target, init, o, hooks, resume), res_(run_.result()), st_(res_.loop),
        ts_(run_.ts()), est_(run_.est()), index_(projection), rng_(o.seed),
        starts_(ts_, de_.v_init, rng_, st_.jump_rows), v_(target.cols) {
    index_.use_frame(ts_.frame());
    start(target);
  }

 private:
  void start(MatrixView<T> target) {
    if (run_.resumed()) {
      if (st_.v.size() != target.cols)
        throw std::invalid_argument("the resumed state's v has " + std::to_string(st_.v.size()) + " values for the " +
                                    std::to_string(target.cols) + " columns of the target");
      const std::size_t since = st_.reset_marks.empty() ? 0 : static_cast<std::size_t>(st_.reset_marks.back());
      for (std::size_t r = since; r < res_.selected.size(); ++r) index_.take(res_.selected[r]);
      rng_.skip_to(st_.rng_draws);
      v_ = st_.v;
      scale_ = res_.scale_factor;
    } else {
      restart_v(0);
      res_.scale_factor = scale_ = initial_scale();
    }
    if constexpr (!kKnn) {
      const bool pure = de_.v_init != VInit::PrevOpt && !est_.depends_on_w() && de_.random_restart_prob == 0;
      if (pure) lookahead_ = index_.lookahead();
      if (pure && ts_.n() * target.cols < RelaxedKL::kParallelStepWork)
        ahead_ = std::make_unique<DescentsAhead>(est_, starts_, target.cols, de_.grad_desc_iter, de_.lr * scale_,
                                                 run_.n_threads());
    }
  }

 public:
  Result run() {
    for (;;) {
      const bool round_start = pending_.empty();  // always, except inside a knn batch
      if (round_start) {
        run_.mark_boundary(rng_.draws(), v_);
        if (run_.between_iterations()) break;
      }
      if (run_.budget_reached()) break;
      descend(long_descent(round_start), round_start);
      std::int64_t row = -1;
      try {
        row = project_or_reset();  // the first projection builds the HNSW index, which polls interrupts
      } catch (const InterruptedRun&) {
        throw;
      } catch (const Interrupted&) {
        run_.throw_interrupted_run();
      }
      if (row < 0) {
        res_.stop_reason = "pool exhausted";
        break;
      }
      index_.take(row);
      const double kl = run_.score(row);  // also leaves the row ready for est.commit()
      ++res_.n_iter;
      if (o_.reference_semantics ? reference_step(row, kl) : native_step(row, kl)) break;
    }
    return finish();
  }

 private:
  static constexpr bool kKnn = Run<T, Est>::kKnn;

  // v for iteration `it` (mean or jump); prev_opt keeps v. 'worst' depends on W, so knn rounds
  // choose their starts when they begin (fill_round).
  void restart_v(std::size_t it) {
    if (de_.v_init == VInit::Worst) return;
    const double* x = starts_(it);
    v_.assign(x, x + v_.size());
  }

  // Step scale. The reference's 'auto' is |v0| / |grad(v0)|; natively we use the target's spread
  // instead of |v0| (invariant to where the origin is) and floor |grad(v0)| at 1e-3 of its largest
  // possible value, so a vanishing gradient at mean(X) cannot throw v out of the data. Natively v
  // and the gradient are in the target's frame, so the scale (given or 'auto') is in its units.
  double initial_scale() {
    if (!de_.scale_auto) return de_.scale_factor;
    // knn steps are normalized (KnnKL::descend): 'auto' makes a step lr times the target's spread.
    if constexpr (kKnn) {
      return ts_.spread() > 0 ? ts_.spread() : 1.0;
    } else {
      std::vector<double> g(v_.size());
      est_.gradient(v_.data(), g.data());
      const double gn = norm(g);
      double scale;
      if (o_.reference_semantics) {
        scale = norm(v_) / gn;
      } else {
        const double denom = std::max(gn, 1e-3 * est_.gradient_bound(v_.data()));
        scale = (denom > 0 && ts_.spread() > 0) ? ts_.spread() / denom : 1.0;
      }
      if (!std::isfinite(scale))
        throw std::invalid_argument("the 'auto' scale factor is not finite (|v0| = " + std::to_string(norm(v_)) +
                                    ", |grad| = " + std::to_string(gn) + "); pass a numeric scale_factor");
      return scale;
    }
  }

  // Long descent on the first iteration and after a reset; otherwise a random restart with
  // probability random_restart_prob (drawn only then, as the reference does).
  bool long_descent(bool round_start) {
    const bool first = o_.reference_semantics ? st_.i == 0 : res_.n_iter == 0;
    bool long_one = first || st_.just_reset;
    if (round_start && !long_one && de_.random_restart_prob > 0) long_one = rng_.uniform() < de_.random_restart_prob;
    return long_one;
  }

  // Moves v to this iteration's descent end point.
  void descend(bool long_one, bool round_start) {
    if constexpr (kKnn) {
      if (round_start) fill_round(long_one);
      v_ = std::move(pending_.front());
      pending_.pop_front();
    } else if (lookahead_ > 0 && !long_one) {
      next_announced();
    } else if (ahead_ && !long_one) {
      ahead_->get(static_cast<std::size_t>(res_.n_iter), est_.m(), v_.data(), run_.picks_left());
    } else if (ahead_ && res_.n_iter == 0) {
      ahead_->long_descent_and_fill(0, est_.m(), v_.data(), 3 * de_.grad_desc_iter);
    } else {
      descend_from(v_.data(), de_.grad_desc_iter * (long_one ? 3 : 1), est_.m());
    }
    if (!std::all_of(v_.begin(), v_.end(), [](double x) { return std::isfinite(x); }))
      throw std::invalid_argument("gradient descent diverged (v is not finite, lr = " + std::to_string(de_.lr) +
                                  ", scale_factor = " + std::to_string(scale_) + "); lower lr or scale_factor");
  }

  void descend_from(double* v, int steps, std::size_t m_rows) {
    for (int left = steps; left > 0; left -= kStepsPerInterruptCheck) {
      est_.descend(v, std::min(left, kStepsPerInterruptCheck), de_.lr * scale_, run_.n_threads(), m_rows);
      run_.check_interrupt();
    }
  }

  // Relaxed, with a projection that wants its queries ahead: the ordinary descents of the next
  // lookahead_ iterations (pure functions of their start and |W|), computed as the run without
  // lookahead computes them (DescentsAhead's batches or one at a time: their last bits can
  // differ), announced together. An entry is used only if each iteration since added one row.
  void next_announced() {
    const auto it = static_cast<std::size_t>(res_.n_iter);
    if (!announced_.empty() && (announced_.front().iteration != it || announced_.front().m_rows != est_.m()))
      announced_.clear();
    if (announced_.empty()) {
      const std::size_t count = std::max<std::size_t>(1, std::min(lookahead_, run_.picks_left()));
      for (std::size_t j = 0; j < count; ++j) {
        Announced a{it + j, est_.m() + j, std::vector<double>(v_.size())};
        if (ahead_) {
          ahead_->get(it + j, a.m_rows, a.v.data(), count - j);
        } else {
          const double* x = starts_(it + j);
          std::copy(x, x + v_.size(), a.v.begin());
          descend_from(a.v.data(), de_.grad_desc_iter, a.m_rows);
        }
        announced_.push_back(std::move(a));
      }
      std::vector<double> points;
      for (const Announced& a : announced_) points.insert(points.end(), a.v.begin(), a.v.end());
      announce(points, count);
    }
    v_ = std::move(announced_.front().v);
    announced_.pop_front();
  }

  void announce(const std::vector<double>& points, std::size_t count) {
    index_.upcoming(points.data(), count, static_cast<std::size_t>(std::max(1, o_.search.n_candidates)));
  }

  // knn: a round's batch_size descents start from the batch_size worst-served targets (or the
  // next jump rows) of the W the round begins with, and run side by side; its picks are then
  // scored one after the other against the W before them.
  void fill_round(bool long_one) {
    const std::size_t b = std::min(static_cast<std::size_t>(o_.search.batch_size), run_.picks_left());
    const std::size_t d = v_.size();
    std::vector<std::vector<double>> vs(b);
    std::vector<std::size_t> worst;
    if constexpr (kKnn) {
      if (de_.v_init == VInit::Worst) worst = est_.worst_targets(b);
    }
    for (std::size_t j = 0; j < b; ++j) {
      const double* x = de_.v_init == VInit::Worst ? ts_.row(worst[j % worst.size()])
                        : de_.v_init == VInit::PrevOpt ? v_.data()
                                                       : starts_(static_cast<std::size_t>(res_.n_iter) + j);
      vs[j].assign(x, x + d);
    }
    const int steps = de_.grad_desc_iter * (long_one ? 3 : 1);
    const int nt = run_.n_threads();
    FirstError err;
#pragma omp parallel for num_threads(std::max(1, std::min(nt, static_cast<int>(b)))) schedule(dynamic, 1)
    for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(b); ++j)
      err.run([&] {
        if constexpr (kKnn) est_.descend(vs[static_cast<std::size_t>(j)].data(), steps, de_.lr * scale_);
      });
    err.rethrow();
    if (index_.lookahead() > 0) {
      std::vector<double> points;
      for (const auto& x : vs) points.insert(points.end(), x.begin(), x.end());
      announce(points, b);
    }
    for (auto& x : vs) pending_.push_back(std::move(x));
  }

  // The pick for v: the nearest available row, or the best-scoring of the n_candidates nearest.
  std::int64_t project() {
    if (o_.search.n_candidates <= 1) return index_.nearest(v_.data());
    std::int64_t best = -1;
    double best_kl = 0;
    for (std::int64_t r : index_.nearest_k(v_.data(), static_cast<std::size_t>(o_.search.n_candidates))) {
      const double kl = run_.score(r);
      if (best < 0 || kl < best_kl) {
        best = r;
        best_kl = kl;
      }
    }
    return best;
  }

  // Natively, an exhausted pool with resets left is a reset. -1: the pool is exhausted.
  std::int64_t project_or_reset() {
    std::int64_t row = project();
    if (row < 0 && !o_.reference_semantics && o_.stop.resets_allowed && res_.n_resets < o_.stop.max_resets) {
      refill();
      ++res_.n_resets;
      announce_again();
      row = project();
    }
    return row;
  }

  void refill() {
    index_.refill();
    st_.reset_marks.push_back(static_cast<std::int64_t>(res_.selected.size()));
  }

  // After the pool ran out and was refilled inside an iteration: this query and those announced
  // after it are asked of the full pool (a refill ends what the projection knew of them).
  void announce_again() {
    if (index_.lookahead() == 0) return;
    std::vector<double> points(v_);
    for (const Announced& a : announced_) points.insert(points.end(), a.v.begin(), a.v.end());
    for (const auto& x : pending_) points.insert(points.end(), x.begin(), x.end());
    announce(points, points.size() / v_.size());
  }

  // Native rules (selector.hpp) for a scored pick; true ends the run.
  bool native_step(std::int64_t row, double kl) {
    if (de_.v_init != VInit::PrevOpt) restart_v(static_cast<std::size_t>(res_.n_iter));
    if (run_.stop_rule_fires(kl)) {
      const bool may_reset = (o_.stop.resets_allowed || o_.stop.criterion == StopCriterion::MaxResets) &&
                             res_.n_resets < o_.stop.max_resets;
      if (!may_reset) {
        run_.end_on_stop_criterion();
        return true;
      }
      ++res_.n_resets;
      refill();
      if (de_.v_init == VInit::PrevOpt) v_ = ts_.mean();
      st_.just_reset = true;
      st_.run_of_increases = 0;
      pending_.clear();  // descended against the W before the reset
      announced_.clear();
      return false;
    }
    est_.commit();
    st_.just_reset = false;
    return run_.keep(row, kl);
  }

  // grad-info-opt's rules (reference_rules.hpp) for a scored pick; true ends the run.
  bool reference_step(std::int64_t row, double kl) {
    if (reference_budget_spent(o_.stop, st_)) {
      res_.stop_reason = "max_iter";
      return true;
    }
    if (de_.v_init != VInit::PrevOpt) restart_v(static_cast<std::size_t>(res_.n_iter));
    const ReferenceVerdict verdict = reference_verdict(o_.stop, kl, index_.rows(), res_.n_resets, st_);
    if (verdict.reset) {
      if (de_.v_init == VInit::PrevOpt) v_ = ts_.mean();
      refill();
    }
    if (verdict.stop) {
      res_.stop_reason = to_string(o_.stop.criterion);
      return true;
    }
    if (verdict.keep) {
      est_.commit();
      reference_keep(res_, row, kl);
    }
    return false;
  }

  Result finish() {
    res_.v.resize(v_.size());
    ts_.frame().unmap(v_.data(), v_.size(), res_.v.data());  // in the data's coordinates
    run_.finish([this](std::int64_t r) { return index_.is_available(r); });
    index_.report(res_.stats);
    return std::move(res_);
  }

  const Options& o_;
  const DescentOptions& de_;
  Run<T, Est> run_;
  Result& res_;
  LoopState& st_;
  const TargetStats& ts_;
  Est& est_;
  std::unique_ptr<PoolIndex<T>> own_index_;  // the one-process projection; null with a caller's
  PoolProjection<T>& index_;
  Rng rng_;
  DescentStarts starts_;
  std::vector<double> v_;
  double scale_ = 1.0;
  std::unique_ptr<DescentsAhead> ahead_;
  std::deque<std::vector<double>> pending_;  // knn: a round's descents, not yet projected
  struct Announced {
    std::size_t iteration, m_rows;
    std::vector<double> v;
  };
  std::size_t lookahead_ = 0;          // relaxed: the projection's lookahead(), when descents are pure
  std::deque<Announced> announced_;    // relaxed: descents computed ahead and announced
};

}  // namespace

template <class T, class Est>
Result descent_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume) {
  return DescentSearch<T, Est>(pool, target, init, o, hooks, resume).run();
}

GIO_SEARCH_INSTANCES(descent_select)

template <class T, class Est>
Result descent_select(PoolProjection<T>& projection, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume) {
  return DescentSearch<T, Est>(projection, target, init, o, hooks, resume).run();
}

template Result descent_select<float, RelaxedKL>(PoolProjection<float>&, MatrixView<float>, MatrixView<float>,
                                                 const Options&, const Hooks&, const Result*);
template Result descent_select<float, KnnKL>(PoolProjection<float>&, MatrixView<float>, MatrixView<float>,
                                             const Options&, const Hooks&, const Result*);
template Result descent_select<double, RelaxedKL>(PoolProjection<double>&, MatrixView<double>, MatrixView<double>,
                                                  const Options&, const Hooks&, const Result*);
template Result descent_select<double, KnnKL>(PoolProjection<double>&, MatrixView<double>, MatrixView<double>,
                                              const Options&, const Hooks&, const Result*);

}  // namespace gio::detail
