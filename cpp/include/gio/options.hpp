// Every option of a GIO run (DESIGN.md §3) and what a run returns.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "gio/constants.hpp"
#include "gio/pool_index.hpp"

namespace gio {

enum class StopCriterion { Increase, MaxResets, MinDifference, SequentialIncreaseTolerance, MinKL, DataSize, None };
enum class VInit { Mean, PrevOpt, Jump };

// Parses the reference's names ('increase', 'max_resets', ...); throws std::invalid_argument
// listing the accepted names.
StopCriterion parse_stop_criterion(const std::string& name);
VInit parse_v_init(const std::string& name);
std::string to_string(StopCriterion c);

struct Options {
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
  LoopState loop;                      // for checkpoints (valid between iterations)
};

}  // namespace gio
