// The order of search='spread' (internal to the core). Picking onto the target sample itself
// (nearest-to-target) stops paying after about one row per target; what pays after that is rows
// of the target's domain spread over its support (bench/quality/research/issue11). So:
//   1. one round of nearest-to-target round-robin among the rows with a target among their K
//      nearest rows of the reference (below): each target its nearest such row, until the round
//      or those rows run out;
//   2. the in-domain rows D: pool rows whose k-NN density ratio w(g), target against a seeded
//      reference sample of the pool, is at least `threshold` times the median ratio at the target
//      rows (leave-one-out); each row belongs to the Voronoi cell of its nearest target, and with
//      cell_rows = L > 0 only a cell's L rows nearest its target enter;
//      D in a Voronoi-balanced order: the targets, shuffled, take in turn a random row of their cell;
//   3. then every other row, by decreasing ratio (the rest of the unrestricted D first).
// The in-domain stop ends the run after the first round and the other rows the pool's estimated
// share of target-like rows says are worth taking (domain_estimate.hpp), in this order.
#pragma once
#include <cstdint>
#include <vector>

#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/target_stats.hpp"

namespace gio::detail {

// What the in-domain test knows about every pool row: its k-NN density ratio w against the
// reference R = the target rows, then `reference_rows` (a seeded sample of the pool); its own
// slot in R is excluded. Rows of the target: the same, leave-one-out; their median is the bar's unit.
struct DomainScores {
  std::vector<double> ratio;             // w(g) = ((t + .5) / n) / ((K - t + .5) / |S|), t: targets among the K
  std::vector<std::size_t> cell;         // nearest target (ties: the lower one)
  std::vector<double> cell_sq_dist;      // squared distance to it
  std::vector<std::int64_t> reference_rows;
  std::vector<std::uint32_t> pool_targets;    // t of every pool row
  std::vector<std::uint32_t> target_targets;  // t of every target row (leave-one-out)
  std::size_t neighbours = 0;            // K
  double target_median = 0;              // median of w at the target rows
  double unsupported_ratio = 0;          // w of a row with no target among its K (t = 0)
};

template <class T>
DomainScores domain_scores(MatrixView<T> pool, const TargetStats& ts, std::uint64_t seed, int n_threads,
                           const InterruptCheck* interrupted);

struct SpreadOrder {
  std::vector<std::int64_t> rows;  // every pool row, in pick order
  std::size_t domain_end = 0;      // the in-domain stop: the first round, then the rows not in it with
                                   // t >= DomainEstimate::min_targets (counted, in this order)
  double domain_share = 0;         // DomainEstimate::share
};

// K and the reference sample's size from the pool and target sizes (the research's rule):
// K = clip(round(M / 600), 10, 100), |S| = n * clip((M / 2) / n, 1, 20), both capped by M.
std::size_t spread_neighbours(std::size_t pool_rows, std::size_t target_rows);
std::size_t spread_reference_rows(std::size_t pool_rows, std::size_t target_rows);

template <class T>
SpreadOrder spread_order(MatrixView<T> pool, const TargetStats& ts, const SearchOptions& so, std::uint64_t seed,
                         int n_threads, const InterruptCheck* interrupted);

}  // namespace gio::detail
