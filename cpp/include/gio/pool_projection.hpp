// What a run reads of its pool (PoolRows), and what the descent asks of its projection
// (PoolProjection): the nearest available rows to a point, taking rows, refilling. PoolIndex is
// the one-process projection over a pool in memory; a caller can hand select_descent its own (a
// pool sharded across processes, docs/dask.md), which then answers for rows it holds nowhere here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gio/frame.hpp"
#include "gio/matrix.hpp"
#include "gio/result.hpp"

namespace gio {

template <class T>
class PoolRows {
 public:
  virtual ~PoolRows() = default;
  virtual std::size_t rows() const = 0;
  // The values of pool row r (cols() of them), valid until the next call on this object. A
  // projection is asked only for rows it returned from nearest() or nearest_k(), or, on resume,
  // for the rows of the state's selection.
  virtual const T* row(std::int64_t r) = 0;
};

// The pool as a MatrixView (every search over a pool in memory).
template <class T>
class ViewRows final : public PoolRows<T> {
 public:
  explicit ViewRows(MatrixView<T> pool) : pool_(pool) {}
  std::size_t rows() const override { return pool_.rows; }
  const T* row(std::int64_t r) override { return pool_.row(static_cast<std::size_t>(r)); }

 private:
  MatrixView<T> pool_;
};

// Query points v are d doubles in the run's frame (frame.hpp), which the descent hands over with
// use_frame() before the first query. Every answer is exact, or the projection's own documented
// approximation: ties go to the lowest row.
template <class T>
class PoolProjection : public PoolRows<T> {
 public:
  // The frame of the queries (must outlive the projection's use). A projection built with it
  // (PoolIndex) may ignore the call.
  virtual void use_frame(const Frame& frame) { (void)frame; }
  // Nearest available row to v, or -1 when none is left.
  virtual std::int64_t nearest(const double* v) = 0;
  // The c nearest available rows to v, nearest first (ties: lowest row); fewer if fewer remain.
  virtual std::vector<std::int64_t> nearest_k(const double* v, std::size_t c) = 0;
  // How many queries the projection wants announced ahead (0: none). A projection that pays a
  // round trip per call (shards on other processes) answers a whole batch from one.
  virtual std::size_t lookahead() const { return 0; }
  // The run's next `count` queries (count x d, in order) when it knows them, each to be asked with
  // nearest(points + i * d), or nearest_k(..., c) when c > 1, and followed by the take of one row
  // of its answer, unless the run stops or refills first. A hint: every query is still asked, and
  // its answer must be the same as without the hint.
  virtual void upcoming(const double* points, std::size_t count, std::size_t c) {
    (void)points;
    (void)count;
    (void)c;
  }
  virtual void take(std::int64_t row) = 0;
  virtual void refill() = 0;  // every row becomes available again (a GIO reset)
  virtual bool is_available(std::int64_t row) const = 0;
  virtual std::size_t available() const = 0;
  // The projection's diagnostics into a run's statistics (nothing there changes a selection).
  virtual void report(RunStats& stats) const { (void)stats; }
};

}  // namespace gio
