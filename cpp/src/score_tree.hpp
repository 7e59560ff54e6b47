// A min-tree over the greedy search's row scores (internal to the core; issue 14): the knn
// greedy's pick and a shard's candidates in O(kBlock + log rows) per row returned, where a scan
// reads every row.
//
// The scores stay the caller's (every call passes them, as they are after its changes): the
// tree holds, per block of kBlock consecutive rows, the lowest score of its available rows
// (+inf if none), and over those a segment tree in one array: node 1 the root, node i's
// children 2i and 2i+1, leaves (the blocks) from size_ (a power of two; the padding holds
// +inf). A pick's list updates change rows all over the pool, many of them, so a changed score
// only marks its block (one byte, in cache); refresh() then recomputes each marked block once
// and its path up, which stops at the first ancestor whose min is unchanged. (A leaf per row,
// kept up to date at every change, made the picks slower than the scan: docs/dask.md.) Scores
// are never NaN (sums of logs of ratios in (0, 1]), so min and the comparisons are exact and
// the answers are the scan's, bit for bit.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace gio::detail {

class ScoreTree {
 public:
  static constexpr double kTaken = std::numeric_limits<double>::infinity();
  static constexpr std::size_t kBlock = 16;  // rows per leaf: two cache lines of scores

  // n rows, all available; build() before any query.
  explicit ScoreTree(std::size_t n) : n_(n), available_(n, 1) {
    while (size_ * kBlock < n) size_ *= 2;
    node_.assign(2 * size_, kTaken);
    marked_.assign(size_, 0);
  }

  // After every row's score changed (a pass over the pool): O(rows).
  void build(const std::vector<double>& score) {
    std::fill(marked_.begin(), marked_.end(), 0);
    for (std::size_t b = 0; b < size_; ++b) node_[size_ + b] = block_min(score, b);
    for (std::size_t i = size_ - 1; i >= 1; --i) node_[i] = lower(node_[2 * i], node_[2 * i + 1]);
  }
  // score[row] changed: its block is recomputed by the next refresh(), before any query.
  void changed(std::size_t row) { marked_[row / kBlock] = 1; }
  void refresh(const std::vector<double>& score) {
    for (std::size_t b = 0; b < size_; ++b)
      if (marked_[b]) {
        marked_[b] = 0;
        put(b, block_min(score, b));
      }
  }
  void take(const std::vector<double>& score, std::size_t row) {
    if (!available_[row]) return;
    available_[row] = 0;
    const std::size_t b = row / kBlock;
    if (score[row] == node_[size_ + b]) put(b, block_min(score, b));
  }
  bool available(std::size_t row) const { return available_[row] != 0; }

  // The scan these replace, and whose answers they are: lo = the lowest available score; pick =
  // the first available row with score <= limit(lo); candidates = the available rows in row
  // order with score <= limit(lo), each lower than the last one kept (their scores with them).
  // The root is +inf only when every available score is (or no row is available): limit(lo)
  // is then +inf, which the tree cannot tell from a block without available rows, and the
  // first available row is both answers.
  template <class Limit>
  std::int64_t pick(const std::vector<double>& score, Limit&& limit) const {
    const double lo = node_[1];
    if (lo == kTaken) return first_available();
    const double most = limit(lo);
    return first(score, 0, [most](double v) { return v <= most; });
  }
  template <class Limit>
  void candidates(const std::vector<double>& score, Limit&& limit, std::vector<double>& values,
                  std::vector<std::int64_t>& rows) const {
    values.clear();
    rows.clear();
    const double lo = node_[1];
    if (lo == kTaken) {
      if (const std::int64_t r = first_available(); r >= 0) {
        values.push_back(score[static_cast<std::size_t>(r)]);
        rows.push_back(r);
      }
      return;
    }
    const double most = limit(lo);
    for (std::int64_t r = first(score, 0, [most](double v) { return v <= most; }); r >= 0;) {
      const double v = score[static_cast<std::size_t>(r)];
      values.push_back(v);
      rows.push_back(r);
      r = first(score, static_cast<std::size_t>(r) + 1, [v](double w) { return w < v; });
    }
  }

 private:
  static double lower(double a, double b) { return b < a ? b : a; }

  double block_min(const std::vector<double>& score, std::size_t b) const {
    double m = kTaken;
    for (std::size_t r = b * kBlock, end = std::min(n_, r + kBlock); r < end; ++r)
      m = lower(m, available_[r] ? score[r] : kTaken);  // no branch: the loop vectorises
    return m;
  }

  // Block b's new min, and its ancestors' up to the first that does not change.
  void put(std::size_t b, double m) {
    std::size_t i = size_ + b;
    node_[i] = m;
    for (i /= 2; i >= 1; i /= 2) {
      const double up = lower(node_[2 * i], node_[2 * i + 1]);
      if (up == node_[i]) break;  // so are its ancestors'
      node_[i] = up;
    }
  }

  // The first available row >= from whose score satisfies keep, or -1. keep holds for every
  // value below one it holds for (v <= x, v < x) and not for +inf, so a block's min says whether
  // it has such a row: the rest of from's block, then the first later block that has one (climb
  // to the first subtree that has one, descend into it), then its first such row.
  template <class Keep>
  std::int64_t first(const std::vector<double>& score, std::size_t from, Keep&& keep) const {
    if (from >= n_) return -1;
    std::size_t b = from / kBlock;
    if (keep(node_[size_ + b]))
      for (std::size_t r = from, end = std::min(n_, (b + 1) * kBlock); r < end; ++r)
        if (available_[r] && keep(score[r])) return static_cast<std::int64_t>(r);
    std::size_t i = size_ + b + 1;
    if (i == 2 * size_) return -1;  // from's block was the last
    while (!keep(node_[i])) {
      while (i & 1) i /= 2;   // a right child: its parent's subtree ends here too
      if (i == 0) return -1;  // climbed past the root: no block left
      ++i;                    // the next subtree to the right
    }
    while (i < size_) {
      i *= 2;
      if (!keep(node_[i])) ++i;
    }
    b = i - size_;
    for (std::size_t r = b * kBlock, end = std::min(n_, r + kBlock); r < end; ++r)
      if (available_[r] && keep(score[r])) return static_cast<std::int64_t>(r);
    return -1;  // not reached: the block's min row satisfies keep
  }

  std::int64_t first_available() const {
    for (std::size_t r = 0; r < n_; ++r)
      if (available_[r]) return static_cast<std::int64_t>(r);
    return -1;
  }

  std::size_t n_, size_ = 1;
  std::vector<std::uint8_t> available_;
  std::vector<double> node_;
  std::vector<std::uint8_t> marked_;  // per block: a score changed since the last refresh
};

}  // namespace gio::detail
