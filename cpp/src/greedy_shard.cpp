// GreedyShard (gio/greedy_source.hpp): one shard's part of a greedy run, and the rules that merge
// the shards' answers into one process's pick.
#include <cmath>
#include <stdexcept>
#include <string>

#include "gio/greedy_source.hpp"
#include "greedy.hpp"
#include "knn_gain_scores.hpp"
#include "parallel.hpp"

namespace gio {

void PickChange::clear() {
  targets.clear();
  old_nu_k1.clear();
  old_nu_k.clear();
  new_nu_k1.clear();
  new_nu_k.clear();
}

double greedy_tie_limit(double lo) {
  return lo + detail::KnnGainScores<double>::kTieTolerance * (1.0 + std::fabs(lo));
}

std::int64_t greedy_pick(const double* scores, const std::int64_t* rows, std::size_t n) {
  if (n == 0) return -1;
  double lo = scores[0];
  for (std::size_t j = 1; j < n; ++j) lo = std::min(lo, scores[j]);
  const double limit = greedy_tie_limit(lo);
  std::int64_t best = -1;
  for (std::size_t j = 0; j < n; ++j)
    if (scores[j] <= limit && (best < 0 || rows[j] < best)) best = rows[j];
  return best;
}

std::vector<std::size_t> greedy_lists_due(const std::vector<std::size_t>& targets,
                                          const std::vector<std::uint64_t>& counts, std::size_t n_targets) {
  if (counts.size() != targets.size())
    throw std::invalid_argument("greedy_lists_due: " + std::to_string(counts.size()) + " counts for " +
                                std::to_string(targets.size()) + " targets");
  const std::size_t most = detail::KnnGainScores<double>::max_list(n_targets);
  std::vector<std::size_t> due;
  for (std::size_t j = 0; j < targets.size(); ++j)
    if (counts[j] <= most) due.push_back(targets[j]);
  return due;
}

template <class T>
struct GreedyShard<T>::Scores {
  detail::KnnGainScores<T> knn;
};

template <class T>
GreedyShard<T>::GreedyShard(MatrixView<T> rows, std::int64_t first_row, std::int64_t pool_rows, MatrixView<T> target,
                            int k, Metric metric, int n_threads)
    : rows_(rows), first_(first_row), pool_rows_(pool_rows), n_threads_(detail::resolve_threads(n_threads)),
      ts_(target, k, n_threads_, nullptr, Units::Target, metric), available_(rows.rows, 1) {
  if (first_row < 0 || first_row + static_cast<std::int64_t>(rows.rows) > pool_rows)
    throw std::invalid_argument("shard rows " + std::to_string(first_row) + "-" +
                                std::to_string(first_row + static_cast<std::int64_t>(rows.rows) - 1) +
                                " are not rows of a pool of " + std::to_string(pool_rows));
  if (rows.cols != target.cols)
    throw std::invalid_argument("shard rows have " + std::to_string(rows.cols) + " columns, the target " +
                                std::to_string(target.cols));
}

template <class T>
GreedyShard<T>::~GreedyShard() = default;

template <class T>
std::size_t GreedyShard<T>::rows() const {
  return rows_.rows;
}

template <class T>
const T* GreedyShard<T>::row(std::int64_t global_row) const {
  const std::int64_t r = global_row - first_;
  if (r < 0 || static_cast<std::size_t>(r) >= rows_.rows)
    throw std::out_of_range("row " + std::to_string(global_row) + " is not in this shard (rows " +
                            std::to_string(first_) + "-" +
                            std::to_string(first_ + static_cast<std::int64_t>(rows_.rows) - 1) + ")");
  return rows_.row(static_cast<std::size_t>(r));
}

template <class T>
void GreedyShard<T>::take(std::int64_t global_row) {
  (void)row(global_row);  // checks the range
  available_[static_cast<std::size_t>(global_row - first_)] = 0;
  if (scores_) scores_->knn.take(global_row - first_);
}

template <class T>
void GreedyShard<T>::knn_start(const std::vector<double>& nu_k1, const std::vector<double>& nu_k,
                               const InterruptCheck* interrupted) {
  if (nu_k1.size() != ts_.n() || nu_k.size() != ts_.n())
    throw std::invalid_argument("knn_start: nu_k1 and nu_k need one value per target row (" +
                                std::to_string(ts_.n()) + ")");
  scores_.reset(new Scores{detail::KnnGainScores<T>(rows_, ts_, nu_k1, nu_k, n_threads_, interrupted, first_, pool_rows_)});
  for (std::size_t r = 0; r < available_.size(); ++r)  // rows taken before the scores existed
    if (!available_[r]) scores_->knn.take(static_cast<std::int64_t>(r));
}

template <class T>
void GreedyShard<T>::knn_step(const std::vector<std::size_t>& build_lists, const PickChange& change) {
  if (!scores_) throw std::logic_error("knn_step before knn_start");
  const std::size_t n = change.targets.size();
  if (change.old_nu_k1.size() != n || change.old_nu_k.size() != n || change.new_nu_k1.size() != n ||
      change.new_nu_k.size() != n)
    throw std::invalid_argument("knn_step: the change needs four values per changed target");
  for (std::size_t i : change.targets)
    if (i >= ts_.n()) throw std::out_of_range("knn_step: target " + std::to_string(i) + " out of range");
  scores_->knn.build_lists(build_lists);
  scores_->knn.update(change);
}

template <class T>
const std::vector<std::size_t>& GreedyShard<T>::knn_counted() const {
  if (!scores_) throw std::logic_error("knn_counted before knn_start");
  return scores_->knn.counted();
}

template <class T>
std::vector<std::uint64_t> GreedyShard<T>::knn_counts() const {
  if (!scores_) throw std::logic_error("knn_counts before knn_start");
  return scores_->knn.counts();
}

template <class T>
void GreedyShard<T>::knn_candidates(std::vector<double>& scores, std::vector<std::int64_t>& rows) const {
  if (!scores_) throw std::logic_error("knn_candidates before knn_start");
  scores_->knn.candidates(scores, rows);
  for (std::int64_t& r : rows) r += first_;
}

template <class T>
const std::vector<double>& GreedyShard<T>::knn_scores() const {
  if (!scores_) throw std::logic_error("knn_scores before knn_start");
  return scores_->knn.scores();
}

template <class T>
std::size_t GreedyShard<T>::list_updates() const {
  return scores_ ? scores_->knn.list_updates() : 0;
}
template <class T>
std::size_t GreedyShard<T>::pool_pass_updates() const {
  return scores_ ? scores_->knn.pool_pass_updates() : 0;
}

template <class T>
void GreedyShard<T>::relaxed_rank(double eps, const InterruptCheck* interrupted) {
  if (!(eps >= 0)) throw std::invalid_argument("eps must be >= 0, got " + std::to_string(eps));
  ranked_values_ = detail::relaxed_values(rows_, ts_, eps, n_threads_, interrupted);
  ranked_rows_ = detail::ranked_rows(ranked_values_);
  std::vector<double> sorted(ranked_rows_.size());
  for (std::size_t j = 0; j < sorted.size(); ++j) sorted[j] = ranked_values_[static_cast<std::size_t>(ranked_rows_[j])];
  ranked_values_ = std::move(sorted);
}

template <class T>
void GreedyShard<T>::relaxed_ranked(std::size_t from, std::size_t count, std::vector<double>& values,
                                    std::vector<std::int64_t>& rows) const {
  values.clear();
  rows.clear();
  for (std::size_t j = from; j < ranked_rows_.size() && j < from + count; ++j) {
    values.push_back(ranked_values_[j]);
    rows.push_back(first_ + ranked_rows_[j]);
  }
}

template class GreedyShard<float>;
template class GreedyShard<double>;

}  // namespace gio
