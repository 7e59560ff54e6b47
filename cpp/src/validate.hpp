// The checks of a run's inputs and options, made once before any search mode starts.
#pragma once
#include <cmath>
#include <stdexcept>
#include <string>

#include "gio/frame.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "reference_rules.hpp"

namespace gio::detail {

// search='nearest' / 'spread': no descent, no resets, no reference semantics.
inline void validate_ordered(const Options& o) {
  const std::string mode = "search='" + to_string(o.search.kind) + "'";
  const StopOptions& st = o.stop;
  if (o.reference_semantics) throw std::invalid_argument(mode + " has no reference semantics");
  if (st.resets_allowed || st.criterion == StopCriterion::MaxResets)
    throw std::invalid_argument(mode + " does not refill the pool: resets_allowed and 'max_resets' are options of "
                                "the descent search");
  if (o.search.n_candidates > 1 || o.search.batch_size > 1)
    throw std::invalid_argument(mode + " takes rows in a fixed order: n_candidates and batch_size are options of the "
                                "descent search (leave them at 1)");
  if (o.search.kind == Search::Nearest && st.criterion == StopCriterion::InDomain)
    throw std::invalid_argument("stop_criterion 'in_domain' is the stop of search='spread'");
  if (o.search.kind == Search::Spread) {
    if (st.n_select < 0 && st.criterion != StopCriterion::InDomain && st.criterion != StopCriterion::DataSize)
      throw std::invalid_argument("search='spread' orders the pool by its domain, not by the estimate, so the "
                                  "estimate's stop criteria do not apply: use stop_criterion='in_domain' or "
                                  "'data_size', or n_select");
    if (!(o.search.spread_threshold > 0) || !std::isfinite(o.search.spread_threshold))
      throw std::invalid_argument("spread_threshold must be a finite number > 0, got " +
                                  std::to_string(o.search.spread_threshold));
    if (o.search.spread_cell_rows < 0)
      throw std::invalid_argument("spread_cell_rows must be >= 0 (0: no limit), got " +
                                  std::to_string(o.search.spread_cell_rows));
  }
}

// pool: its rows and columns; its values when pool.data is set (a caller's projection checks the
// rows it holds itself).
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
  const ObjectiveOptions& ob = o.objective;
  const StopOptions& st = o.stop;
  const DescentOptions& de = o.descent;
  const bool knn = ob.kind == Objective::Knn;
  // The k-NN estimate needs k rows in W before nu_k exists; the relaxed one needs one (two with
  // discard_nearest_for_xy).
  const std::size_t min_init = knn ? static_cast<std::size_t>(std::max(ob.k, 1)) : (ob.discard_nearest_for_xy ? 2 : 1);
  if (init.rows < min_init)
    throw std::invalid_argument("init has " + std::to_string(init.rows) + " rows; the " + to_string(ob.kind) +
                                " objective needs at least " + std::to_string(min_init) + " start rows" +
                                (knn ? " (k=" + std::to_string(ob.k) + ")" : std::string()));
  if (de.grad_desc_iter < 0) throw std::invalid_argument("grad_desc_iter must be >= 0");
  if (!(de.lr >= 0) || !std::isfinite(de.lr))
    throw std::invalid_argument("lr must be a finite number >= 0, got " + std::to_string(de.lr));
  if (!de.scale_auto && !std::isfinite(de.scale_factor)) throw std::invalid_argument("scale_factor must be finite");
  if (!(de.random_restart_prob >= 0 && de.random_restart_prob <= 1))
    throw std::invalid_argument("random_restart_prob must be in [0, 1], got " + std::to_string(de.random_restart_prob));
  if (st.max_resets < 0) throw std::invalid_argument("max_resets must be >= 0");
  if (o.search.n_candidates < 1)
    throw std::invalid_argument("n_candidates must be >= 1, got " + std::to_string(o.search.n_candidates));
  if (o.search.batch_size < 1)
    throw std::invalid_argument("batch_size must be >= 1, got " + std::to_string(o.search.batch_size));
  if (st.max_sequential_increases < 1 && !o.reference_semantics)
    throw std::invalid_argument("max_sequential_increases must be >= 1");
  if (!o.reference_semantics && st.n_select > static_cast<std::int64_t>(pool.rows) && !st.resets_allowed)
    throw std::invalid_argument("n_select=" + std::to_string(st.n_select) + " exceeds the pool's " +
                                std::to_string(pool.rows) + " rows; lower it or set resets_allowed");
  if (de.v_init == VInit::Worst && !knn)
    throw std::invalid_argument("v_init='worst' needs objective='knn' (the relaxed estimate keeps no per-target state)");
  if (o.reference_semantics && !is_reference_criterion(st.criterion))
    throw std::invalid_argument("stop_criterion '" + to_string(st.criterion) + "' is not one of grad-info-opt's, "
                                "so it has no reference semantics");
  if (knn && o.reference_semantics)
    throw std::invalid_argument("reference_semantics reproduces grad-info-opt, which has only the relaxed objective");
  if (knn && ob.discard_nearest_for_xy)
    throw std::invalid_argument("discard_nearest_for_xy is an option of the relaxed objective, not of 'knn'");
  if (o.search.kind == Search::Greedy) {
    if (o.reference_semantics) throw std::invalid_argument("search='greedy' has no reference semantics");
    if (st.resets_allowed || st.criterion == StopCriterion::MaxResets)
      throw std::invalid_argument("search='greedy' does not refill the pool: resets_allowed and 'max_resets' "
                                  "are options of the descent search");
    if (!knn && ob.discard_nearest_for_xy)
      throw std::invalid_argument("search='greedy' with the relaxed objective ranks the pool once, which needs "
                                  "discard_nearest_for_xy=False");
    if (o.search.n_candidates > 1 || o.search.batch_size > 1)
      throw std::invalid_argument("search='greedy' already scores every available row exactly, one pick at a time: "
                                  "n_candidates and batch_size are options of the descent search (leave them at 1)");
  }
  if (o.search.kind == Search::Nearest || o.search.kind == Search::Spread) validate_ordered(o);
  else if (st.criterion == StopCriterion::InDomain)
    throw std::invalid_argument("stop_criterion 'in_domain' is the stop of search='spread'");
  if (pool.data) require_representable(pool, "pool");
  require_representable(target, "target");
  require_representable(init, "init");
  if (o.metric == Metric::Cosine) {
    if (o.reference_semantics) throw std::invalid_argument("grad-info-opt has no metric='cosine': no reference semantics");
    if (pool.cols < 2) throw std::invalid_argument("metric='cosine' needs at least 2 columns (1 column: every row is +1 or -1)");
    if (pool.data) require_nonzero_rows(pool, "pool");
    require_nonzero_rows(target, "target");
    require_nonzero_rows(init, "init");
  }
}

}  // namespace gio::detail
