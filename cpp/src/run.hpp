// What every search mode's loop shares (internal to the core): the target statistics and the
// estimator with the start rows added, resuming from a state, the caller's hooks and interrupts
// between iterations, the budget of picks, the native stopping rules and the bookkeeping of a
// kept pick. descent.cpp and greedy.cpp each drive one Run.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gio/hooks.hpp"
#include "gio/knn_kl.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/pool_projection.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/result.hpp"
#include "gio/target_stats.hpp"
#include "parallel.hpp"
#include "stop_rules.hpp"

namespace gio::detail {

template <class Est>
Est make_estimator(const TargetStats& ts, const ObjectiveOptions& o) {
  if constexpr (std::is_same_v<Est, KnnKL>) return KnnKL(ts);
  else return RelaxedKL(ts, o.discard_nearest_for_xy, o.eps);
}

template <class T, class Est>
class Run {
 public:
  static constexpr bool kKnn = std::is_same_v<Est, KnnKL>;

  Run(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
      const Result* resume)
      : Run(nullptr, pool, target, init, o, hooks, resume) {}
  // The pool's rows read through `rows` (a caller's projection), which must outlive the run.
  Run(PoolRows<T>& rows, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
      const Result* resume)
      : Run(&rows, MatrixView<T>(), target, init, o, hooks, resume) {}
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  Result& result() { return res_; }
  LoopState& loop() { return res_.loop; }
  Est& est() { return est_; }
  const TargetStats& ts() const { return ts_; }
  int n_threads() const { return n_threads_; }
  // For the set-up phases' own loops (target statistics, index, first scores); nullptr: none.
  const InterruptCheck* interrupt_check() const { return hooks_.interrupted ? &hooks_.interrupted : nullptr; }
  bool resumed() const { return resumed_; }

  // The target's frame (frame.hpp): the estimators, v and the descents live in it; pool and start
  // rows are mapped into it as they are read.
  const Frame& frame() const { return ts_.frame(); }

  // The estimate with pool row `row` added; leaves it ready for est().commit().
  double score(std::int64_t row) { return est_.evaluate(pool_row(row)); }

  // Marks an iteration boundary: the state a checkpoint or an interrupt hands out. Jump rows
  // drawn after it are drawn again on resume.
  void mark_boundary(std::uint64_t rng_draws, const std::vector<double>& v) {
    res_.loop.rng_draws = rng_draws;
    res_.loop.v = v;
    boundary_jump_rows_ = res_.loop.jump_rows.size();
  }

  // Between two iterations: true when the caller's on_step asks to stop (stop_reason
  // 'callback'); an interrupt throws InterruptedRun.
  bool between_iterations() {
    if (res_.n_iter > 0 && hooks_.on_step && hooks_.on_step(res_)) {
      res_.stop_reason = "callback";
      return true;
    }
    check_interrupt();
    return false;
  }

  void check_interrupt() const {
    if (hooks_.interrupted && hooks_.interrupted()) throw_interrupted_run();
  }

  // An interrupt inside an iteration (e.g. in the lazy HNSW build): the state at its boundary.
  [[noreturn]] void throw_interrupted_run() const {
    Result snapshot = res_;
    if (snapshot.loop.jump_rows.size() > boundary_jump_rows_) snapshot.loop.jump_rows.resize(boundary_jump_rows_);
    throw InterruptedRun(std::move(snapshot));
  }

  // The native budget is spent (sets stop_reason).
  bool budget_reached() {
    if (cap_ < 0 || static_cast<std::int64_t>(res_.selected.size()) < cap_) return false;
    res_.stop_reason = cap_reason(o_.stop, cap_);
    return true;
  }

  // The most picks the run can still accept (what is worth computing ahead).
  std::size_t picks_left() const {
    std::int64_t left = std::numeric_limits<std::int64_t>::max();
    if (o_.reference_semantics && o_.stop.max_picks >= 0) left = o_.stop.max_picks - res_.loop.total;
    if (!o_.reference_semantics && cap_ >= 0) left = cap_ - static_cast<std::int64_t>(res_.selected.size());
    return static_cast<std::size_t>(std::max<std::int64_t>(left, 1));
  }

  bool stop_rule_fires(double kl) const {
    return detail::stop_rule_fires(o_.stop, kl, res_.loop.kl_prev, res_.loop.run_of_increases);
  }
  void end_on_stop_criterion() { detail::end_on_stop_criterion(res_, o_.stop); }

  // A pick the caller has scored (score(row) == kl): the stop rule ends the run before it, else
  // commit() (the estimator's commit and the caller's bookkeeping) and keep it. True when the run ends.
  template <class Commit>
  bool take_scored(std::int64_t row, double kl, Commit&& commit) {
    ++res_.n_iter;
    if (stop_rule_fires(kl)) {
      end_on_stop_criterion();
      return true;
    }
    commit();
    return keep(row, kl);
  }

  // Records a kept pick (native rules); true when it ends the run (min_kl: the pick stays).
  bool keep(std::int64_t row, double kl) {
    LoopState& st = res_.loop;
    st.run_of_increases = kl > st.kl_prev ? st.run_of_increases + 1 : 0;
    st.kl_prev = kl;
    res_.selected.push_back(row);
    res_.kl_trace.push_back(kl);
    if (!kept_pick_ends_run(o_.stop, kl)) return false;
    res_.stop_reason = "min_kl";
    return true;
  }

  // The end of every search: the rows still available (in order) and Result::selection_kl.
  template <class Available>
  void finish(Available is_available) {
    res_.remaining.clear();
    for (std::size_t r = 0; r < pool_->rows(); ++r)
      if (is_available(static_cast<std::int64_t>(r))) res_.remaining.push_back(static_cast<std::int64_t>(r));
    score_selection();
  }

 private:
  // Result::selection_kl from the target statistics the run already holds: a caller computing it
  // afresh would redo the target's own k-NN (n^2 distances; 24 s for a 30,000-row target that is
  // the pool). Polls the interrupt like the loop (the state: the finished run).
  void score_selection() {
    if (o_.reference_semantics) return;
    KnnKL est(ts_);
    for (std::size_t j = 0; j < res_.selected.size(); ++j) {
      if (hooks_.interrupted && hooks_.interrupted()) throw_interrupted_run();  // a row costs O(n (d + k))
      est.add(pool_row(res_.selected[j]));
    }
    res_.selection_kl = est.kl();
  }

  // Row `row` of m in the target's frame.
  template <class U>
  const double* as_double(MatrixView<U> m, std::size_t row) {
    ts_.frame().map(m.row(row), m.cols, buf_.data());
    return buf_.data();
  }

  Run(PoolRows<T>* rows, MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
      const Hooks& hooks, const Result* resume)
      : view_(pool), pool_(rows ? rows : &view_), o_(o), hooks_(hooks), n_threads_(resolve_threads(o.n_threads)),
        ts_(target, o.objective.k, n_threads_, interrupt_check(), o.reference_semantics ? Units::Absolute : Units::Target,
            o.metric),
        est_(make_estimator<Est>(ts_, o.objective)), buf_(target.cols) {
    for (std::size_t r = 0; r < init.rows; ++r) est_.add(as_double(init, r));
    if (resume) {
      resumed_ = true;
      check_resumable(*resume, pool_->rows(), target.rows);
      res_ = *resume;
      res_.stop_reason.clear();
      for (std::int64_t r : res_.selected) est_.add(pool_row(r));  // same sums, same order
    } else {
      res_.kl_start = res_.loop.kl_prev = est_.kl();
    }
    cap_ = o.reference_semantics ? -1 : pick_cap(o.stop, pool_->rows());
  }

  // Pool row `row` in the target's frame.
  const double* pool_row(std::int64_t row) {
    ts_.frame().map(pool_->row(row), buf_.size(), buf_.data());
    return buf_.data();
  }

  ViewRows<T> view_;
  PoolRows<T>* pool_;
  const Options& o_;
  const Hooks& hooks_;
  int n_threads_;
  TargetStats ts_;
  Est est_;
  std::vector<double> buf_;
  Result res_;
  std::int64_t cap_ = -1;
  std::size_t boundary_jump_rows_ = std::numeric_limits<std::size_t>::max();
  bool resumed_ = false;
};

// Every search's explicit instantiations: its four (float/double, relaxed/knn) versions.
#define GIO_SEARCH_INSTANCES(search)                                                                    \
  template Result search<float, RelaxedKL>(MatrixView<float>, MatrixView<float>, MatrixView<float>,     \
                                           const Options&, const Hooks&, const Result*);                \
  template Result search<float, KnnKL>(MatrixView<float>, MatrixView<float>, MatrixView<float>,         \
                                       const Options&, const Hooks&, const Result*);                    \
  template Result search<double, RelaxedKL>(MatrixView<double>, MatrixView<double>, MatrixView<double>, \
                                            const Options&, const Hooks&, const Result*);               \
  template Result search<double, KnnKL>(MatrixView<double>, MatrixView<double>, MatrixView<double>,     \
                                        const Options&, const Hooks&, const Result*);

}  // namespace gio::detail
