// Exact nearest-row answers for queries close to an earlier one (internal to PoolIndex).
//
// The cache holds the K pool rows nearest to a centre c, found by brute force, and `bound`: the
// distance from c to the nearest row left out of the list. For a query q at distance delta from
// c, every row outside the list is at least bound - delta from q (triangle inequality), so the
// best available listed row h is the exact answer whenever d(q, h) < bound - delta. Successive
// GIO descents end close to each other, so most picks are answered from K rows instead of M.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "gio/matrix.hpp"

namespace gio::detail {

class CertifiedCache {
 public:
  static constexpr std::size_t kRows = 64;

  bool valid() const { return valid_; }
  void clear() { valid_ = false; }

  // list: (squared distance to c, row) of the K nearest rows, any order; bound_sq: squared
  // distance from c to the nearest row not in the list.
  void reset(const double* c, std::size_t d, std::vector<std::pair<double, std::int64_t>> list, double bound_sq) {
    centre_.assign(c, c + d);
    rows_.clear();
    for (const auto& e : list) rows_.push_back(e.second);
    bound_ = std::sqrt(bound_sq);
    valid_ = true;
  }

  // The exact nearest available row to q (ties: lowest row), or -1 when the cache cannot
  // certify one. sq_dist(row, q) must be the squared distance used everywhere else.
  template <class SqDist>
  std::int64_t lookup(const double* q, const std::vector<std::uint8_t>& taken, SqDist sq_dist) const {
    if (!valid_) return -1;
    double delta_sq = 0;
    for (std::size_t j = 0; j < centre_.size(); ++j) delta_sq += (q[j] - centre_[j]) * (q[j] - centre_[j]);
    const double margin = bound_ - std::sqrt(delta_sq);
    if (!(margin > 0)) return -1;
    double best = 0;
    std::int64_t best_row = -1;
    for (std::int64_t row : rows_) {
      if (taken[static_cast<std::size_t>(row)]) continue;
      const double s = sq_dist(row);
      if (best_row < 0 || s < best || (s == best && row < best_row)) { best = s; best_row = row; }
    }
    // Strict, with a relative guard for rounding in the distances.
    if (best_row < 0 || !(std::sqrt(best) < margin * (1.0 - 1e-9))) return -1;
    return best_row;
  }

  // The k nearest available rows to q as (squared distance, row), nearest first (ties: lowest
  // row), into `out`; false when the cache cannot certify all k (every row outside the list is
  // farther than the k-th, so its order, ties included, is the whole pool's).
  template <class SqDist>
  bool lookup_k(const double* q, const std::vector<std::uint8_t>& taken, std::size_t k, SqDist sq_dist,
                std::vector<std::pair<double, std::int64_t>>& out) const {
    out.clear();
    if (!valid_ || k == 0) return false;
    double delta_sq = 0;
    for (std::size_t j = 0; j < centre_.size(); ++j) delta_sq += (q[j] - centre_[j]) * (q[j] - centre_[j]);
    const double margin = bound_ - std::sqrt(delta_sq);
    if (!(margin > 0)) return false;
    for (std::int64_t row : rows_)
      if (!taken[static_cast<std::size_t>(row)]) out.emplace_back(sq_dist(row), row);
    if (out.size() < k) return false;
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(k), out.end());
    out.resize(k);
    return std::sqrt(out.back().first) < margin * (1.0 - 1e-9);
  }

 private:
  std::vector<double> centre_;
  std::vector<std::int64_t> rows_;
  double bound_ = 0;
  bool valid_ = false;
};

}  // namespace gio::detail
