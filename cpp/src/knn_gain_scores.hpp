// The exact greedy step on the k-NN estimate, kept cheap (internal to the core; DESIGN.md §2b).
//
// score[r] = sum over targets i of KnnKL::term(i, dist(x_i, g_r)), the gain_sum of pool row r:
// the pick with the lowest score lowers KL^ the most. Only targets that the pick brings closer
// (dist < nu_k) change their terms, so after a pick only those targets' terms are updated, and
// only for rows within their old nu_k: O(M |S| d) at worst, O(|S| * rows within nu_k) once a
// target's nu_k is small enough that those rows are kept in a per-target list. nu_k never grows,
// so a list, once built, holds every row that can matter to that target for the rest of the run.
#pragma once
#include <cstdint>
#include <vector>

#include "gio/knn_kl.hpp"
#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"
#include "parallel.hpp"

namespace gio::detail {

template <class T>
class KnnGainScores {
 public:
  // The scores of every pool row against est's current W (one blocked pass over pool x target).
  // interrupted (optional): polled during that first pass; true ends it with gio::Interrupted.
  KnnGainScores(MatrixView<T> pool, const TargetStats& ts, const KnnKL& est, int n_threads,
                const InterruptCheck* interrupted = nullptr);

  // The lowest-scoring available row: scores within kTieTolerance * (1 + |best|) of the best
  // count as tied and the lowest row wins (updates round differently from a fresh sum, and this
  // keeps the picks those of the from-scratch loop). -1 when no row is available.
  static constexpr double kTieTolerance = 1e-9;
  std::int64_t best(const std::vector<std::uint8_t>& available) const;

  // Adds the candidate est last scored (delta / gain_sum) to est and updates the scores; returns
  // how many targets it came closer to than their nu_k.
  std::size_t commit(KnnKL& est);

  // Rows scored from a list, and by a pass over the whole pool (for the speed report).
  std::size_t list_updates() const { return list_updates_; }
  std::size_t pool_pass_updates() const { return pass_updates_; }

 private:
  // Calls f(thread, row, sq) for every pool row, rows split across threads, where sq[j] is the
  // row's clipped squared distance to target targets[j] (formed as KnnKL forms it: in the
  // target's frame, each tile of pool rows mapped into it as it is read).
  template <class F>
  void pass(const std::vector<std::size_t>& targets, F&& f, Stopper* stopper = nullptr) const;
  // Lists for those of `candidates` with at most max_list_ rows within nu_k (counts: per thread,
  // per target, rows found within nu_k by the pass just made).
  void build_lists(const KnnKL& est, const std::vector<std::size_t>& candidates,
                   const std::vector<std::vector<std::uint32_t>>& counts);
  // After est.commit(): changed are the targets the pick came closer to than their nu_k,
  // old_nu_k / old_nu_k1 their nu_k and nu_{k-1} before it.
  void update(const KnnKL& est, const std::vector<std::size_t>& changed, const std::vector<double>& old_nu_k,
              const std::vector<double>& old_nu_k1);

  // A target gets a list once at most max_list_ rows lie within its nu_k: kListBudget entries
  // (about 100 MB) shared by all targets, at least 512 each.
  static constexpr std::size_t kListBudget = std::size_t{1} << 23;
  MatrixView<T> pool_;
  const TargetStats& ts_;
  int nt_;
  std::vector<double> pool_sq_;                   // squared row norms in the target's frame, as KnnKL forms them
  std::vector<double> score_;
  std::vector<std::vector<std::uint32_t>> list_rows_;  // per target: rows within its nu_k, by distance
  std::vector<std::vector<double>> list_dists_;
  std::vector<std::uint8_t> has_list_;
  std::size_t max_list_;
  std::size_t list_updates_ = 0, pass_updates_ = 0;
  std::vector<std::size_t> changed_;              // scratch of commit()
  std::vector<double> old_nu_k_, old_nu_k1_;
};

}  // namespace gio::detail
