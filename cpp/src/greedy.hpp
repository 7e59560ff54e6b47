// The exact greedy search (internal to the core; Options::search = Search::Greedy): every pick
// is the available pool row that lowers the estimate the most (the paper's Eq. 2, without the
// relaxation into gradient descent and projection).
#pragma once
#include "gio/hooks.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/result.hpp"

namespace gio::detail {

// KnnKL: the row with the lowest KnnKL::gain_sum, maintained by KnnGainScores (ties within
// KnnGainScores::kTieTolerance: the lowest row). RelaxedKL: without discard_nearest_for_xy the
// change of the relaxed estimate depends on W only through |W|, so the pool is ranked once
// (ties: the lowest row). Native stopping rules, checkpoints and hooks as the descent search;
// no resets.
template <class T, class Est>
Result greedy_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume);

}  // namespace gio::detail
