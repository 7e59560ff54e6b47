// A min-tree over the greedy search's row scores (internal to the core; issue 14): the knn
// greedy's pick and a shard's candidates in O(log rows) per row returned, where a scan reads
// every row.
//
// Leaves are rows (taken rows hold +inf), each inner node the min of its two children, in one
// array: node 1 the root, node i's children 2i and 2i+1, leaves from size_ (a power of two; the
// padding holds +inf). Values are never NaN (scores are sums of logs of ratios in (0, 1]), so
// min and the comparisons below are exact and the answers are the scan's, bit for bit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace gio::detail {

class ScoreTree {
 public:
  static constexpr double kTaken = std::numeric_limits<double>::infinity();

  // n rows, all available; their values come with build().
  explicit ScoreTree(std::size_t n) : n_(n), available_(n, 1) {
    while (size_ < n) size_ *= 2;
    node_.assign(2 * size_, kTaken);
  }

  // Every available row's value from values[row] (after a pass changed every row): O(rows).
  void build(const std::vector<double>& values) {
    for (std::size_t r = 0; r < n_; ++r) node_[size_ + r] = available_[r] ? values[r] : kTaken;
    for (std::size_t i = size_ - 1; i >= 1; --i) node_[i] = lower(node_[2 * i], node_[2 * i + 1]);
  }
  // One available row's new value (ignored for a taken row): O(log rows) at most, as it stops
  // at the first ancestor whose min does not change (most updates touch no row's subtree min).
  void set(std::size_t row, double v) {
    if (available_[row]) put(row, v);
  }
  void take(std::size_t row) {
    available_[row] = 0;
    put(row, kTaken);
  }
  bool available(std::size_t row) const { return available_[row] != 0; }

  // The scan these replace, and whose answers they are: lo = the lowest available value; pick =
  // the first available row with value <= limit(lo); candidates = the available rows in row
  // order with value <= limit(lo), each lower than the last one kept (their values with them).
  // The root is +inf only when every available value is (or no row is): limit(lo) is then +inf,
  // which the tree cannot tell from a taken row, and the first available row is both answers.
  template <class Limit>
  std::int64_t pick(Limit&& limit) const {
    const double lo = node_[1];
    if (lo == kTaken) return first_available();
    const double most = limit(lo);
    return first(0, [most](double v) { return v <= most; });
  }
  template <class Limit>
  void candidates(Limit&& limit, std::vector<double>& values, std::vector<std::int64_t>& rows) const {
    values.clear();
    rows.clear();
    const double lo = node_[1];
    if (lo == kTaken) {
      if (const std::int64_t r = first_available(); r >= 0) {
        values.push_back(kTaken);
        rows.push_back(r);
      }
      return;
    }
    const double most = limit(lo);
    for (std::int64_t r = first(0, [most](double v) { return v <= most; }); r >= 0;) {
      const double v = node_[size_ + static_cast<std::size_t>(r)];
      values.push_back(v);
      rows.push_back(r);
      r = first(static_cast<std::size_t>(r) + 1, [v](double w) { return w < v; });
    }
  }

 private:
  static double lower(double a, double b) { return b < a ? b : a; }

  void put(std::size_t row, double v) {
    std::size_t i = size_ + row;
    node_[i] = v;
    for (i /= 2; i >= 1; i /= 2) {
      const double m = lower(node_[2 * i], node_[2 * i + 1]);
      if (m == node_[i]) break;  // so are its ancestors'
      node_[i] = m;
    }
  }

  // The first row >= from whose value satisfies keep, or -1. keep holds for every value below
  // one it holds for (v <= x, v < x) and not for +inf, so a node's min says whether its subtree
  // has such a row: climb from `from` to the first subtree that has one, then descend into it.
  template <class Keep>
  std::int64_t first(std::size_t from, Keep&& keep) const {
    if (from >= n_) return -1;
    std::size_t i = size_ + from;
    while (!keep(node_[i])) {
      while (i & 1) i /= 2;   // a right child: its parent's subtree ends here too
      if (i == 0) return -1;  // climbed past the root: no row left
      ++i;                    // the next subtree to the right
    }
    while (i < size_) {
      i *= 2;
      if (!keep(node_[i])) ++i;
    }
    return static_cast<std::int64_t>(i - size_);
  }

  std::int64_t first_available() const {
    for (std::size_t r = 0; r < n_; ++r)
      if (available_[r]) return static_cast<std::int64_t>(r);
    return -1;
  }

  std::size_t n_, size_ = 1;
  std::vector<std::uint8_t> available_;
  std::vector<double> node_;
};

}  // namespace gio::detail
