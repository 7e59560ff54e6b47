// Every option of a GIO run (DESIGN.md §3), grouped by the component that reads it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gio/constants.hpp"

namespace gio {

// Which KL estimate the run minimises (DESIGN.md §2a, §2b).
enum class Objective { Relaxed, Knn };
// How each pick is found: gradient descent + projection (the paper's relaxation), the exact
// greedy step (every available row scored by its exact change of the estimate), nearest-to-target
// round-robin (each target in turn takes its nearest available row), or spread (one nearest
// round in the target's domain, then that domain spread over its support; spread_order.hpp). The last two order
// the pool without the estimate, which they only report (kl_trace).
enum class Search { Descent, Greedy, Nearest, Spread };
// When a run without n_select ends (stop_rules.hpp has the native rules, reference_rules.hpp
// grad-info-opt's).
// in_domain: search='spread' only, the end of its in-domain set.
enum class StopCriterion { Increase, MaxResets, MinDifference, SequentialIncreaseTolerance, MinKL, DataSize, InDomain };
// Where each descent starts: the target mean, the previous optimum, a random target row, or
// (knn only) the worst-served target row, the one with the largest log(nu_k / rho_k).
enum class VInit { Mean, PrevOpt, Jump, Worst };
// How a descent's end point becomes a pool row: brute force, HNSW, or brute force while at most
// exact_below rows remain.
enum class Projection { Auto, Exact, Hnsw };
// How distances are measured: Euclidean, or cosine (every pool, target and start row scaled to
// unit length, then Euclidean on the sphere; gio/frame.hpp).
enum class Metric { Euclidean, Cosine };

// The names users write for each enum value ("increase", "knn", ...), one table per enum, used
// for parsing, printing and by the bindings. parse() throws std::invalid_argument naming the
// option and listing the accepted names.
template <class E>
E parse(const std::string& name);
template <class E>
std::string to_string(E value);
template <class E>
std::vector<std::string> names();

struct ObjectiveOptions {
  Objective kind = Objective::Relaxed;
  int k = 5;                           // neighbour rank of rho_k and nu_k
  double eps = kDefaultEps;            // relaxed: log(distance + eps)
  bool discard_nearest_for_xy = false; // relaxed: drop each target's nearest selected point
};

struct SearchOptions {
  Search kind = Search::Descent;
  // Descent: the c nearest unpicked rows of v are scored by the estimate they would give, and the
  // best is picked (ties: the nearer). 1: the nearest row, as the reference.
  int n_candidates = 1;
  // Knn descent: picks per round. batch_size descents from different starts run in parallel, then
  // their picks are applied in order, each re-scored against the picks before it. The relaxed
  // descent does not depend on W, so there it changes nothing.
  int batch_size = 1;
  // Spread: a pool row is in the target's domain when its k-NN density ratio is at least
  // spread_threshold times the median ratio at the target rows; with spread_cell_rows = L > 0
  // only the L in-domain rows nearest each target enter the balanced phase (0: all).
  double spread_threshold = 0.5;
  int spread_cell_rows = 15;
};

struct StopOptions {
  StopCriterion criterion = StopCriterion::Increase;
  // Budget. max_picks < 0: unlimited. n_select >= 0: exactly that many picks (criteria off).
  std::int64_t max_picks = -1;
  std::int64_t n_select = -1;
  double min_difference = 0;
  double min_kl = 0;
  double max_data_size = 1.0;
  int max_sequential_increases = 3;
  bool resets_allowed = false;   // descent: refill the pool instead of stopping
  int max_resets = 2;
};

struct DescentOptions {
  VInit v_init = VInit::Mean;
  int grad_desc_iter = 50;
  double lr = 0.01;
  bool scale_auto = true;        // false: scale_factor as given
  double scale_factor = 1.0;
  double random_restart_prob = 0;
};

struct ProjectionOptions {
  Projection mode = Projection::Auto;
  std::size_t exact_below = 200000;  // Auto: exact search while at most this many rows remain
  int hnsw_m = 16;
  int ef_construction = 100;
  int ef_search = 256;
  std::size_t rerank = 8;            // HNSW candidates re-scored exactly (double) before choosing
  std::uint64_t seed = 100;
  bool audit = false;                // in HNSW mode, also run brute force and count agreements
};

struct Options {
  ObjectiveOptions objective;
  SearchOptions search;
  StopOptions stop;
  DescentOptions descent;
  ProjectionOptions projection;
  // true: reproduce grad-info-opt 0.1.2 literally (its stop counters, 'auto' scale and
  // max_iter = T picks + 1; set stop.max_picks = max_iter + 1). false: the criteria do what their
  // names say (selector.hpp).
  bool reference_semantics = false;
  Metric metric = Metric::Euclidean;
  std::uint64_t seed = 0;
  int n_threads = 0;  // <= 0: OpenMP's default
};

}  // namespace gio
