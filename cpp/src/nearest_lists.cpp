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

}  // namespace

template <class T>
std::vector<std::vector<std::int64_t>> nearest_rows_per_target(MatrixView<T> pool, const TargetStats& ts,
                                                               const std::vector<std::size_t>& targets,
                                                               std::size_t len, const std::vector<std::uint8_t>& taken,
                                                               int n_threads, const InterruptCheck* interrupted) {
  const std::size_t n = targets.size(), d = pool.cols;
  const std::vector<std::uint8_t> none(taken.empty() ? pool.rows : 0, 0);
  const std::uint8_t* tk = taken.empty() ? none.data() : taken.data();
  std::vector<std::vector<Candidate>> heaps(n);
  Stopper stopper(interrupted);
  for (std::size_t b0 = 0; b0 < pool.rows && !stopper.stopped(); b0 += kBlockRows) {
    const std::size_t b1 = std::min(pool.rows, b0 + kBlockRows);
#pragma omp parallel num_threads(n_threads)
    {
      std::vector<double> dist(b1 - b0);
#pragma omp for schedule(static)
      for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(n); ++j) {
        if (stopper.stop()) continue;
        const auto t = static_cast<std::size_t>(j);
        kernels::sq_dists_rows(pool.data, d, b0, b1, tk, ts.row(targets[t]), dist.data());
        for (std::size_t r = b0; r < b1; ++r)
          if (!tk[r]) offer(heaps[t], len, {dist[r - b0], static_cast<std::int64_t>(r)});
      }
    }
  }
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
                                        std::size_t list_len, int n_threads, const InterruptCheck* interrupted)
    : pool_(pool), ts_(ts), n_threads_(n_threads), interrupted_(interrupted), order_(ts.n()), head_(ts.n(), 0) {
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  Rng rng(seed);
  for (std::size_t i = order_.size(); i > 1; --i) std::swap(order_[i - 1], order_[rng.below(i)]);  // Fisher-Yates
  std::vector<std::size_t> all(ts.n());
  std::iota(all.begin(), all.end(), std::size_t{0});
  lists_ = nearest_rows_per_target(pool, ts, all, std::min(list_len, pool.rows), {}, n_threads, interrupted);
}

template <class T>
std::int64_t NearestRoundRobin<T>::next(const std::vector<std::uint8_t>& taken) {
  const std::size_t t = order_[pos_];
  pos_ = (pos_ + 1) % order_.size();
  last_ = t;
  std::vector<std::int64_t>& list = lists_[t];
  std::size_t& h = head_[t];
  while (h < list.size() && taken[static_cast<std::size_t>(list[h])]) ++h;
  if (h == list.size()) {  // used up: a fresh list of the available rows, twice as long
    const std::size_t len = std::min(pool_.rows, std::max<std::size_t>(2 * list.size(), 16));
    list = std::move(nearest_rows_per_target(pool_, ts_, {t}, len, taken, n_threads_, interrupted_)[0]);
    h = 0;
    if (list.empty()) return -1;
  }
  return list[h];
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
