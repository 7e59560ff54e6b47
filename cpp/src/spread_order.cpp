#include "spread_order.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "gio/rng.hpp"
#include "domain_estimate.hpp"
#include "kernels/kernels.hpp"
#include "nearest_lists.hpp"
#include "parallel.hpp"

namespace gio::detail {
namespace {

// Sub-streams of the run's seed; the round-robin uses the seed itself, so the first round equals
// search='nearest' with the same seed.
constexpr std::uint64_t kReferenceStream = 0x9e3779b97f4a7c15ULL;
constexpr std::uint64_t kCellStream = 0xc2b2ae3d27d4eb4fULL;

template <class I>
void shuffle(std::vector<I>& v, Rng& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.below(i)]);
}

// w = ((t + .5) / n) / ((K - t + .5) / |S|) for t targets among a row's K nearest rows of R.
double density_ratio(double t, std::size_t k, std::size_t n, std::size_t s) {
  return ((t + 0.5) / static_cast<double>(n)) / ((static_cast<double>(k) - t + 0.5) / static_cast<double>(s));
}

// The reference set R = target rows (0..n-1) then the sample S of pool rows (n..), as doubles.
struct Reference {
  std::vector<double> rows;
  std::size_t n_target = 0, size = 0;
  std::vector<std::int64_t> sample;            // S, as pool rows
  std::vector<std::int64_t> slot_of_pool_row;  // its index in R, or -1
};

template <class T>
Reference make_reference(MatrixView<T> pool, const TargetStats& ts, std::size_t n_sample, std::uint64_t seed) {
  const std::size_t n = ts.n(), d = ts.d();
  Reference ref;
  ref.n_target = n;
  ref.size = n + n_sample;
  ref.rows.assign(ts.data(), ts.data() + n * d);
  ref.rows.resize(ref.size * d);
  ref.slot_of_pool_row.assign(pool.rows, -1);
  std::vector<std::int64_t> rows(pool.rows);
  std::iota(rows.begin(), rows.end(), std::int64_t{0});
  Rng rng(seed ^ kReferenceStream);
  for (std::size_t i = 0; i < n_sample; ++i) {  // partial Fisher-Yates: a uniform sample without replacement
    std::swap(rows[i], rows[i + rng.below(pool.rows - i)]);
    const auto g = static_cast<std::size_t>(rows[i]);
    ts.frame().map(pool.row(g), d, ref.rows.data() + (n + i) * d);  // in the target's frame, as ts.data()
    ref.slot_of_pool_row[g] = static_cast<std::int64_t>(n + i);
    ref.sample.push_back(rows[i]);
  }
  return ref;
}

// What one query row learns from its K nearest rows of R (itself excluded).
struct Neighbourhood {
  double ratio = 0;          // ((t + .5) / n) / ((K - t + .5) / |S|), t = targets among the K
  std::uint32_t targets = 0;  // t
  std::size_t nearest_target = 0;
  double target_sq_dist = 0;  // to that target
};

// Scores a tile of up to kTile query rows at once. The reference rows are read in blocks small
// enough to stay in cache while every query of the tile is measured against them, so R streams
// from memory once per tile instead of once per row (R is 21 target sizes of d doubles: tens of
// MB). Each distance is the same kernel call on the same two rows as one query at a time.
class RatioScorer {
 public:
  static constexpr std::size_t kTile = 16;

  RatioScorer(const Reference& ref, std::size_t d, std::size_t k)
      : ref_(ref), d_(d), k_(k), none_(ref.size, 0), dist_(kTile * ref.size),
        block_(std::max<std::size_t>(16, (std::size_t{1} << 17) / (8 * std::max<std::size_t>(d, 1)))) {
    heap_.reserve(k);
  }

  // queries: `count` rows of d doubles; own_slot[q]: the query's own index in R, or -1.
  void score(const double* queries, const std::int64_t* own_slot, std::size_t count, Neighbourhood* out) {
    for (std::size_t b0 = 0; b0 < ref_.size; b0 += block_) {
      const std::size_t b1 = std::min(ref_.size, b0 + block_);
      for (std::size_t q = 0; q < count; ++q)
        kernels::sq_dists_rows(ref_.rows.data(), d_, b0, b1, none_.data(), queries + q * d_,
                               dist_.data() + q * ref_.size + b0);
    }
    for (std::size_t q = 0; q < count; ++q) out[q] = neighbourhood(dist_.data() + q * ref_.size, own_slot[q]);
  }

 private:
  Neighbourhood neighbourhood(double* dist, std::int64_t own_slot) {
    if (own_slot >= 0) dist[static_cast<std::size_t>(own_slot)] = INFINITY;
    Neighbourhood nb;
    nb.target_sq_dist = INFINITY;
    for (std::size_t i = 0; i < ref_.n_target; ++i)
      if (dist[i] < nb.target_sq_dist) nb.target_sq_dist = dist[i], nb.nearest_target = i;
    // The K nearest by (distance, index), in one pass with a max-heap of K: the same set a
    // selection over every index finds, without writing and permuting |R| indices per row.
    auto closer = [&](std::size_t a, std::size_t b) { return dist[a] < dist[b] || (dist[a] == dist[b] && a < b); };
    heap_.clear();
    for (std::size_t i = 0; i < ref_.size; ++i) {
      if (heap_.size() < k_) {
        heap_.push_back(i);
        std::push_heap(heap_.begin(), heap_.end(), closer);
      } else if (dist[i] < dist[heap_.front()]) {  // i is past every index in the heap: a tie loses
        std::pop_heap(heap_.begin(), heap_.end(), closer);
        heap_.back() = i;
        std::push_heap(heap_.begin(), heap_.end(), closer);
      }
    }
    nb.targets = static_cast<std::uint32_t>(
        std::count_if(heap_.begin(), heap_.end(), [&](std::size_t i) { return i < ref_.n_target; }));
    nb.ratio = density_ratio(nb.targets, k_, ref_.n_target, ref_.size - ref_.n_target);
    return nb;
  }

  const Reference& ref_;
  std::size_t d_, k_;
  std::vector<std::uint8_t> none_;
  std::vector<double> dist_;       // kTile rows of |R| distances
  std::size_t block_;              // reference rows per cache block (128 KiB of them)
  std::vector<std::size_t> heap_;  // indices into R; its front is the farthest of the K kept
};

// Every query row's neighbourhood (OpenMP over tiles of rows). own_slot(r): r's own index in R, or -1.
template <class Row, class OwnSlot>
std::vector<Neighbourhood> neighbourhoods(std::size_t rows, std::size_t d, Row row, OwnSlot own_slot,
                                          const Reference& ref, std::size_t k, int n_threads,
                                          const InterruptCheck* interrupted) {
  constexpr std::size_t tile = RatioScorer::kTile;
  std::vector<Neighbourhood> out(rows);
  Stopper stopper(interrupted);
  const auto tiles = static_cast<std::ptrdiff_t>((rows + tile - 1) / tile);
#pragma omp parallel num_threads(n_threads)
  {
    RatioScorer scorer(ref, d, k);
    std::vector<double> buf(tile * d);
    std::int64_t own[tile];
#pragma omp for schedule(dynamic, 16)
    for (std::ptrdiff_t t = 0; t < tiles; ++t) {
      if (stopper.stop()) continue;
      const std::size_t r0 = static_cast<std::size_t>(t) * tile, count = std::min(tile, rows - r0);
      for (std::size_t q = 0; q < count; ++q) {
        row(r0 + q, buf.data() + q * d);
        own[q] = own_slot(r0 + q);
      }
      scorer.score(buf.data(), own, count, out.data() + r0);
    }
  }
  stopper.throw_if_stopped();
  return out;
}

double median(std::vector<double> v) {
  const std::size_t m = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m), v.end());
  if (v.size() % 2 == 1) return v[m];
  const double hi = v[m];
  return (hi + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(m))) / 2;
}

// Each row's rank in its Voronoi cell, nearest its target first (ties: the lower row).
std::vector<std::size_t> cell_ranks(const DomainScores& ds) {
  std::vector<std::size_t> order(ds.cell.size()), rank(ds.cell.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (ds.cell[a] != ds.cell[b]) return ds.cell[a] < ds.cell[b];
    if (ds.cell_sq_dist[a] != ds.cell_sq_dist[b]) return ds.cell_sq_dist[a] < ds.cell_sq_dist[b];
    return a < b;
  });
  for (std::size_t i = 0, start = 0; i < order.size(); ++i) {
    if (i > 0 && ds.cell[order[i]] != ds.cell[order[i - 1]]) start = i;
    rank[order[i]] = i - start;
  }
  return rank;
}

// Voronoi-balanced order of the rows `members`: shuffled targets take in turn a random row of
// their cell; cells used up drop out.
std::vector<std::int64_t> balanced_order(std::vector<std::int64_t> members, const std::vector<std::size_t>& cell,
                                         std::size_t n_targets, Rng& rng) {
  shuffle(members, rng);
  std::vector<std::vector<std::int64_t>> cells(n_targets);
  for (std::int64_t g : members) cells[cell[static_cast<std::size_t>(g)]].push_back(g);
  std::vector<std::size_t> turn(n_targets);
  std::iota(turn.begin(), turn.end(), std::size_t{0});
  shuffle(turn, rng);
  std::vector<std::int64_t> out;
  out.reserve(members.size());
  for (std::size_t round = 0; out.size() < members.size(); ++round)
    for (std::size_t t : turn)
      if (round < cells[t].size()) out.push_back(cells[t][round]);
  return out;
}

}  // namespace

std::size_t spread_neighbours(std::size_t pool_rows, std::size_t target_rows) {
  const auto k = static_cast<std::size_t>(std::llround(static_cast<double>(pool_rows) / 600.0));
  return std::min(std::clamp<std::size_t>(k, 10, 100), target_rows + spread_reference_rows(pool_rows, target_rows) - 1);
}

std::size_t spread_reference_rows(std::size_t pool_rows, std::size_t target_rows) {
  const std::size_t mult = std::clamp<std::size_t>(pool_rows / 2 / target_rows, 1, 20);
  return std::min(pool_rows, mult * target_rows);
}

template <class T>
DomainScores domain_scores(MatrixView<T> pool, const TargetStats& ts, std::uint64_t seed, int n_threads,
                           const InterruptCheck* interrupted) {
  const std::size_t M = pool.rows, n = ts.n(), d = ts.d();
  DomainScores out;
  out.neighbours = spread_neighbours(M, n);
  Reference ref = make_reference(pool, ts, spread_reference_rows(M, n), seed);
  const auto pool_nb = neighbourhoods(
      M, d, [&](std::size_t g, double* buf) { ts.frame().map(pool.row(g), d, buf); },
      [&](std::size_t g) { return ref.slot_of_pool_row[g]; }, ref, out.neighbours, n_threads, interrupted);
  const auto target_nb = neighbourhoods(
      n, d, [&](std::size_t i, double* buf) { std::copy(ts.row(i), ts.row(i) + d, buf); },
      [](std::size_t i) { return static_cast<std::int64_t>(i); }, ref, out.neighbours, n_threads, interrupted);
  std::vector<double> target_ratio(n);
  out.target_targets.resize(n);
  for (std::size_t i = 0; i < n; ++i) target_ratio[i] = target_nb[i].ratio, out.target_targets[i] = target_nb[i].targets;
  out.target_median = median(std::move(target_ratio));
  out.unsupported_ratio = density_ratio(0, out.neighbours, n, ref.size - n);
  out.ratio.resize(M);
  out.cell.resize(M);
  out.cell_sq_dist.resize(M);
  out.pool_targets.resize(M);
  for (std::size_t g = 0; g < M; ++g) {
    out.ratio[g] = pool_nb[g].ratio;
    out.pool_targets[g] = pool_nb[g].targets;
    out.cell[g] = pool_nb[g].nearest_target;
    out.cell_sq_dist[g] = pool_nb[g].target_sq_dist;
  }
  out.reference_rows = std::move(ref.sample);
  return out;
}

template <class T>
SpreadOrder spread_order(MatrixView<T> pool, const TargetStats& ts, const SearchOptions& so, std::uint64_t seed,
                         int n_threads, const InterruptCheck* interrupted) {
  const std::size_t M = pool.rows, n = ts.n();
  const DomainScores ds = domain_scores(pool, ts, seed, n_threads, interrupted);
  const double bar = so.spread_threshold * ds.target_median;
  SpreadOrder out;
  // 1. One round of nearest-to-target among the rows with a target among their K nearest (the
  //    target's support). A target outside the pool's support takes nothing (the paper's negative
  //    consistency: a target the pool cannot serve gets no picks), and a round cannot force one
  //    row per target row into the selection where the support holds fewer (quantize: a few
  //    centres near the target, hundreds of target rows). Not the in-domain bar: the nearest row
  //    of a target is where the ratio is least precise (on text, a bar here cost 2 points).
  std::vector<std::uint8_t> taken(M, 0), unavailable(M);
  for (std::size_t g = 0; g < M; ++g) unavailable[g] = ds.ratio[g] <= ds.unsupported_ratio;
  NearestRoundRobin<T> first(pool, ts, seed, 32, n, n_threads, interrupted);
  for (std::size_t i = 0; i < std::min(n, M); ++i) {
    const std::int64_t g = first.next(unavailable);
    if (g < 0) break;  // the support is used up
    taken[static_cast<std::size_t>(g)] = unavailable[static_cast<std::size_t>(g)] = 1;
    out.rows.push_back(g);
  }
  const std::size_t first_round = out.rows.size();
  // 2. The in-domain rows, Voronoi-balanced.
  const std::vector<std::size_t> rank = so.spread_cell_rows > 0 ? cell_ranks(ds) : std::vector<std::size_t>();
  const DomainEstimate estimate = estimate_domain(ds.pool_targets, ds.target_targets, ds.neighbours);
  std::vector<std::int64_t> domain, rest;
  std::size_t target_like = 0;
  for (std::size_t g = 0; g < M; ++g) {
    if (taken[g]) continue;
    target_like += ds.pool_targets[g] >= estimate.min_targets;
    const bool in = ds.ratio[g] >= bar;
    if (in && (rank.empty() || rank[g] < static_cast<std::size_t>(so.spread_cell_rows))) domain.push_back(static_cast<std::int64_t>(g));
    else rest.push_back(static_cast<std::int64_t>(g));
  }
  Rng rng(seed ^ kCellStream);
  for (std::int64_t g : balanced_order(std::move(domain), ds.cell, n, rng)) out.rows.push_back(g);
  // 3. The rest by decreasing ratio.
  std::stable_sort(rest.begin(), rest.end(), [&](std::int64_t a, std::int64_t b) {
    return ds.ratio[static_cast<std::size_t>(a)] > ds.ratio[static_cast<std::size_t>(b)];
  });
  out.rows.insert(out.rows.end(), rest.begin(), rest.end());
  out.domain_end = first_round + target_like;
  out.domain_share = estimate.share;
  return out;
}

template DomainScores domain_scores(MatrixView<float>, const TargetStats&, std::uint64_t, int, const InterruptCheck*);
template DomainScores domain_scores(MatrixView<double>, const TargetStats&, std::uint64_t, int, const InterruptCheck*);
template SpreadOrder spread_order(MatrixView<float>, const TargetStats&, const SearchOptions&, std::uint64_t, int,
                                  const InterruptCheck*);
template SpreadOrder spread_order(MatrixView<double>, const TargetStats&, const SearchOptions&, std::uint64_t, int,
                                  const InterruptCheck*);

}  // namespace gio::detail
