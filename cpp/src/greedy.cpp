#include "greedy.hpp"

#include <algorithm>
#include <memory>
#include <numeric>
#include <vector>

#include "gio/greedy_source.hpp"
#include "knn_gain_scores.hpp"
#include "run.hpp"

namespace gio::detail {

template <class T>
std::vector<double> relaxed_values(MatrixView<T> pool, const TargetStats& ts, double eps, int nt,
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
  return value;
}

std::vector<std::int64_t> ranked_rows(const std::vector<double>& value) {
  std::vector<std::int64_t> order(value.size());
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return value[static_cast<std::size_t>(a)] < value[static_cast<std::size_t>(b)];
  });
  return order;
}

namespace {

// The one-process sources, over a pool in memory.
template <class T>
class LocalKnnSource final : public GreedySource<T> {
 public:
  LocalKnnSource(MatrixView<T> pool, int n_threads, const InterruptCheck* interrupted)
      : pool_(pool), nt_(n_threads), interrupted_(interrupted) {}
  std::size_t rows() const override { return pool_.rows; }
  const T* row(std::int64_t r) override { return pool_.row(static_cast<std::size_t>(r)); }
  void start(const TargetStats& ts, const KnnKL* knn, const std::vector<std::int64_t>& taken) override {
    std::vector<double> nu_k1(ts.n()), nu_k(ts.n());
    for (std::size_t i = 0; i < ts.n(); ++i) {
      nu_k1[i] = knn->nu_k_minus_1(i);
      nu_k[i] = knn->nu_k(i);
    }
    scores_ = std::make_unique<KnnGainScores<T>>(pool_, ts, nu_k1, nu_k, nt_, interrupted_);
    for (std::int64_t r : taken) scores_->take(r);  // the scores hold which rows are available
    scores_->build_lists(greedy_lists_due(scores_->counted(), scores_->counts(), ts.n()));
    n_targets_ = ts.n();
  }
  std::int64_t best() override { return scores_->best(); }
  void take(std::int64_t row, const PickChange& change) override {
    scores_->take(row);
    scores_->update(change);
    scores_->build_lists(greedy_lists_due(scores_->counted(), scores_->counts(), n_targets_));
  }
  bool is_available(std::int64_t row) const override { return scores_->available(row); }
  void report(RunStats& s) const override {
    s.greedy_list_updates = scores_->list_updates();
    s.greedy_pool_pass_updates = scores_->pool_pass_updates();
  }

 private:
  MatrixView<T> pool_;
  int nt_;
  const InterruptCheck* interrupted_;
  std::unique_ptr<KnnGainScores<T>> scores_;
  std::size_t n_targets_ = 0;
};

template <class T>
class LocalRelaxedSource final : public GreedySource<T> {
 public:
  LocalRelaxedSource(MatrixView<T> pool, double eps, int n_threads, const InterruptCheck* interrupted)
      : pool_(pool), eps_(eps), nt_(n_threads), interrupted_(interrupted), available_(pool.rows, 1) {}
  std::size_t rows() const override { return pool_.rows; }
  const T* row(std::int64_t r) override { return pool_.row(static_cast<std::size_t>(r)); }
  void start(const TargetStats& ts, const KnnKL*, const std::vector<std::int64_t>& taken) override {
    for (std::int64_t r : taken) available_[static_cast<std::size_t>(r)] = 0;
    ranking_ = ranked_rows(relaxed_values(pool_, ts, eps_, nt_, interrupted_));
  }
  std::int64_t best() override {
    while (next_ < ranking_.size() && !available_[static_cast<std::size_t>(ranking_[next_])]) ++next_;
    return next_ < ranking_.size() ? ranking_[next_] : -1;
  }
  void take(std::int64_t row, const PickChange&) override { available_[static_cast<std::size_t>(row)] = 0; }
  bool is_available(std::int64_t row) const override { return available_[static_cast<std::size_t>(row)] != 0; }

 private:
  MatrixView<T> pool_;
  double eps_;
  int nt_;
  const InterruptCheck* interrupted_;
  std::vector<std::uint8_t> available_;
  std::vector<std::int64_t> ranking_;
  std::size_t next_ = 0;
};

// The knn pick's change: the targets its distances (the estimator's last candidate) bring
// closer than nu_k, before the commit (old values) and after it (new values).
void change_before(const KnnKL& est, std::size_t n, PickChange& ch) {
  ch.clear();
  const auto& dist = est.candidate_distances();
  for (std::size_t i = 0; i < n; ++i)
    if (dist[i] < est.nu_k(i)) {
      ch.targets.push_back(i);
      ch.old_nu_k1.push_back(est.nu_k_minus_1(i));
      ch.old_nu_k.push_back(est.nu_k(i));
    }
}
void change_after(const KnnKL& est, PickChange& ch) {
  for (std::size_t i : ch.targets) {
    ch.new_nu_k1.push_back(est.nu_k_minus_1(i));
    ch.new_nu_k.push_back(est.nu_k(i));
  }
}

}  // namespace

template <class T, class Est>
Result greedy_run(Run<T, Est>& run, GreedySource<T>& source) {
  Result& res = run.result();
  const KnnKL* knn = nullptr;
  if constexpr (Run<T, Est>::kKnn) knn = &run.est();
  source.start(run.ts(), knn, res.selected);
  PickChange change;
  while (!run.between_iterations() && !run.budget_reached()) {
    std::int64_t row = -1;
    try {
      row = source.best();  // a caller's source may be interrupted while it waits for its shards
    } catch (const InterruptedRun&) {
      throw;
    } catch (const Interrupted&) {  // the state at this iteration's boundary
      run.throw_interrupted_run();
    }
    if (row < 0) {
      res.stop_reason = "pool exhausted";
      break;
    }
    const double kl = run.score(row);  // leaves the row ready to commit
    if (run.take_scored(row, kl, [&] {
          if constexpr (Run<T, Est>::kKnn) {
            change_before(run.est(), run.ts().n(), change);
            run.est().commit();
            change_after(run.est(), change);
            res.stats.greedy_changed_targets += change.targets.size();
          } else {
            run.est().commit();
          }
          source.take(row, change);
        }))
      break;
  }
  run.finish([&](std::int64_t r) { return source.is_available(r); });
  source.report(res.stats);
  return std::move(res);
}

template <class T, class Est>
Result greedy_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume) {
  Run<T, Est> run(pool, target, init, o, hooks, resume);
  if constexpr (Run<T, Est>::kKnn) {
    LocalKnnSource<T> source(pool, run.n_threads(), run.interrupt_check());
    return greedy_run(run, source);
  } else {
    LocalRelaxedSource<T> source(pool, o.objective.eps, run.n_threads(), run.interrupt_check());
    return greedy_run(run, source);
  }
}

template <class T, class Est>
Result greedy_select(GreedySource<T>& source, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume) {
  Run<T, Est> run(source, target, init, o, hooks, resume);
  return greedy_run(run, source);
}

GIO_SEARCH_INSTANCES(greedy_select)

#define GIO_GREEDY_SOURCE_INSTANCE(T, Est)                                                                   \
  template Result greedy_select<T, Est>(GreedySource<T>&, MatrixView<T>, MatrixView<T>, const Options&,     \
                                        const Hooks&, const Result*);
GIO_GREEDY_SOURCE_INSTANCE(float, RelaxedKL)
GIO_GREEDY_SOURCE_INSTANCE(float, KnnKL)
GIO_GREEDY_SOURCE_INSTANCE(double, RelaxedKL)
GIO_GREEDY_SOURCE_INSTANCE(double, KnnKL)
template std::vector<double> relaxed_values(MatrixView<float>, const TargetStats&, double, int, const InterruptCheck*);
template std::vector<double> relaxed_values(MatrixView<double>, const TargetStats&, double, int, const InterruptCheck*);

}  // namespace gio::detail
