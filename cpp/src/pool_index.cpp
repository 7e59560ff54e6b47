#include "gio/pool_index.hpp"

#include <algorithm>
#include <chrono>
#include <utility>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "certified_cache.hpp"
#include "hnswlib_headers.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace gio {

template <class T>
struct PoolIndex<T>::Hnsw {
  explicit Hnsw(std::size_t dim) : space(dim) {}
  hnswlib::L2Space space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index;
};

template <class T>
struct PoolIndex<T>::Cache : detail::CertifiedCache {};

namespace {

// Inside a parallel region: this thread's index and its slice [r0, r1) of n rows.
struct ThreadRows {
  std::size_t t, r0, r1;
};
ThreadRows thread_rows(std::size_t n) {
#ifdef _OPENMP
  const auto t = static_cast<std::size_t>(omp_get_thread_num()), nt = static_cast<std::size_t>(omp_get_num_threads());
#else
  const std::size_t t = 0, nt = 1;
#endif
  return {t, n * t / nt, n * (t + 1) / nt};
}

// Lets hnswlib see only rows that are still available.
class AvailableFilter : public hnswlib::BaseFilterFunctor {
 public:
  explicit AvailableFilter(const std::vector<std::uint8_t>& taken) : taken_(taken) {}
  bool operator()(hnswlib::labeltype id) override { return !taken_[id]; }

 private:
  const std::vector<std::uint8_t>& taken_;
};

template <class T>
double sq_diff(const T* a, const double* b, std::size_t d, const double* row_scale) {
  if constexpr (std::is_same_v<T, float>) return kernels::sq_diff_f(a, b, d, row_scale);
  else return kernels::sq_diff_d(a, b, d, row_scale);
}

}  // namespace

template <class T>
PoolIndex<T>::PoolIndex(MatrixView<T> pool, ProjectionOptions opts, int n_threads, const InterruptCheck* interrupted,
                        const Frame* frame)
    : pool_(pool), opts_(opts), n_threads_(n_threads), interrupted_(interrupted), frame_(frame ? frame : &identity_),
      taken_(pool.rows, 0), available_(pool.rows) {
  compute_inverse_norms();
  if (opts_.hnsw_m < 2) throw std::invalid_argument("hnsw_m must be >= 2, got " + std::to_string(opts_.hnsw_m));
  if (opts_.ef_search < 1 || opts_.ef_construction < 1)
    throw std::invalid_argument("ef_search and ef_construction must be >= 1");
  if (opts_.rerank < 1) opts_.rerank = 1;
}

template <class T>
PoolIndex<T>::~PoolIndex() = default;

template <class T>
void PoolIndex<T>::compute_inverse_norms() {
  if (!frame_->cosine() || !inv_norm_.empty()) return;  // the exact kernels read row r as row_r / |row_r|
  inv_norm_.resize(pool_.rows);
#pragma omp parallel for num_threads(detail::resolve_threads(n_threads_)) schedule(static)
  for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(pool_.rows); ++r)
    inv_norm_[static_cast<std::size_t>(r)] = Frame::inverse_norm(pool_.row(static_cast<std::size_t>(r)), pool_.cols);
}

template <class T>
void PoolIndex<T>::use_frame(const Frame& frame) {
  if (frame_ != &identity_) return;
  if (hnsw_ || cache_) throw std::logic_error("PoolIndex::use_frame after its first query");
  frame_ = &frame;
  compute_inverse_norms();
}

template <class T>
std::vector<double> PoolIndex<T>::raw(const double* v) const {
  std::vector<double> x(pool_.cols);
  frame_->unmap(v, pool_.cols, x.data());
  return x;
}

template <class T>
std::int64_t PoolIndex<T>::cache_lookup(const double* v) {
  if (!use_cache_ || !cache_) return -1;
  const std::size_t d = pool_.cols;
  const std::int64_t hit =
      cache_->lookup(v, taken_, [&](std::int64_t r) { return sq_diff(pool_.row(static_cast<std::size_t>(r)), v, d, scales(r)); });
  if (hit >= 0) ++cache_hits_;
  else ++cache_misses_;
  return hit;
}

template <class T>
std::vector<std::pair<double, std::int64_t>> PoolIndex<T>::available_distances(const double* v) const {
  const std::size_t n = pool_.rows, d = pool_.cols;
  std::vector<double> dist(n);
  const int nt = n * d >= (1u << 16) ? detail::resolve_threads(n_threads_) : 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    const auto [t, r0, r1] = thread_rows(n);
    (void)t;
    kernels::sq_dists_rows(pool_.data, d, r0, r1, taken_.data(), v, dist.data() + r0, scales(r0));
  }
  std::vector<std::pair<double, std::int64_t>> near;
  near.reserve(available_);
  for (std::size_t i = 0; i < n; ++i)
    if (!taken_[i]) near.emplace_back(dist[i], static_cast<std::int64_t>(i));
  return near;
}

template <class T>
void PoolIndex<T>::refresh_cache(const double* v, std::vector<std::pair<double, std::int64_t>>& near) {
  // K nearest for the list, one more for the bound
  const std::size_t K = detail::CertifiedCache::kRows;
  if (!cache_) cache_ = std::make_unique<Cache>();
  std::nth_element(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(K), near.end());
  cache_->reset(v, pool_.cols, std::vector<std::pair<double, std::int64_t>>(near.begin(), near.begin() + K),
                near[K].first);
}

template <class T>
std::int64_t PoolIndex<T>::brute_force_and_cache(const double* v) {
  if (available_ <= detail::CertifiedCache::kRows + 1) return exact_nearest_raw(v);
  std::vector<std::pair<double, std::int64_t>> near = available_distances(v);
  refresh_cache(v, near);
  return std::min_element(near.begin(), near.begin() + detail::CertifiedCache::kRows)->second;  // ties: lowest row
}

template <class T>
double PoolIndex<T>::sq_dist(std::int64_t r, const double* v) const {
  const std::vector<double> rv = raw(v);
  return sq_diff(pool_.row(static_cast<std::size_t>(r)), rv.data(), pool_.cols, scales(r));
}

template <class T>
void PoolIndex<T>::report(RunStats& s) const {
  s.index_build_seconds = build_seconds_;
  s.hnsw_queries = hnsw_queries_;
  s.hnsw_searches = hnsw_searches_;
  s.audit_agreements = audit_agree_;
  s.cache_hits = cache_hits_;
}

template <class T>
void PoolIndex<T>::take(std::int64_t row) {
  auto r = static_cast<std::size_t>(row);
  if (row < 0 || r >= pool_.rows) throw std::out_of_range("pool row " + std::to_string(row) + " out of range");
  if (!taken_[r]) {
    taken_[r] = 1;
    --available_;
  }
}

template <class T>
void PoolIndex<T>::refill() {
  std::fill(taken_.begin(), taken_.end(), 0);
  available_ = pool_.rows;
  if (cache_) cache_->clear();  // its bound held for the rows available then
}

template <class T>
std::int64_t PoolIndex<T>::exact_nearest_raw(const double* v) const {
  const std::size_t n = pool_.rows, d = pool_.cols;
  // Two threads pay off from about 64k multiply-adds (a 1,000 x 64 pool).
  const int nt = n * d >= (1u << 16) ? detail::resolve_threads(n_threads_) : 1;
  if (nt == 1) {
    double best = std::numeric_limits<double>::infinity();
    std::int64_t best_row = -1;
    kernels::nearest_rows(pool_.data, d, 0, n, taken_.data(), v, &best, &best_row, scales(0));
    return best_row;
  }
  // One contiguous slice of rows per thread; slices are merged in row order, so ties still go
  // to the lowest row.
  std::vector<double> best(static_cast<std::size_t>(nt), std::numeric_limits<double>::infinity());
  std::vector<std::int64_t> best_row(static_cast<std::size_t>(nt), -1);
#pragma omp parallel num_threads(nt)
  {
#ifdef _OPENMP
    const auto t = static_cast<std::size_t>(omp_get_thread_num());
#else
    const std::size_t t = 0;
#endif
    const std::size_t r0 = n * t / static_cast<std::size_t>(nt), r1 = n * (t + 1) / static_cast<std::size_t>(nt);
    kernels::nearest_rows(pool_.data, d, r0, r1, taken_.data(), v, &best[t], &best_row[t], scales(r0));
  }
  double b = std::numeric_limits<double>::infinity();
  std::int64_t br = -1;
  for (std::size_t t = 0; t < best.size(); ++t)
    if (best_row[t] >= 0 && (br < 0 || best[t] < b)) { b = best[t]; br = best_row[t]; }
  return br;
}

template <class T>
void PoolIndex<T>::build() {
  const auto t0 = std::chrono::steady_clock::now();
  const std::size_t n = pool_.rows, d = pool_.cols;
  hnsw_ = std::make_unique<Hnsw>(d);
  hnsw_->index = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      &hnsw_->space, n, static_cast<std::size_t>(opts_.hnsw_m),
      static_cast<std::size_t>(opts_.ef_construction), static_cast<std::size_t>(opts_.seed));
  auto* index = hnsw_->index.get();
  // The graph holds the rows in the frame, where queries come from (float32 after centring, so
  // that a float64 offset survives; unit length under cosine); float32 rows in the identity frame
  // go in as they are.
  const bool as_is = std::is_same_v<T, float> && frame_->identity();
  struct Scratch {
    std::vector<float> row;
    std::vector<double> z;
  };
  auto add = [&](std::size_t i, Scratch& buf) {
    const T* row = pool_.row(i);
    if (as_is) {
      index->addPoint(row, static_cast<hnswlib::labeltype>(i));
    } else {
      buf.row.resize(d);
      buf.z.resize(d);
      frame_->map_f32(row, d, buf.row.data(), buf.z.data());
      index->addPoint(buf.row.data(), static_cast<hnswlib::labeltype>(i));
    }
  };
  // hnswlib's insertion is thread-safe except for the first element, which sets the entry point:
  // it goes in alone. The rest go in parallel, and that build is not deterministic, nor can it be
  // made so from here: hnswlib 0.8.0's addPoint draws every element's level from one shared,
  // unsynchronised generator before it looks at a level passed in (`curlevel = getRandomLevel();
  // if (level > 0) curlevel = level;`, so level 0 cannot even be asked for), and each element's
  // neighbours are the nearest of those already inserted, which depends on the interleaving.
  // n_jobs=1 (or projection='exact') repeats bit for bit; README and docs/sanitizers.md say so.
  Scratch first;
  if (n > 0) add(0, first);
  const int nt = detail::resolve_threads(n_threads_);
  detail::FirstError err;
  detail::Stopper stopper(interrupted_);
#pragma omp parallel num_threads(nt)
  {
    Scratch buf;
#pragma omp for schedule(dynamic, 256)
    for (std::ptrdiff_t i = 1; i < static_cast<std::ptrdiff_t>(n); ++i)
      if (!stopper.stop()) err.run([&] { add(static_cast<std::size_t>(i), buf); });
  }
  err.rethrow();
  if (stopper.stopped()) {
    hnsw_.reset();  // half a graph is no index
    stopper.throw_if_stopped();
  }
  index->setEf(static_cast<std::size_t>(opts_.ef_search));
  build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class T>
std::int64_t PoolIndex<T>::hnsw_nearest(const double* v, const double* raw_v) {
  if (!hnsw_) build();
  const std::size_t d = pool_.cols;
  std::vector<float> q(v, v + d);
  AvailableFilter filter(taken_);
  auto found = hnsw_->index->searchKnn(q.data(), std::min(opts_.rerank, available_), &filter);
  ++hnsw_searches_;
  // Re-score the candidates in double precision; ties go to the lowest row, as in exact search.
  double best = std::numeric_limits<double>::infinity();
  std::int64_t best_row = -1;
  for (; !found.empty(); found.pop()) {
    const auto row = static_cast<std::int64_t>(found.top().second);
    const double s = sq_diff(pool_.row(static_cast<std::size_t>(row)), raw_v, d, scales(row));
    if (s < best || (s == best && row < best_row)) { best = s; best_row = row; }
  }
  return best_row;
}

template <class T>
std::int64_t PoolIndex<T>::nearest(const double* v) {
  if (available_ == 0) return -1;
  const bool exact = opts_.mode == Projection::Exact ||
                     (opts_.mode == Projection::Auto && available_ <= opts_.exact_below);
  const std::vector<double> rv = raw(v);  // exact distances: raw rows against v mapped back
  const double* r = rv.data();
  std::int64_t row = cache_lookup(r);
  if (row >= 0 && !exact) ++hnsw_queries_;
  if (row < 0) {
    // Queries that jump around (v_init='jump') rarely hit the cache: then stop refreshing it.
    if (cache_misses_ >= 16 && cache_hits_ < cache_misses_) use_cache_ = false;
    if (exact) return use_cache_ ? brute_force_and_cache(r) : exact_nearest_raw(r);
    // Approximate mode: refresh the cache by brute force while it answers most queries, else
    // ask HNSW. Descents from mean(X) end between clusters, where HNSW's greedy search fails
    // but nearly every query is certified from the cache.
    ++hnsw_queries_;
    row = use_cache_ && cache_hits_ >= cache_misses_ ? brute_force_and_cache(r) : hnsw_nearest(v, r);
    if (row < 0) row = exact_nearest_raw(r);  // the filtered graph search found nothing
  }
  if (opts_.audit && !exact && exact_nearest_raw(r) == row) ++audit_agree_;
  return row;
}

template <class T>
std::vector<std::int64_t> PoolIndex<T>::nearest_k(const double* v, std::size_t c) {
  const std::size_t d = pool_.cols;
  c = std::min(c, available_);
  std::vector<std::pair<double, std::int64_t>> near;
  const bool exact = opts_.mode == Projection::Exact ||
                     (opts_.mode == Projection::Auto && available_ <= opts_.exact_below);
  const std::vector<double> rv = raw(v);
  if (exact) {
    // The certified cache answers close queries exactly (a batch of descents' ends, shards); a
    // miss scans every row and refreshes it. Its hit counts stay nearest()'s.
    const auto sqd = [&](std::int64_t r) { return sq_diff(pool_.row(static_cast<std::size_t>(r)), rv.data(), d, scales(r)); };
    if (use_cache_ && cache_ && cache_->lookup_k(rv.data(), taken_, c, sqd, near)) {
      ++cache_k_hits_;
      std::vector<std::int64_t> rows(near.size());
      for (std::size_t i = 0; i < near.size(); ++i) rows[i] = near[i].second;
      return rows;
    }
    near = available_distances(rv.data());
    if (use_cache_ && available_ > detail::CertifiedCache::kRows + 1) refresh_cache(rv.data(), near);
  } else {
    if (!hnsw_) build();
    std::vector<float> q(v, v + d);
    AvailableFilter filter(taken_);
    auto found = hnsw_->index->searchKnn(q.data(), std::max(c, opts_.rerank), &filter);
    ++hnsw_searches_;
    for (; !found.empty(); found.pop()) {
      const auto row = static_cast<std::int64_t>(found.top().second);
      near.emplace_back(sq_diff(pool_.row(static_cast<std::size_t>(row)), rv.data(), d, scales(row)), row);
    }
  }
  c = std::min(c, near.size());
  std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(c), near.end());
  std::vector<std::int64_t> rows(c);
  for (std::size_t i = 0; i < c; ++i) rows[i] = near[i].second;
  return rows;
}

template <class T>
std::vector<std::vector<std::pair<double, std::int64_t>>> PoolIndex<T>::nearest_k_batch(
    const double* points, std::size_t count, const std::vector<std::size_t>& ks) {
  const std::size_t n = pool_.rows, d = pool_.cols;
  std::vector<std::vector<std::pair<double, std::int64_t>>> out(count);
  const bool exact = opts_.mode == Projection::Exact ||
                     (opts_.mode == Projection::Auto && available_ <= opts_.exact_below);
  if (!exact) {
    for (std::size_t j = 0; j < count; ++j)
      for (std::int64_t r : nearest_k(points + j * d, ks[j])) out[j].emplace_back(sq_dist(r, points + j * d), r);
    return out;
  }
  std::vector<std::vector<double>> rv(count);
  for (std::size_t j = 0; j < count; ++j) rv[j] = raw(points + j * d);
  using Entry = std::pair<double, std::int64_t>;  // (squared distance, row): the total order of every answer
  const int nt = n * d * count >= (1u << 16) ? detail::resolve_threads(n_threads_) : 1;
  std::vector<std::vector<std::vector<Entry>>> found(static_cast<std::size_t>(std::max(nt, 1)));
#pragma omp parallel num_threads(nt) if (nt > 1)
  {
    // per query a max-heap of its ks[j] best so far; a tile of rows stays in cache for every query
    constexpr std::size_t kTile = 256;
    const auto [t, r0, r1] = thread_rows(n);
    std::vector<std::vector<Entry>>& heaps = found[t];
    heaps.assign(count, {});
    std::vector<double> dist(kTile);
    for (std::size_t a = r0; a < r1; a += kTile) {
      const std::size_t b = std::min(r1, a + kTile);
      for (std::size_t j = 0; j < count; ++j) {
        const std::size_t k = ks[j];
        if (k == 0) continue;
        kernels::sq_dists_rows(pool_.data, d, a, b, taken_.data(), rv[j].data(), dist.data(), scales(a));
        std::vector<Entry>& heap = heaps[j];
        for (std::size_t i = a; i < b; ++i) {
          if (taken_[i]) continue;
          const Entry e(dist[i - a], static_cast<std::int64_t>(i));
          if (heap.size() < k) {
            heap.push_back(e);
            std::push_heap(heap.begin(), heap.end());
          } else if (e < heap.front()) {
            std::pop_heap(heap.begin(), heap.end());
            heap.back() = e;
            std::push_heap(heap.begin(), heap.end());
          }
        }
      }
    }
  }
  for (std::size_t j = 0; j < count; ++j) {
    std::vector<Entry> all;
    for (const auto& heaps : found)
      if (!heaps.empty()) all.insert(all.end(), heaps[j].begin(), heaps[j].end());
    const std::size_t k = std::min(ks[j], all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end());
    out[j].assign(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k));
  }
  return out;
}

template class PoolIndex<float>;
template class PoolIndex<double>;

}  // namespace gio
