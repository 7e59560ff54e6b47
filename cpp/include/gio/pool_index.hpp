// Nearest not-yet-picked pool row to a query point. An HNSW index (hnswlib) over the pool is
// built once, on first need; picked rows are excluded by a bitset filter, never by rebuilding.
// Exact search (ties to the lowest row) is used on request, while at most exact_below rows
// remain, and whenever the index returns nothing. Exact search keeps a certified cache of the
// rows nearest to the last brute-force query (certified_cache.hpp), so queries that land close
// to an earlier one cost K distances instead of M, with the same answers.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "gio/frame.hpp"
#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"
#include "gio/options.hpp"
#include "gio/pool_projection.hpp"

namespace gio {

template <class T>
class PoolIndex final : public PoolProjection<T> {
 public:
  // n_threads: for the HNSW build and brute-force scans (<= 0: OpenMP's default).
  // interrupted (optional, must outlive the index): polled during the HNSW build; true ends the
  // build with gio::Interrupted (the index then builds again on its next use).
  // frame (optional, must outlive the index): query points v are in this frame; exact distances
  // compare raw rows with v mapped back, the HNSW graph holds the rows mapped into it. nullptr:
  // v is in the pool's own coordinates. Under cosine the frame's "raw" rows are row / |row|: the
  // index keeps 1 / |row| of every row (one double per row) for its exact kernels.
  PoolIndex(MatrixView<T> pool, ProjectionOptions opts, int n_threads, const InterruptCheck* interrupted = nullptr,
            const Frame* frame = nullptr);
  ~PoolIndex() override;
  PoolIndex(const PoolIndex&) = delete;
  PoolIndex& operator=(const PoolIndex&) = delete;

  // Nearest available row to v (d doubles), or -1 when none is left.
  std::int64_t nearest(const double* v) override;
  // The c nearest available rows to v, nearest first (ties: lowest row); fewer if fewer remain.
  // Exact search scans every row; HNSW mode re-scores the graph's candidates exactly.
  std::vector<std::int64_t> nearest_k(const double* v, std::size_t c) override;
  // nearest_k for `count` queries at once (count x d; query j's ks[j] nearest), with each row's
  // squared distance (sq_dist's bits): exact search from one pass over the rows (each tile of
  // rows read once for every query).
  std::vector<std::vector<std::pair<double, std::int64_t>>> nearest_k_batch(const double* points, std::size_t count,
                                                                            const std::vector<std::size_t>& ks);
  void take(std::int64_t row) override;
  void refill() override;  // every row becomes available again (a GIO reset)
  std::size_t rows() const override { return pool_.rows; }
  const T* row(std::int64_t r) override { return pool_.row(static_cast<std::size_t>(r)); }
  std::size_t available() const override { return available_; }
  bool is_available(std::int64_t row) const override { return !taken_[static_cast<std::size_t>(row)]; }
  // An index built without a frame takes the run's (a caller's PoolIndex handed to
  // select_descent); one built with a frame keeps it.
  void use_frame(const Frame& frame) override;
  // Squared distance from row r to v (the distance every exact answer above compares).
  double sq_dist(std::int64_t r, const double* v) const;
  void report(RunStats& s) const override;
  // Brute force over the available rows; ties go to the lowest row.
  std::int64_t exact_nearest(const double* v) const { return exact_nearest_raw(raw(v).data()); }

  // Builds the HNSW graph now (HNSW mode, not built yet) instead of at the first approximate query.
  void prepare() {
    if (opts_.mode == Projection::Hnsw && !hnsw_) build();
  }
  double build_seconds() const { return build_seconds_; }
  // Queries answered in approximate (HNSW) mode, and how many of them went to the graph.
  std::size_t hnsw_queries() const { return hnsw_queries_; }
  std::size_t hnsw_searches() const { return hnsw_searches_; }
  std::size_t audit_agreements() const { return audit_agree_; }
  std::size_t cache_hits() const { return cache_hits_; }
  std::size_t cache_k_hits() const { return cache_k_hits_; }  // nearest_k answered by the cache

 private:
  void build();
  std::vector<double> raw(const double* v) const;       // v in the pool's coordinates
  std::int64_t exact_nearest_raw(const double* raw_v) const;
  std::int64_t cache_lookup(const double* raw_v);       // -1 when not certified
  std::int64_t brute_force_and_cache(const double* raw_v);
  // (squared distance, row) of every available row to raw_v (the scan split across threads).
  std::vector<std::pair<double, std::int64_t>> available_distances(const double* raw_v) const;
  // The cache from those pairs (reordered): its kRows nearest and the bound.
  void refresh_cache(const double* raw_v, std::vector<std::pair<double, std::int64_t>>& near);
  std::int64_t hnsw_nearest(const double* v, const double* raw_v);

  MatrixView<T> pool_;
  ProjectionOptions opts_;
  int n_threads_;
  const InterruptCheck* interrupted_;
  Frame identity_;       // the frame when none is given
  const Frame* frame_;
  std::vector<double> inv_norm_;  // cosine: 1 / |row| of every row (the kernels' row scales); else empty
  void compute_inverse_norms();
  const double* scales(std::int64_t r0) const {
    return inv_norm_.empty() ? nullptr : inv_norm_.data() + static_cast<std::size_t>(r0);
  }
  std::vector<std::uint8_t> taken_;
  std::size_t available_;
  struct Hnsw;
  std::unique_ptr<Hnsw> hnsw_;
  struct Cache;  // certified_cache.hpp
  std::unique_ptr<Cache> cache_;
  bool use_cache_ = true;
  std::size_t cache_hits_ = 0, cache_misses_ = 0, cache_k_hits_ = 0;
  double build_seconds_ = 0;
  std::size_t hnsw_queries_ = 0, hnsw_searches_ = 0, audit_agree_ = 0;
};

}  // namespace gio
