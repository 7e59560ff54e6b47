// The searches that order the pool without the estimate (internal to the core):
// Search::Nearest (nearest-to-target round-robin, nearest_lists.hpp) and Search::Spread
// (spread_order.hpp). Each pick is the next row of that order; the estimate of every prefix is
// still computed (kl_trace) and, for nearest, the native stop rules judge it as in the other
// modes. Spread stops by its own rule, 'in_domain' (where its in-domain set is used up), or by a
// budget. Checkpoints, hooks and interrupts as the other modes; no resets.
#pragma once
#include "gio/hooks.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/result.hpp"

namespace gio::detail {

template <class T, class Est>
Result ordered_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume);

}  // namespace gio::detail
