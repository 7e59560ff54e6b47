#include "greedy.hpp"

#include <algorithm>
#include <numeric>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "gio/knn_kl.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/target_stats.hpp"
#include "knn_gain_scores.hpp"
#include "parallel.hpp"
#include "run_checks.hpp"

namespace gio::detail {
namespace {

template <class T>
const double* as_double(MatrixView<T> m, std::size_t row, std::vector<double>& buf) {
  buf.assign(m.row(row), m.row(row) + m.cols);
  return buf.data();
}

// The relaxed search's whole ranking: every row scored against the start rows alone (its
// change of the estimate, up to a term that depends only on |W|), best first, ties: lowest row.
template <class T>
std::vector<std::int64_t> relaxed_ranking(MatrixView<T> pool, const TargetStats& ts, const Options& o, int nt) {
  std::vector<double> value(pool.rows);
  FirstError err;
#pragma omp parallel num_threads(nt)
  {
    std::unique_ptr<RelaxedKL> est;
    std::vector<double> buf;
    err.run([&] { est = std::make_unique<RelaxedKL>(ts, false, o.eps); });
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(pool.rows); ++r)
      if (est) value[static_cast<std::size_t>(r)] = est->evaluate(as_double(pool, static_cast<std::size_t>(r), buf));
  }
  err.rethrow();
  std::vector<std::int64_t> order(pool.rows);
  std::iota(order.begin(), order.end(), std::int64_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return value[static_cast<std::size_t>(a)] < value[static_cast<std::size_t>(b)];
  });
  return order;
}

}  // namespace

template <class T>
Result greedy_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume) {
  const bool knn = o.estimator == Estimator::Knn;
  const int nt = resolve_threads(o.n_threads);
  TargetStats ts(target, o.k, nt);
  std::unique_ptr<KnnKL> kest;
  std::unique_ptr<RelaxedKL> rest;
  if (knn) kest = std::make_unique<KnnKL>(ts);
  else rest = std::make_unique<RelaxedKL>(ts, false, o.eps);
  std::vector<double> buf;
  auto add = [&](const double* w) { knn ? kest->add(w) : rest->add(w); };
  for (std::size_t r = 0; r < init.rows; ++r) add(as_double(init, r, buf));

  Result res;
  if (resume) {
    res = *resume;
    for (std::int64_t r : res.selected) {
      if (r < 0 || r >= static_cast<std::int64_t>(pool.rows))
        throw std::invalid_argument("the resumed state selects rows beyond this pool's " + std::to_string(pool.rows));
      add(as_double(pool, static_cast<std::size_t>(r), buf));
    }
    res.stop_reason.clear();
  } else {
    res.kl_start = res.loop.kl_prev = knn ? kest->kl() : rest->kl();
  }
  LoopState& st = res.loop;
  std::vector<std::uint8_t> available(pool.rows, 1);
  for (std::int64_t r : res.selected) available[static_cast<std::size_t>(r)] = 0;

  std::unique_ptr<KnnGainScores<T>> scores;
  std::vector<std::int64_t> ranking;
  std::size_t next_in_ranking = 0;
  if (knn) scores = std::make_unique<KnnGainScores<T>>(pool, ts, *kest, nt);
  else ranking = relaxed_ranking(pool, ts, o, nt);
  auto next_row = [&]() -> std::int64_t {
    if (knn) return scores->best(available);
    while (next_in_ranking < ranking.size() && !available[static_cast<std::size_t>(ranking[next_in_ranking])])
      ++next_in_ranking;
    return next_in_ranking < ranking.size() ? ranking[next_in_ranking] : -1;
  };

  const std::int64_t cap = native_pick_cap(o, pool.rows);
  for (;;) {
    if (res.n_iter > 0 && hooks.on_step && hooks.on_step(res)) {
      res.stop_reason = "callback";
      break;
    }
    if (hooks.interrupted && hooks.interrupted()) throw InterruptedRun(res);
    if (cap >= 0 && static_cast<std::int64_t>(res.selected.size()) >= cap) {
      res.stop_reason = cap_reason(o, cap);
      break;
    }
    const std::int64_t row = next_row();
    if (row < 0) {
      res.stop_reason = "pool exhausted";
      break;
    }
    const double* w = as_double(pool, static_cast<std::size_t>(row), buf);
    const double kl = knn ? kest->evaluate(w) : rest->evaluate(w);  // leaves w ready to commit
    ++res.n_iter;
    if (native_stop_triggered(o, kl, st.kl_prev, st.run_of_increases)) {
      end_on_stop_criterion(res, o);
      break;
    }
    if (knn) res.greedy_changed_targets += scores->commit(*kest);
    else rest->commit();
    available[static_cast<std::size_t>(row)] = 0;
    if (keep_pick(res, o, row, kl)) break;
  }
  res.remaining.clear();
  for (std::size_t r = 0; r < pool.rows; ++r)
    if (available[r]) res.remaining.push_back(static_cast<std::int64_t>(r));
  if (knn) {
    res.greedy_list_updates = scores->list_updates();
    res.greedy_pool_pass_updates = scores->pool_pass_updates();
  }
  return res;
}

template Result greedy_select(MatrixView<float>, MatrixView<float>, MatrixView<float>, const Options&, const Hooks&,
                              const Result*);
template Result greedy_select(MatrixView<double>, MatrixView<double>, MatrixView<double>, const Options&,
                              const Hooks&, const Result*);

}  // namespace gio::detail
