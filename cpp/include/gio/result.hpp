// What a GIO run returns: the selection, the loop state a checkpoint needs, and statistics.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace gio {

// Where a run stands between two iterations: together with the run's inputs and Options, enough
// to resume it and get exactly the selection an uninterrupted run would have made.
struct LoopState {
  std::int64_t i = 0, total = 0;                // the reference's counters
  int increases = 0;                            // the reference's increase counter
  bool just_reset = false;                      // the last iteration refilled the pool
  int run_of_increases = 0;                     // native: consecutive kept picks that raised the KL
  double kl_prev = 0;
  std::vector<std::int64_t> reset_marks;        // selected.size() at each refill of the pool
  std::uint64_t rng_draws = 0;                  // random engine outputs used
  std::vector<std::uint64_t> jump_rows;         // target rows drawn for v_init='jump', in order
  std::vector<double> v;                        // v at the start of the next iteration, in the run's
                                                // frame (gio/frame.hpp; the data's coordinates under
                                                // reference semantics)
};

// How the run got there (for speed reports and tests; nothing here changes the selection).
struct RunStats {
  double index_build_seconds = 0;
  std::size_t hnsw_queries = 0;             // projections made in approximate (HNSW) mode
  std::size_t hnsw_searches = 0;            // ... of which went to the graph (the rest: cache, brute force)
  std::size_t audit_agreements = 0;
  std::size_t cache_hits = 0;               // exact projections answered by the certified cache
  std::size_t greedy_list_updates = 0;      // knn greedy: score updates read from per-target lists
  std::size_t greedy_pool_pass_updates = 0; // ... and computed in passes over the pool (rows x targets)
  std::size_t greedy_changed_targets = 0;   // knn greedy: targets whose nu_k a pick lowered, summed
  std::size_t domain_end = 0;               // spread: picks up to the end of the in-domain set
  double domain_share = 0;                  // spread: the pool's estimated share of target-like rows
};

struct Result {
  std::vector<std::int64_t> selected;  // pool rows in selection order (repeats only after resets)
  std::vector<double> kl_trace;        // KL after each accepted pick
  double kl_start = 0;
  // The k-NN estimate of KL(target || the selected rows) with the run's k (native runs; NaN in
  // reference semantics, below k rows, or in a state that did not finish here).
  double selection_kl = std::numeric_limits<double>::quiet_NaN();
  std::string stop_reason;
  std::int64_t n_iter = 0;             // loop iterations, rejected picks and resets included
  int n_resets = 0;
  double scale_factor = 0;             // the gradient scale, in the run's frame (gio/frame.hpp)
  std::vector<double> v;               // v at the end (after the last restart for mean/jump), in the
                                       // data's coordinates
  std::vector<std::int64_t> remaining; // rows still available at the end
  LoopState loop;                      // for checkpoints (valid between iterations)
  RunStats stats;
};

// A state to resume (a checkpoint is input): throws std::invalid_argument naming the damage when
// no run on a pool of pool_rows and a target of target_rows rows could have reached it.
void check_resumable(const Result& state, std::size_t pool_rows, std::size_t target_rows);

}  // namespace gio
