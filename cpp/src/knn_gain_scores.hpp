// The exact greedy step on the k-NN estimate, kept cheap (internal to the core; DESIGN.md §2b).
//
// score[r] = sum over targets i of KnnKL::term(i, dist(x_i, g_r)), the gain_sum of pool row r:
// the pick with the lowest score lowers KL^ the most. Only targets that the pick brings closer
// (dist < nu_k) change their terms, so after a pick only those targets' terms are updated, and
// only for rows within their old nu_k: O(M |S| d) at worst, O(|S| * rows within nu_k) once a
// target's nu_k is small enough that those rows are kept in a per-target list. nu_k never grows,
// so a list, once built, holds every row that can matter to that target for the rest of the run.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "gio/greedy_source.hpp"
#include "gio/knn_kl.hpp"
#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"
#include "parallel.hpp"
#include "score_tree.hpp"

namespace gio::detail {

template <class T>
class KnnGainScores {
 public:
  // The scores of every pool row against a W whose targets have these nu_{k-1}, nu_k (KnnKL's):
  // one blocked pass over pool x target, which counts every target's rows within its nu_k.
  // interrupted (optional): polled during that pass; true ends it with gio::Interrupted.
  // pool may be rows [first_row, ...) of a pool of pool_rows rows (a shard): each row's distances
  // are then computed as that pool's own would be (see pass), so its scores are the same bits.
  KnnGainScores(MatrixView<T> pool, const TargetStats& ts, const std::vector<double>& nu_k1,
                const std::vector<double>& nu_k, int n_threads, const InterruptCheck* interrupted = nullptr,
                std::int64_t first_row = 0, std::int64_t pool_rows = -1);

  // Every row starts available; a taken row leaves the search for good.
  void take(std::int64_t row) { tree_.take(score_, static_cast<std::size_t>(row)); }
  bool available(std::int64_t row) const { return tree_.available(static_cast<std::size_t>(row)); }

  // The lowest-scoring available row: scores up to greedy_tie_limit(best) count as tied and the
  // lowest row wins. -1 when no row is available. A descent of a min-tree (score_tree.hpp).
  static constexpr double kTieTolerance = 1e-9;
  std::int64_t best() const;
  // The rows that can be the pick of a pool this one is part of (GreedyShard::knn_candidates),
  // as local rows: one descent of the tree per row returned.
  void candidates(std::vector<double>& scores, std::vector<std::int64_t>& rows) const;

  // A kept pick's score updates (its targets with a list from the list, the others by a pass
  // over the pool, which counts their rows within the new nu_k).
  void update(const PickChange& change);

  // The targets the last pass counted (the constructor's: all; update's: the change's targets
  // without a list), their rows within nu_k in this pool, and the nu_k they were counted against.
  const std::vector<std::size_t>& counted() const { return counted_; }
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  // Lists for `targets`, a subset of counted(), against the nu_k they were counted against. In one
  // process: greedy_lists_due(counted(), counts(), n); on shards, from the summed counts.
  void build_lists(const std::vector<std::size_t>& targets);
  // A target gets a list once at most max_list(n) rows of the whole pool lie within its nu_k:
  // kListBudget entries (about 100 MB) shared by all n targets, at least 512 each.
  static constexpr std::size_t kListBudget = std::size_t{1} << 23;
  static std::size_t max_list(std::size_t n_targets) { return std::max<std::size_t>(512, kListBudget / n_targets); }

  const std::vector<double>& scores() const { return score_; }
  // Rows scored from a list, and by a pass over the whole pool (for the speed report).
  std::size_t list_updates() const { return list_updates_; }
  std::size_t pool_pass_updates() const { return pass_updates_; }

 private:
  // Calls f(thread, row, sq) for every pool row, rows split across threads, where sq[j] is the
  // row's clipped squared distance to target targets[j] (formed as KnnKL forms it: in the
  // target's frame, each tile of pool rows mapped into it as it is read). The kernel's 4-row
  // register tile and its path for fewer rows give some products other last bits (AVX2: FMA in
  // one, not the other), so a row goes through the path it takes in the whole pool's tiles from
  // row 0: the register tile, padded if need be, except the whole pool's last pool_rows % 4 rows.
  template <class F>
  void pass(const std::vector<std::size_t>& targets, F&& f, Stopper* stopper = nullptr) const;
  // The per-thread counts of a pass, summed, as counts_ of targets (counted against nu_k).
  void set_counted(const std::vector<std::size_t>& targets, const std::vector<double>& nu_k,
                   const std::vector<std::vector<std::uint32_t>>& per_thread);

  MatrixView<T> pool_;
  const TargetStats& ts_;
  int nt_;
  std::int64_t tail_from_;                        // local row where the whole pool's last, partial tile starts
  std::vector<double> pool_sq_;                   // squared row norms in the target's frame, as KnnKL forms them
  std::vector<double> score_;                     // every row's, taken rows' too (knn_scores)
  ScoreTree tree_;                                // score_ of the available rows
  std::vector<std::vector<std::uint32_t>> list_rows_;  // per target: rows within its nu_k, by distance
  std::vector<std::vector<double>> list_dists_;
  std::vector<std::uint8_t> has_list_;
  std::size_t list_updates_ = 0, pass_updates_ = 0;
  std::vector<std::size_t> counted_;      // the last pass's targets, their rows within nu_k, that nu_k
  std::vector<std::uint64_t> counts_;
  std::vector<double> counted_nu_k_;
};

}  // namespace gio::detail
