#include "greedy.hpp"

#include <algorithm>
#include <memory>
#include <numeric>
#include <vector>

#include "knn_gain_scores.hpp"
#include "run.hpp"

namespace gio::detail {
namespace {

// The relaxed search's whole ranking: every row scored against the start rows alone (its
// change of the estimate, up to a term that depends only on |W|), best first, ties: lowest row.
template <class T>
std::vector<std::int64_t> relaxed_ranking(MatrixView<T> pool, const TargetStats& ts, double eps, int nt,
                                          const InterruptCheck* interrupted) {
  std::vector<double> value(pool.rows);
  FirstError err;
  Stopper stopper(interrupted);
#pragma omp parallel num_threads(nt)
  {
    std::unique_ptr<RelaxedKL> est;
    std::vector<double> buf(pool.cols);
    err.run([&] { est = std::make_unique<RelaxedKL>(ts, false, eps); });
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(pool.rows); ++r) {
      if (!est || stopper.stop()) continue;
      ts.frame().map(pool.row(static_cast<std::size_t>(r)), pool.cols, buf.data());
      value[static_cast<std::size_t>(r)] = est->evaluate(buf.data());
    }
  }
  err.rethrow();
  stopper.throw_if_stopped();
  std::vector<std::int64_t> order(pool.rows);
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return value[static_cast<std::size_t>(a)] < value[static_cast<std::size_t>(b)];
  });
  return order;
}

// Which row the greedy step picks next, for either estimator.
template <class T, class Est>
class BestRow;

template <class T>
class BestRow<T, KnnKL> {
 public:
  BestRow(MatrixView<T> pool, Run<T, KnnKL>& run)
      : scores_(pool, run.ts(), run.est(), run.n_threads(), run.interrupt_check()) {}
  std::int64_t next(const std::vector<std::uint8_t>& available) { return scores_.best(available); }
  void commit(Run<T, KnnKL>& run) { run.result().stats.greedy_changed_targets += scores_.commit(run.est()); }
  void report(RunStats& s) const {
    s.greedy_list_updates = scores_.list_updates();
    s.greedy_pool_pass_updates = scores_.pool_pass_updates();
  }

 private:
  KnnGainScores<T> scores_;
};

template <class T>
class BestRow<T, RelaxedKL> {
 public:
  BestRow(MatrixView<T> pool, Run<T, RelaxedKL>& run, double eps)
      : ranking_(relaxed_ranking(pool, run.ts(), eps, run.n_threads(), run.interrupt_check())) {}
  std::int64_t next(const std::vector<std::uint8_t>& available) {
    while (next_ < ranking_.size() && !available[static_cast<std::size_t>(ranking_[next_])]) ++next_;
    return next_ < ranking_.size() ? ranking_[next_] : -1;
  }
  void commit(Run<T, RelaxedKL>& run) { run.est().commit(); }
  void report(RunStats&) const {}

 private:
  std::vector<std::int64_t> ranking_;
  std::size_t next_ = 0;
};

template <class T, class Est>
BestRow<T, Est> make_best_row(MatrixView<T> pool, Run<T, Est>& run, const Options& o) {
  if constexpr (Run<T, Est>::kKnn) return BestRow<T, Est>(pool, run);
  else return BestRow<T, Est>(pool, run, o.objective.eps);
}

}  // namespace

template <class T, class Est>
Result greedy_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume) {
  Run<T, Est> run(pool, target, init, o, hooks, resume);
  Result& res = run.result();
  std::vector<std::uint8_t> available(pool.rows, 1);
  for (std::int64_t r : res.selected) available[static_cast<std::size_t>(r)] = 0;
  BestRow<T, Est> best = make_best_row(pool, run, o);

  while (!run.between_iterations() && !run.budget_reached()) {
    const std::int64_t row = best.next(available);
    if (row < 0) {
      res.stop_reason = "pool exhausted";
      break;
    }
    const double kl = run.score(row);  // leaves the row ready to commit
    if (run.take_scored(row, kl, [&] {
          best.commit(run);
          available[static_cast<std::size_t>(row)] = 0;
        }))
      break;
  }
  run.finish([&](std::int64_t r) { return available[static_cast<std::size_t>(r)] != 0; });
  best.report(res.stats);
  return std::move(res);
}

GIO_SEARCH_INSTANCES(greedy_select)

}  // namespace gio::detail
