#include "nearest_lists.hpp"

#include <algorithm>
#include <numeric>

#include "gio/rng.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace gio::detail {
namespace {

using Candidate = std::pair<double, std::int64_t>;  // (squared distance, row): ties to the lower row
constexpr std::size_t kBlockRows = 2048;            // a block of pool rows stays in cache for all targets

// Offers a row to a max-heap of the `len` best candidates.
void offer(std::vector<Candidate>& heap, std::size_t len, Candidate c) {
  if (heap.size() < len) {
    heap.push_back(c);
    std::push_heap(heap.begin(), heap.end());
  } else if (c < heap.front()) {
    std::pop_heap(heap.begin(), heap.end());
    heap.back() = c;
    std::push_heap(heap.begin(), heap.end());
  }
}

// Cosine: 1 / |row| of every pool row (the kernels read row r as row_r / |row_r|); else empty.
template <class T>
std::vector<double> inverse_norms(MatrixView<T> pool, const Frame& frame, int n_threads) {
  std::vector<double> inv_norm;
  if (!frame.cosine()) return inv_norm;
  inv_norm.resize(pool.rows);
#pragma omp parallel for num_threads(n_threads) schedule(static)
  for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(pool.rows); ++r)
    inv_norm[static_cast<std::size_t>(r)] = Frame::inverse_norm(pool.row(static_cast<std::size_t>(r)), pool.cols);
  return inv_norm;
}

}  // namespace

template <class T>
std::vector<std::vector<std::int64_t>> nearest_rows_per_target(MatrixView<T> pool, const TargetStats& ts,
                                                               const std::vector<std::size_t>& targets,
                                                               std::size_t len, const std::vector<std::uint8_t>& taken,
                                                               int n_threads, const InterruptCheck* interrupted) {
  const std::size_t n = targets.size(), d = pool.cols, blocks = (pool.rows + kBlockRows - 1) / kBlockRows;
  const std::vector<std::uint8_t> none(taken.empty() ? pool.rows : 0, 0);
  const std::uint8_t* tk = taken.empty() ? none.data() : taken.data();
  std::vector<std::vector<Candidate>> heaps(n);
  std::vector<double> raw(n * d);  // the targets in the pool's coordinates (ts holds them in its frame)
  for (std::size_t t = 0; t < n; ++t) ts.frame().unmap(ts.row(targets[t]), d, raw.data() + t * d);
  const std::vector<double> inv_norm = inverse_norms(pool, ts.frame(), n_threads);
  // Many targets: threads split the targets (the same static split in every block, so each
  // heap has one owner and no barrier is needed). Fewer targets than threads (a list rebuilt):
  // threads split the blocks, each with its own heaps, merged at the end.
  const bool split_targets = n >= static_cast<std::size_t>(n_threads);
  Stopper stopper(interrupted);
  FirstError err;
#pragma omp parallel num_threads(n_threads)
  {
    std::vector<double> dist(kBlockRows);
    std::vector<std::vector<Candidate>> own(split_targets ? 0 : n);
    auto scan = [&](std::vector<Candidate>& heap, std::size_t t, std::size_t b0, std::size_t b1) {
      if (stopper.stop()) return;
      err.run([&] {
        kernels::sq_dists_rows(pool.data, d, b0, b1, tk, raw.data() + t * d, dist.data(),
                               inv_norm.empty() ? nullptr : inv_norm.data() + b0);
        for (std::size_t r = b0; r < b1; ++r)
          if (!tk[r]) offer(heap, len, {dist[r - b0], static_cast<std::int64_t>(r)});
      });
    };
    // Every thread meets every worksharing construct; an interrupt only empties their bodies.
    if (split_targets) {
      for (std::size_t b = 0; b < blocks; ++b) {
        const std::size_t b0 = b * kBlockRows, b1 = std::min(pool.rows, b0 + kBlockRows);
#pragma omp for schedule(static) nowait
        for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(n); ++j)
          scan(heaps[static_cast<std::size_t>(j)], static_cast<std::size_t>(j), b0, b1);
      }
    } else {
#pragma omp for schedule(static)
      for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(blocks); ++b) {
        const std::size_t b0 = static_cast<std::size_t>(b) * kBlockRows, b1 = std::min(pool.rows, b0 + kBlockRows);
        for (std::size_t t = 0; t < n; ++t) scan(own[t], t, b0, b1);
      }
#pragma omp critical(gio_nearest_lists_merge)
      err.run([&] {
        for (std::size_t t = 0; t < n; ++t)
          for (const Candidate& c : own[t]) offer(heaps[t], len, c);
      });
    }
  }
  err.rethrow();
  stopper.throw_if_stopped();
  std::vector<std::vector<std::int64_t>> lists(n);
  for (std::size_t t = 0; t < n; ++t) {
    std::sort_heap(heaps[t].begin(), heaps[t].end());
    lists[t].reserve(heaps[t].size());
    for (const Candidate& c : heaps[t]) lists[t].push_back(c.second);
  }
  return lists;
}

template <class T>
NearestRoundRobin<T>::NearestRoundRobin(MatrixView<T> pool, const TargetStats& ts, std::uint64_t seed,
                                        std::size_t list_len, std::size_t budget, int n_threads,
                                        const InterruptCheck* interrupted)
    : pool_(pool), ts_(ts), n_threads_(n_threads), interrupted_(interrupted), budget_(budget), order_(ts.n()),
      head_(ts.n(), 0) {
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);  // Fisher-Yates
  std::vector<std::size_t> all(ts.n());
  std::iota(all.begin(), all.end(), std::size_t{0});
  lists_ = nearest_rows_per_target(pool, ts, all, std::min(list_len, pool.rows), {}, n_threads, interrupted);
  inv_norm_ = inverse_norms(pool, ts.frame(), n_threads);
}

template <class T>
std::int64_t NearestRoundRobin<T>::next(const std::vector<std::uint8_t>& taken) {
  const std::size_t t = order_[pos_];
  pos_ = (pos_ + 1) % order_.size();
  last_ = t;
  std::vector<std::int64_t>& list = lists_[t];
  std::size_t& h = head_[t];
  while (h < list.size() && taken[static_cast<std::size_t>(list[h])]) ++h;
  if (h == list.size()) {
    refill(t, taken);
    if (list.empty()) return -1;
  }
  return list[h];
}

template <class T>
void NearestRoundRobin<T>::refill(std::size_t t, const std::vector<std::uint8_t>& taken) {
  // Other targets took t's rows. Targets near t are usually about to run out too, and one pass
  // over the pool serves many targets for the cost of one (the pool is read once per block), so
  // every target with fewer than kLow available rows left is refilled with it. A new list is long
  // enough for the rest of the budget (a scan costs the same for any length), or twice as long.
  constexpr std::size_t kLow = 8;
  std::vector<std::size_t> due;
  std::size_t len = std::max<std::size_t>({budget_, 16});
  for (std::size_t u = 0; u < lists_.size(); ++u) {
    std::vector<std::int64_t>& list = lists_[u];
    std::size_t& h = head_[u];
    while (h < list.size() && taken[static_cast<std::size_t>(list[h])]) ++h;  // taken rows stay taken
    std::size_t left = 0;
    for (std::size_t i = h; i < list.size() && left < kLow; ++i) left += !taken[static_cast<std::size_t>(list[i])];
    if (u == t || (left < kLow && list.size() < pool_.rows)) {
      due.push_back(u);
      len = std::max(len, 2 * list.size());
    }
  }
  len = std::min(len, pool_.rows);
  // Long lists: every available row's distance, then a partial sort (a heap of `len` entries
  // costs more than the scan once len reaches thousands).
  Stopper stopper(interrupted_);
  FirstError err;
#pragma omp parallel num_threads(n_threads_)
  {
    std::vector<double> dist(pool_.rows), raw(pool_.cols);
    std::vector<std::int64_t> rows;
#pragma omp for schedule(dynamic, 1)
    for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(due.size()); ++i) {
      if (stopper.stop()) continue;
      err.run([&] {
        const std::size_t u = due[static_cast<std::size_t>(i)];
        ts_.frame().unmap(ts_.row(u), pool_.cols, raw.data());  // raw pool rows, as the first lists read them
        kernels::sq_dists_rows(pool_.data, pool_.cols, 0, pool_.rows, taken.data(), raw.data(), dist.data(),
                               inv_norm_.empty() ? nullptr : inv_norm_.data());
        rows.clear();
        for (std::size_t r = 0; r < pool_.rows; ++r)
          if (!taken[r]) rows.push_back(static_cast<std::int64_t>(r));
        const std::size_t keep = std::min(len, rows.size());
        auto closer = [&](std::int64_t a, std::int64_t b) {
          const double da = dist[static_cast<std::size_t>(a)], db = dist[static_cast<std::size_t>(b)];
          return da < db || (da == db && a < b);
        };
        if (keep < rows.size()) std::nth_element(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), rows.end(), closer);
        std::sort(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep), closer);
        lists_[u].assign(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(keep));
        head_[u] = 0;
      });
    }
  }
  err.rethrow();
  stopper.throw_if_stopped();
}

template std::vector<std::vector<std::int64_t>> nearest_rows_per_target(MatrixView<float>, const TargetStats&,
                                                                        const std::vector<std::size_t>&, std::size_t,
                                                                        const std::vector<std::uint8_t>&, int,
                                                                        const InterruptCheck*);
template std::vector<std::vector<std::int64_t>> nearest_rows_per_target(MatrixView<double>, const TargetStats&,
                                                                        const std::vector<std::size_t>&, std::size_t,
                                                                        const std::vector<std::uint8_t>&, int,
                                                                        const InterruptCheck*);
template class NearestRoundRobin<float>;
template class NearestRoundRobin<double>;

}  // namespace gio::detail
