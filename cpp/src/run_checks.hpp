// What every search mode shares (internal to the core): the checks of a run's inputs and
// options, and the native stopping rule of one pick (selector.hpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/selector.hpp"

namespace gio::detail {

template <class T>
void validate(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o) {
  if (pool.rows == 0) throw std::invalid_argument("pool is empty (0 rows)");
  if (target.rows == 0) throw std::invalid_argument("target is empty (0 rows)");
  if (pool.cols != target.cols)
    throw std::invalid_argument("pool has " + std::to_string(pool.cols) + " columns, target has " +
                                std::to_string(target.cols));
  if (init.cols != target.cols)
    throw std::invalid_argument("init has " + std::to_string(init.cols) + " columns, target has " +
                                std::to_string(target.cols));
  const bool knn = o.estimator == Estimator::Knn;
  // The k-NN estimate needs k rows in W before nu_k exists; the relaxed one needs one (two with
  // discard_nearest_for_xy).
  const std::size_t min_init = knn ? static_cast<std::size_t>(std::max(o.k, 1)) : (o.discard_nearest_for_xy ? 2 : 1);
  if (init.rows < min_init)
    throw std::invalid_argument("init has " + std::to_string(init.rows) + " rows; the " + to_string(o.estimator) +
                                " estimator needs at least " + std::to_string(min_init) + " start rows" +
                                (knn ? " (k=" + std::to_string(o.k) + ")" : std::string()));
  if (o.grad_desc_iter < 0) throw std::invalid_argument("grad_desc_iter must be >= 0");
  if (!(o.lr >= 0) || !std::isfinite(o.lr)) throw std::invalid_argument("lr must be a finite number >= 0, got " + std::to_string(o.lr));
  if (!o.scale_auto && !std::isfinite(o.scale_factor)) throw std::invalid_argument("scale_factor must be finite");
  if (!(o.random_restart_prob >= 0 && o.random_restart_prob <= 1))
    throw std::invalid_argument("random_restart_prob must be in [0, 1], got " + std::to_string(o.random_restart_prob));
  if (o.max_resets < 0) throw std::invalid_argument("max_resets must be >= 0");
  if (o.n_candidates < 1) throw std::invalid_argument("n_candidates must be >= 1, got " + std::to_string(o.n_candidates));
  if (o.batch_size < 1) throw std::invalid_argument("batch_size must be >= 1, got " + std::to_string(o.batch_size));
  if (o.max_sequential_increases < 1 && !o.reference_semantics)
    throw std::invalid_argument("max_sequential_increases must be >= 1");
  if (!o.reference_semantics && o.n_select > static_cast<std::int64_t>(pool.rows) && !o.resets_allowed)
    throw std::invalid_argument("n_select=" + std::to_string(o.n_select) + " exceeds the pool's " +
                                std::to_string(pool.rows) + " rows; lower it or set resets_allowed");
  if (o.v_init == VInit::Worst && !knn)
    throw std::invalid_argument("v_init='worst' needs estimator='knn' (the relaxed estimate keeps no per-target state)");
  if (knn && o.reference_semantics)
    throw std::invalid_argument("reference_semantics reproduces grad-info-opt, which has only the relaxed estimator");
  if (knn && o.discard_nearest_for_xy)
    throw std::invalid_argument("discard_nearest_for_xy is an option of the relaxed estimator, not of 'knn'");
  if (o.search == Search::Greedy) {
    if (o.reference_semantics) throw std::invalid_argument("search='greedy' has no reference semantics");
    if (o.resets_allowed || o.stop_criterion == StopCriterion::MaxResets)
      throw std::invalid_argument("search='greedy' does not refill the pool: resets_allowed and 'max_resets' "
                                  "are options of the descent search");
    if (!knn && o.discard_nearest_for_xy)
      throw std::invalid_argument("search='greedy' with the relaxed estimator ranks the pool once, which needs "
                                  "discard_nearest_for_xy=False");
  }
  require_finite(pool, "pool");
  require_finite(target, "target");
  require_finite(init, "init");
}

// The native rule (selector.hpp) for a pick that moves the KL from kl_prev to kl, after
// run_of_increases consecutive increases: does it trigger the stop criterion?
inline bool native_stop_triggered(const Options& o, double kl, double kl_prev, int run_of_increases) {
  if (o.n_select >= 0) return false;
  const bool increase = kl > kl_prev;
  switch (o.stop_criterion) {
    case StopCriterion::Increase:
    case StopCriterion::MaxResets: return increase;
    case StopCriterion::MinDifference: return kl_prev - kl < o.min_difference;
    case StopCriterion::SequentialIncreaseTolerance:
      return increase && run_of_increases + 1 >= o.max_sequential_increases;
    default: return false;
  }
}

// Ends a run whose native stop criterion fired: 'sequential_increase_tolerance' drops the
// trailing run of increases, so the selection ends at its lowest KL.
inline void end_on_stop_criterion(Result& res, const Options& o) {
  if (o.stop_criterion == StopCriterion::SequentialIncreaseTolerance) {
    const auto drop = static_cast<std::size_t>(res.loop.run_of_increases);
    res.selected.resize(res.selected.size() - drop);
    res.kl_trace.resize(res.kl_trace.size() - drop);
  }
  res.stop_reason = to_string(o.stop_criterion);
}

// Records a kept pick; true when it reaches min_kl (the run then ends with that pick kept).
inline bool keep_pick(Result& res, const Options& o, std::int64_t row, double kl) {
  LoopState& st = res.loop;
  st.run_of_increases = kl > st.kl_prev ? st.run_of_increases + 1 : 0;
  st.kl_prev = kl;
  res.selected.push_back(row);
  res.kl_trace.push_back(kl);
  if (o.n_select < 0 && o.stop_criterion == StopCriterion::MinKL && kl < o.min_kl) {
    res.stop_reason = "min_kl";
    return true;
  }
  return false;
}

// The native budget of picks (-1: none): n_select, else max_picks and the data_size cap.
inline std::int64_t native_pick_cap(const Options& o, std::size_t pool_rows) {
  std::int64_t cap = -1;
  auto tighten = [&cap](std::int64_t c) { if (c >= 0 && (cap < 0 || c < cap)) cap = c; };
  if (o.n_select >= 0) {
    tighten(o.n_select);
  } else {
    tighten(o.max_picks);
    if (o.stop_criterion == StopCriterion::DataSize)
      tighten(static_cast<std::int64_t>(o.max_data_size * static_cast<double>(pool_rows)));
  }
  return cap;
}

// stop_reason when the native budget ends a run.
inline std::string cap_reason(const Options& o, std::int64_t cap) {
  if (o.n_select >= 0) return "n_select";
  return o.stop_criterion == StopCriterion::DataSize && cap != o.max_picks ? "data_size" : "max_iter";
}

}  // namespace gio::detail
