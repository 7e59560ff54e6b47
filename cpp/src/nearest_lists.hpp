// Nearest-to-target round-robin (internal to the core): the targets, in a seeded shuffled order,
// each take in turn their nearest not-yet-taken pool row. Each target keeps a sorted list of its
// L nearest pool rows (one blocked pass over the pool for all targets); the first untaken row of
// a list is that target's nearest available row, because taken rows only accumulate. A list
// used up is rebuilt from a fresh scan of the available rows.
#pragma once
#include <cstdint>
#include <utility>
#include <vector>

#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"

namespace gio::detail {

// For each target row i, its `len` nearest rows among the available ones (taken[r] == 0; empty
// taken: all), nearest first, ties: the lowest row. One pass over the pool in blocks, OpenMP
// over the targets within a block.
template <class T>
std::vector<std::vector<std::int64_t>> nearest_rows_per_target(MatrixView<T> pool, const TargetStats& ts,
                                                               const std::vector<std::size_t>& targets,
                                                               std::size_t len, const std::vector<std::uint8_t>& taken,
                                                               int n_threads, const InterruptCheck* interrupted);

template <class T>
class NearestRoundRobin {
 public:
  // list_len: the first lists' length (the budget's share per target, with room for collisions);
  // budget: the picks the run may make (0: unknown), the length of a rebuilt list.
  NearestRoundRobin(MatrixView<T> pool, const TargetStats& ts, std::uint64_t seed, std::size_t list_len,
                    std::size_t budget, int n_threads, const InterruptCheck* interrupted);
  // Continues after `picks` picks (a resumed run): the next target is order[picks % n].
  void skip(std::size_t picks) { pos_ = picks % order_.size(); }
  // The next pick given the taken rows (taken[r] != 0), or -1 when none is left; advances the turn.
  std::int64_t next(const std::vector<std::uint8_t>& taken);
  // The target whose turn made the last pick.
  std::size_t last_target() const { return last_; }

 private:
  void refill(std::size_t t, const std::vector<std::uint8_t>& taken);

  MatrixView<T> pool_;
  const TargetStats& ts_;
  int n_threads_;
  const InterruptCheck* interrupted_;
  std::size_t budget_;
  std::vector<std::size_t> order_;
  std::vector<std::vector<std::int64_t>> lists_;
  std::vector<std::size_t> head_;
  std::vector<double> inv_norm_;  // cosine: 1 / |row| per pool row, for the rebuilt lists
  std::size_t pos_ = 0, last_ = 0;
};

}  // namespace gio::detail
