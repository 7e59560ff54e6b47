// The descent search (internal to the core; Options::search = Search::Descent): each pick is the
// pool row nearest to the end point of a gradient descent on the estimate (the paper's relaxation,
// DESIGN.md §3), optionally re-ranked among the n_candidates nearest rows.
#pragma once
#include "gio/hooks.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/pool_projection.hpp"
#include "gio/result.hpp"

namespace gio::detail {

// Est: RelaxedKL or KnnKL. Native or reference (grad-info-opt's) stopping rules, resets,
// checkpoints and hooks.
template <class T, class Est>
Result descent_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume);

// The same search with a caller's projection, which also holds the pool's rows.
template <class T, class Est>
Result descent_select(PoolProjection<T>& projection, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume);

}  // namespace gio::detail
