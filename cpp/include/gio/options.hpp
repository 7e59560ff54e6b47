// Every option of a GIO run (DESIGN.md §3) and what a run returns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gio/constants.hpp"
#include "gio/pool_index.hpp"

namespace gio {

enum class StopCriterion { Increase, MaxResets, MinDifference, SequentialIncreaseTolerance, MinKL, DataSize, None };
// Where each descent starts: the target mean, the previous optimum, a random target row, or
// (knn only) the worst-served target row, the one with the largest log(nu_k / rho_k).
enum class VInit { Mean, PrevOpt, Jump, Worst };
// Which KL estimate the run minimises (DESIGN.md §2a, §2b).
enum class Estimator { Relaxed, Knn };
// How each pick is found: gradient descent + projection (the paper's relaxation), or the exact
// greedy step (every available row scored by its exact change of the estimate).
enum class Search { Descent, Greedy };

// Parses the reference's names ('increase', 'max_resets', ...); throws std::invalid_argument
// listing the accepted names.
StopCriterion parse_stop_criterion(const std::string& name);
VInit parse_v_init(const std::string& name);
Estimator parse_estimator(const std::string& name);
Search parse_search(const std::string& name);
std::string to_string(StopCriterion c);
std::string to_string(VInit v);
std::string to_string(Estimator e);
std::string to_string(Search s);

struct Options {
  Estimator estimator = Estimator::Relaxed;
  Search search = Search::Descent;
  int k = 5;
  double eps = kDefaultEps;
  bool discard_nearest_for_xy = false;

  // Budget. max_picks < 0: unlimited. n_select >= 0: exactly that many picks (stop criteria off).
  std::int64_t max_picks = -1;
  std::int64_t n_select = -1;

  StopCriterion stop_criterion = StopCriterion::Increase;
  double min_difference = 0;
  double min_kl = 0;
  double max_data_size = 1.0;
  int max_sequential_increases = 3;
  bool resets_allowed = false;
  int max_resets = 2;
  // Projection with re-ranking: the c nearest unpicked rows of v are scored by the estimate they
  // would give, and the best is picked (ties: the nearer). 1: the nearest row, as the reference.
  int n_candidates = 1;
  // Picks per round (knn descent): batch_size descents from different starts run in parallel,
  // then their picks are applied in order, each re-scored against the picks before it. The
  // relaxed descent does not depend on W, so there it changes nothing (its descents already run
  // ahead in parallel).
  int batch_size = 1;

  VInit v_init = VInit::Mean;
  int grad_desc_iter = 50;
  double lr = 0.01;
  bool scale_auto = true;
  double scale_factor = 1.0;
  double random_restart_prob = 0;

  // true: reproduce grad-info-opt 0.1.2 literally (its stop counters, 'auto' scale and
  // max_iter = T picks + 1; set max_picks = max_iter + 1). false: the criteria do what their
  // names say (see selector.hpp).
  bool reference_semantics = false;

  std::uint64_t seed = 0;
  int n_threads = 0;  // <= 0: OpenMP's default
  IndexOptions index;
};

// Where a run stands between two iterations: together with the run's inputs and Options, enough
// to resume it and get exactly the selection an uninterrupted run would have made.
struct LoopState {
  std::int64_t i = 0, total = 0;                // the reference's counters
  int run_of_increases = 0;
  double kl_prev = 0;
  std::vector<std::int64_t> reset_marks;        // selected.size() at each refill of the pool
  std::uint64_t rng_draws = 0;                  // random engine outputs used
  std::vector<std::uint64_t> jump_rows;         // target rows drawn for v_init='jump', in order
  std::vector<double> v;                        // v at the start of the next iteration
};

struct Result {
  std::vector<std::int64_t> selected;  // pool rows in selection order (repeats only after resets)
  std::vector<double> kl_trace;        // KL after each accepted pick
  double kl_start = 0;
  std::string stop_reason;
  std::int64_t n_iter = 0;             // loop iterations, rejected picks and resets included
  int n_resets = 0;
  int increases = 0;                   // the reference's counter (reference_semantics)
  bool just_reset = false;
  double scale_factor = 0;
  std::vector<double> v;               // v at the end (after the last restart for mean/jump)
  std::vector<std::int64_t> remaining; // rows still available at the end
  double index_build_seconds = 0;
  std::size_t hnsw_queries = 0;        // projections made in approximate (HNSW) mode
  std::size_t hnsw_searches = 0;       // ... of which went to the graph (the rest: certified cache, brute force)
  std::size_t audit_agreements = 0;
  std::size_t cache_hits = 0;          // exact projections answered by the certified cache
  std::size_t greedy_list_updates = 0;      // knn greedy: score updates read from per-target lists
  std::size_t greedy_pool_pass_updates = 0; // ... and computed in passes over the pool (rows x targets)
  std::size_t greedy_changed_targets = 0;   // knn greedy: targets whose nu_k a pick lowered, summed
  LoopState loop;                      // for checkpoints (valid between iterations)
};

}  // namespace gio
