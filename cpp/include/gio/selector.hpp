// The GIO loop (DESIGN.md §3) over a pool G, a target X and start rows W_0.
//
// Native semantics (Options::reference_semantics = false), each documented for users:
//   increase / min_difference    stop (the pick is not kept) when the pick raises the KL / improves
//                                it by less than min_difference; with resets_allowed the pool is
//                                refilled instead, up to max_resets times;
//   sequential_increase_tolerance  picks that raise the KL are kept until max_sequential_increases
//                                happen in a row; then the run stops and that trailing run of
//                                increases is removed, so the selection ends at its lowest KL;
//   max_resets                   every increase refills the pool until max_resets resets were
//                                made; the next increase stops the run;
//   min_kl                       stop once the KL is below min_kl (that pick is kept);
//   data_size                    at most int(max_data_size * pool rows) picks.
//   An exhausted pool ends the run with stop_reason "pool exhausted".
#pragma once
#include "gio/greedy_source.hpp"
#include "gio/hooks.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/pool_projection.hpp"
#include "gio/result.hpp"

namespace gio {

// init: the start rows W_0 (at least one; two with discard_nearest_for_xy; k for the knn
// objective). They are not pool rows.
// resume: a state from on_step or InterruptedRun of a run with the same inputs and Options; the
// run goes on from there.
template <class T>
Result select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& opts,
              const Hooks& hooks = {}, const Result* resume = nullptr);

// search='descent' with the caller's projection instead of a pool in memory (a pool sharded
// across processes): the same run as select() on the pool the projection answers for, when its
// answers are PoolIndex's. The projection checks its rows' values; select_descent checks the
// rest as select() does. opts.search.kind must be Search::Descent.
template <class T>
Result select_descent(PoolProjection<T>& projection, MatrixView<T> target, MatrixView<T> init, const Options& opts,
                      const Hooks& hooks = {}, const Result* resume = nullptr);

// search='greedy' with the caller's source of best rows instead of a pool in memory (a pool
// sharded across processes): the same run as select() on the pool the source answers for, when
// its answers are the one-process source's. opts.search.kind must be Search::Greedy.
template <class T>
Result select_greedy(GreedySource<T>& source, MatrixView<T> target, MatrixView<T> init, const Options& opts,
                     const Hooks& hooks = {}, const Result* resume = nullptr);

}  // namespace gio
