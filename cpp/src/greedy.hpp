// The exact greedy search (internal to the core; Options::search = Search::Greedy): every pick
// is the available pool row that lowers the estimate the most (the paper's Eq. 2, without the
// relaxation into gradient descent and projection).
#pragma once
#include <cstdint>
#include <vector>

#include "gio/greedy_source.hpp"
#include "gio/hooks.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/result.hpp"
#include "gio/target_stats.hpp"

namespace gio::detail {

// KnnKL: the row with the lowest KnnKL::gain_sum, maintained by KnnGainScores (ties within
// greedy_tie_limit: the lowest row). RelaxedKL: without discard_nearest_for_xy the change of the
// relaxed estimate depends on W only through |W|, so the pool is ranked once (ties: the lowest
// row). Native stopping rules, checkpoints and hooks as the descent search; no resets.
template <class T, class Est>
Result greedy_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume);
// The same loop with the caller's source of best rows (select_greedy).
template <class T, class Est>
Result greedy_select(GreedySource<T>& source, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume);

// The relaxed ranking's value of every row: the relaxed estimate of W = {row} alone (its change
// for any W, up to a term that depends only on |W|), a function of the row and the target.
template <class T>
std::vector<double> relaxed_values(MatrixView<T> pool, const TargetStats& ts, double eps, int nt,
                                   const InterruptCheck* interrupted);
// Rows by (value, row): the relaxed ranking.
std::vector<std::int64_t> ranked_rows(const std::vector<double>& value);

}  // namespace gio::detail
