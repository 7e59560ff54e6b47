// What the greedy search asks of its pool (GreedySource): the available row that lowers the
// estimate the most, and a kept pick's changes. The one-process source scores a pool in memory;
// a caller can hand select_greedy its own (a pool sharded across processes, docs/dask.md), built
// from GreedyShard: one shard's scores, which make one process's decisions for its rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "gio/interrupt.hpp"
#include "gio/knn_kl.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/pool_projection.hpp"
#include "gio/result.hpp"
#include "gio/target_stats.hpp"

namespace gio {

// The knn objective's kept pick: the targets it came closer to than their nu_k (ascending), with
// their nu_{k-1} and nu_k before and after it (KnnKL's values, so a score update from them is
// KnnKL::term's arithmetic). Empty for the relaxed objective.
struct PickChange {
  std::vector<std::size_t> targets;
  std::vector<double> old_nu_k1, old_nu_k, new_nu_k1, new_nu_k;
  void clear();
};

template <class T>
class GreedySource : public PoolRows<T> {
 public:
  // Once, before the first best(): the run's target statistics, its knn estimator with the start
  // rows (and a resumed selection) added, or nullptr for the relaxed objective (whose ranking
  // needs only ts), and the rows already taken (a resumed selection).
  virtual void start(const TargetStats& ts, const KnnKL* knn, const std::vector<std::int64_t>& taken) = 0;
  // The available row that lowers the estimate the most, or -1 when none is left. knn: the
  // lowest KnnKL::gain_sum, ties within greedy_tie_limit to the lowest row; relaxed: the next of
  // the ranking by (value, row).
  virtual std::int64_t best() = 0;
  // A kept pick (after the estimator's commit).
  virtual void take(std::int64_t row, const PickChange& change) = 0;
  virtual bool is_available(std::int64_t row) const = 0;
  virtual void report(RunStats& stats) const { (void)stats; }
};

// The knn greedy's tie rule: scores at most greedy_tie_limit(lo) count as tied with the lowest,
// lo, and the lowest row among them wins (updates round differently from a fresh sum, and this
// keeps the picks those of the from-scratch loop). One function, compiled once, for every caller.
double greedy_tie_limit(double lo);

// The pick among shards' candidates (GreedyShard::knn_candidates, concatenated): the lowest row
// whose score is within greedy_tie_limit of the lowest score; -1 when there are none.
std::int64_t greedy_pick(const double* scores, const std::int64_t* rows, std::size_t n);

// Of a pass's counted targets and their rows within nu_k (summed over every shard), those that
// get a per-target list now: one process's rule, from the whole pool's counts.
std::vector<std::size_t> greedy_lists_due(const std::vector<std::size_t>& targets,
                                          const std::vector<std::uint64_t>& counts, std::size_t n_targets);

// One shard of a greedy run: rows [first_row, first_row + rows.rows) of a pool of pool_rows rows
// (a view: it must outlive the shard), with the run's target statistics built here from the same target (the same bits as
// the client's: TargetStats is a function of the target, k and the metric), and its rows' scores.
// Every score is a function of its row and the run's decisions alone (not of the shard's bounds),
// so the shards' candidates hold one process's pick.
template <class T>
class GreedyShard {
 public:
  GreedyShard(MatrixView<T> rows, std::int64_t first_row, std::int64_t pool_rows, MatrixView<T> target, int k,
              Metric metric, int n_threads);
  ~GreedyShard();
  GreedyShard(const GreedyShard&) = delete;
  GreedyShard& operator=(const GreedyShard&) = delete;

  std::size_t rows() const;
  std::int64_t first_row() const { return first_; }
  const T* row(std::int64_t global_row) const;
  void take(std::int64_t global_row);  // a row of this shard

  // knn: every row's score against a W whose targets have these nu_{k-1}, nu_k (KnnKL's).
  void knn_start(const std::vector<double>& nu_k1, const std::vector<double>& nu_k,
                 const InterruptCheck* interrupted = nullptr);
  // One pick, in one process's order: the lists decided from the last pass's global counts (a
  // subset of knn_counted()), then the pick's score updates.
  void knn_step(const std::vector<std::size_t>& build_lists, const PickChange& change);
  // The targets the last pass counted (knn_start: all; knn_step: the change's targets without a
  // list) and this shard's rows within their nu_k.
  const std::vector<std::size_t>& knn_counted() const;
  std::vector<std::uint64_t> knn_counts() const;
  // The available rows that can be the pick whatever the other shards hold: in row order, each
  // row whose score is within twice the tie tolerance of this shard's lowest and lower than every
  // earlier one's (the lowest row within any lower limit is one of them). Global rows.
  void knn_candidates(std::vector<double>& scores, std::vector<std::int64_t>& rows) const;
  // Every row's score (local rows; taken rows' scores are stale): a row's bits are the same in
  // any shard (tests/test_greedy_shards.py).
  const std::vector<double>& knn_scores() const;
  std::size_t list_updates() const;
  std::size_t pool_pass_updates() const;

  // relaxed: the shard's rows ranked by (value, row), value as one process ranks them.
  void relaxed_rank(double eps, const InterruptCheck* interrupted = nullptr);
  // Ranked rows [from, from + count) (fewer at the end): their values and global rows.
  void relaxed_ranked(std::size_t from, std::size_t count, std::vector<double>& values,
                      std::vector<std::int64_t>& rows) const;

 private:
  struct Scores;
  MatrixView<T> rows_;
  std::int64_t first_, pool_rows_;
  int n_threads_;
  TargetStats ts_;
  std::vector<std::uint8_t> available_;  // also the scores' (take): rows can be taken before knn_start
  std::unique_ptr<Scores> scores_;
  std::vector<double> ranked_values_;
  std::vector<std::int64_t> ranked_rows_;
};

}  // namespace gio
