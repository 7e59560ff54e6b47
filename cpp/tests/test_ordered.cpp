// search = Nearest and Spread against from-scratch computations in double: every nearest pick is
// the nearest available row of the target whose turn it is; the density ratios, cells and the
// in-domain bar equal a brute-force k-NN count; the spread order is one nearest round, then the
// in-domain rows (each cell's L nearest) in Voronoi-balanced rounds, then the rest by decreasing
// ratio, and the in-domain stop lands after the rows the estimated target-like share keeps (that
// estimate against a brute-force search, and on mixtures of known share); resume; determinism.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>
#include <vector>

#include "../src/domain_estimate.hpp"
#include "../src/nearest_lists.hpp"
#include "../src/spread_order.hpp"
#include "check.hpp"
#include "gio/selector.hpp"
#include "naive.hpp"

namespace {

using gio::MatrixView;

double sq(const double* a, const double* b, std::size_t d) {
  double s = 0;
  for (std::size_t j = 0; j < d; ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
  return s;
}

// Brute-force nearest available row to target row t (ties: the lowest row).
std::int64_t naive_nearest(const std::vector<double>& pool, std::size_t m, const double* t, std::size_t d,
                           const std::vector<std::uint8_t>& taken) {
  std::int64_t best = -1;
  double b = INFINITY;
  for (std::size_t r = 0; r < m; ++r)
    if (!taken[r] && sq(&pool[r * d], t, d) < b) b = sq(&pool[r * d], t, d), best = static_cast<std::int64_t>(r);
  return best;
}

// units: Target, the native frame (rows read as (x - mean) / spread), where a rebuilt list must
// still measure raw pool rows against the raw target (it once used the mapped target).
template <class T>
void nearest_is_round_robin(bool duplicates, int threads, gio::Units units) {
  gio::Rng rng(7);
  const std::size_t m = 300, n = 12, d = 5;
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.3);
  for (double& v : pool) v = 40 * v + 7;  // far from the target's frame: a mapped query finds other rows
  for (double& v : x) v = 40 * v + 7;
  if (duplicates)
    for (std::size_t r = 0; r < 60; ++r) testdata::copy_row(pool, r + 60, pool, r, d);  // ties: lowest row
  const std::vector<T> pool_t = testdata::cast<T>(pool);
  std::vector<double> pool_rounded(pool_t.begin(), pool_t.end());
  gio::TargetStats ts(MatrixView<double>(x.data(), n, d), 3, 1, nullptr, units);
  // A short first list (8 rows) so that lists run out and are rebuilt.
  gio::detail::NearestRoundRobin<T> rr(MatrixView<T>(pool_t.data(), m, d), ts, 5, 8, 0, threads, nullptr);
  std::vector<std::uint8_t> taken(m, 0);
  std::vector<std::size_t> turn;
  for (std::size_t p = 0; p < m; ++p) {
    const std::int64_t g = rr.next(taken);
    const std::size_t t = rr.last_target();
    if (p < n) turn.push_back(t);
    else CHECK(t == turn[p % n]);  // the same shuffled order every round
    CHECK(g == naive_nearest(pool_rounded, m, &x[t * d], d, taken));
    taken[static_cast<std::size_t>(g)] = 1;
  }
  CHECK(std::set<std::size_t>(turn.begin(), turn.end()).size() == n);
  CHECK(rr.next(taken) == -1);  // the pool is used up
}

// The density ratio and cells from scratch, with the reference rows the core drew. d = 300 spreads
// the 840 reference rows over 16 cache blocks (and every d the 1,500 query rows over 94 tiles).
void domain_scores_from_scratch(std::size_t d) {
  gio::Rng rng(11);
  const std::size_t m = 1500, n = 40;
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 1.0, 0.5);
  gio::TargetStats ts(MatrixView<double>(x.data(), n, d), 3, 1);
  const auto ds = gio::detail::domain_scores(MatrixView<double>(pool.data(), m, d), ts, 3, 2, nullptr);
  const std::size_t s = ds.reference_rows.size(), k = ds.neighbours;
  CHECK(s == gio::detail::spread_reference_rows(m, n) && k == gio::detail::spread_neighbours(m, n));
  CHECK(std::set<std::int64_t>(ds.reference_rows.begin(), ds.reference_rows.end()).size() == s);
  auto targets = [&](const double* q, std::int64_t own_target, std::int64_t own_row) {
    std::vector<std::pair<double, std::size_t>> all;  // (distance, slot in R = targets then sample)
    for (std::size_t i = 0; i < n; ++i)
      if (static_cast<std::int64_t>(i) != own_target) all.push_back({sq(q, ts.row(i), d), i});
    for (std::size_t j = 0; j < s; ++j)
      if (ds.reference_rows[j] != own_row) all.push_back({sq(q, &pool[static_cast<std::size_t>(ds.reference_rows[j]) * d], d), n + j});
    std::sort(all.begin(), all.end());
    std::uint32_t t = 0;
    for (std::size_t i = 0; i < k; ++i) t += all[i].second < n;
    return t;
  };
  auto ratio = [&](std::uint32_t t) {
    return ((t + 0.5) / static_cast<double>(n)) / ((static_cast<double>(k) - t + 0.5) / static_cast<double>(s));
  };
  for (std::size_t g = 0; g < m; ++g) {
    const std::uint32_t t = targets(&pool[g * d], -1, static_cast<std::int64_t>(g));
    CHECK(ds.pool_targets[g] == t);
    CHECK(ds.ratio[g] == ratio(t));
    double b = INFINITY;
    std::size_t cell = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (sq(&pool[g * d], ts.row(i), d) < b) b = sq(&pool[g * d], ts.row(i), d), cell = i;
    CHECK(ds.cell[g] == cell);
    CHECK_NEAR(ds.cell_sq_dist[g], b, 1e-12);
  }
  std::vector<double> wt(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t t = targets(ts.row(i), static_cast<std::int64_t>(i), -1);
    CHECK(ds.target_targets[i] == t);
    wt[i] = ratio(t);
  }
  std::sort(wt.begin(), wt.end());
  CHECK_NEAR(ds.target_median, (wt[n / 2 - 1] + wt[n / 2]) / 2, 1e-12);
}

// The order's three phases and the in-domain stop, for L = 0 (no cell limit) and L = 3.
// target_mean 1: the target inside the pool; 2.5: at its edge, where fewer rows than target rows
// have a target among their K nearest (the first round ends early).
void spread_order_phases(int cell_rows, double target_mean, bool round_ends_early) {
  gio::Rng rng(12);
  const std::size_t m = 1500, n = 40, d = 4;
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, target_mean, 0.5);
  gio::TargetStats ts(MatrixView<double>(x.data(), n, d), 3, 1);
  MatrixView<double> pv(pool.data(), m, d);
  gio::SearchOptions so;
  so.spread_cell_rows = cell_rows;
  const auto ds = gio::detail::domain_scores(pv, ts, 9, 1, nullptr);
  const auto order = gio::detail::spread_order(pv, ts, so, 9, 2, nullptr);
  CHECK(order.rows.size() == m);
  CHECK(std::set<std::int64_t>(order.rows.begin(), order.rows.end()).size() == m);
  // 1. the first round is search='nearest' with the same seed, among the in-domain rows
  const double bar = so.spread_threshold * ds.target_median;
  gio::detail::NearestRoundRobin<double> rr(pv, ts, 9, 64, 0, 1, nullptr);
  std::vector<std::uint8_t> taken(m, 0), unavailable(m);
  for (std::size_t g = 0; g < m; ++g) unavailable[g] = ds.ratio[g] <= ds.unsupported_ratio;
  std::size_t first_round = 0;  // n picks, or fewer where the domain has fewer rows
  for (; first_round < n; ++first_round) {
    const std::int64_t g = rr.next(unavailable);
    if (g < 0) break;
    CHECK(ds.ratio[static_cast<std::size_t>(g)] > ds.unsupported_ratio);
    taken[static_cast<std::size_t>(g)] = unavailable[static_cast<std::size_t>(g)] = 1;
    CHECK(order.rows[first_round] == g);
  }
  const auto supported = static_cast<std::size_t>(
      std::count_if(ds.ratio.begin(), ds.ratio.end(), [&](double w) { return w > ds.unsupported_ratio; }));
  CHECK(first_round == std::min(n, supported));
  CHECK((first_round < n) == round_ends_early);
  // 2. the in-domain rows, each cell's L nearest, balanced: round r takes each cell's r-th row
  std::vector<std::vector<std::pair<double, std::int64_t>>> cells(n);
  const std::size_t min_targets = gio::detail::estimate_domain(ds.pool_targets, ds.target_targets, ds.neighbours).min_targets;
  std::size_t target_like = 0;
  for (std::size_t g = 0; g < m; ++g) target_like += !taken[g] && ds.pool_targets[g] >= min_targets;
  for (std::size_t g = 0; g < m; ++g) cells[ds.cell[g]].push_back({ds.cell_sq_dist[g], static_cast<std::int64_t>(g)});
  std::set<std::int64_t> domain;
  for (auto& c : cells) {
    std::sort(c.begin(), c.end());
    for (std::size_t r = 0; r < c.size(); ++r) {
      const auto g = static_cast<std::size_t>(c[r].second);
      if (taken[g] || ds.ratio[g] < bar) continue;
      if (cell_rows == 0 || r < static_cast<std::size_t>(cell_rows)) domain.insert(c[r].second);
    }
  }
  CHECK((round_ends_early || !domain.empty()) && domain.size() < m - first_round);
  const auto mid = order.rows.begin() + static_cast<std::ptrdiff_t>(first_round + domain.size());
  CHECK(std::set<std::int64_t>(order.rows.begin() + static_cast<std::ptrdiff_t>(first_round), mid) == domain);
  std::vector<std::size_t> seen(n, 0);  // balanced: no cell takes its (r+1)-th row while another still has an r-th
  std::vector<std::size_t> size(n, 0);
  for (std::int64_t g : domain) ++size[ds.cell[static_cast<std::size_t>(g)]];
  std::size_t round = 0, in_round = 0, cells_left = 0;
  for (std::size_t c = 0; c < n; ++c) cells_left += size[c] > 0;
  for (auto it = order.rows.begin() + static_cast<std::ptrdiff_t>(first_round); it != mid; ++it) {
    const std::size_t c = ds.cell[static_cast<std::size_t>(*it)];
    CHECK(seen[c] == round);
    ++seen[c];
    if (++in_round == cells_left) {
      ++round, in_round = 0, cells_left = 0;
      for (std::size_t j = 0; j < n; ++j) cells_left += size[j] > round;
    }
  }
  // 3. the rest by decreasing ratio; the stop after the first round and the target-like rows
  for (auto it = mid; it + 1 < order.rows.end(); ++it)
    CHECK(ds.ratio[static_cast<std::size_t>(*it)] >= ds.ratio[static_cast<std::size_t>(*(it + 1))]);
  CHECK(order.domain_end == first_round + target_like);
}

// estimate_domain against a search over every count from its definition: the share is the least
// P_G(tau) / P_c(tau) over the counts keeping >= 90% of the targets, tau* the largest domain among
// the maximisers of 2 share P_c(tau) - P_G(tau) (none positive: the empty domain, k + 1).
// Counts: the pool's a mixture of uniform counts and zeros, the target's in its upper half
// (shape 0), or both uniform over 0..k (1), or one count for every row of both (2).
void domain_estimate_from_scratch(std::size_t k, std::size_t m, std::size_t n, std::uint64_t seed, int shape) {
  gio::Rng rng(seed);
  std::vector<std::uint32_t> pool(m), target(n);
  const auto same = static_cast<std::uint32_t>(rng.below(k + 1));
  for (auto& t : pool)
    t = static_cast<std::uint32_t>(shape == 2 ? same : shape == 1 ? rng.below(k + 1) : rng.below(k + 1) * rng.below(2) * rng.below(2));
  for (auto& t : target)
    t = static_cast<std::uint32_t>(shape == 2 ? same : shape == 1 ? rng.below(k + 1) : k - rng.below(k / 2 + 1));
  auto share_at_least = [](const std::vector<std::uint32_t>& v, std::size_t tau) {
    return static_cast<double>(std::count_if(v.begin(), v.end(), [&](std::uint32_t t) { return t >= tau; })) /
           static_cast<double>(v.size());
  };
  double share = 1;
  for (std::size_t tau = 0; tau <= k; ++tau)
    if (share_at_least(target, tau) >= 0.9) share = std::min(share, share_at_least(pool, tau) / share_at_least(target, tau));
  std::size_t best_tau = k + 1;
  double best = 0;
  for (std::size_t tau = 0; tau <= k + 1; ++tau) {
    const double v = 2 * share * share_at_least(target, tau) - share_at_least(pool, tau);
    if (v > best + 1e-12 || (std::abs(v - best) <= 1e-12 && tau < best_tau)) best = v, best_tau = tau;
  }
  const auto est = gio::detail::estimate_domain(pool, target, k);
  CHECK_NEAR(est.share, share, 1e-12);
  CHECK(est.min_targets == best_tau);
}

// Counts drawn as a mixture: a share of target-like rows whose counts follow the target's, the
// rest low. The estimate finds the share, and keeps about the target-like rows, whether the
// target's counts are noisy (K = 10) or precise (K = 100).
void domain_estimate_recovers_a_mixture(std::size_t k, double share) {
  gio::Rng rng(21);
  const std::size_t m = 20000, n = 400;
  auto binomial = [&](double p) {
    std::uint32_t t = 0;
    for (std::size_t j = 0; j < k; ++j) t += rng.uniform() < p;
    return t;
  };
  std::vector<std::uint32_t> pool(m), target(n);
  std::size_t like = 0;
  for (auto& t : target) t = binomial(0.5);
  for (auto& t : pool) {
    const bool is_like = rng.uniform() < share;
    like += is_like;
    t = binomial(is_like ? 0.5 : 0.03);
  }
  const auto est = gio::detail::estimate_domain(pool, target, k);
  CHECK_NEAR(est.share, share, 0.03);
  const auto kept = static_cast<double>(
      std::count_if(pool.begin(), pool.end(), [&](std::uint32_t t) { return t >= est.min_targets; }));
  CHECK_NEAR(kept / static_cast<double>(like), 1.0, 0.06);
}

// Through gio::select: the in-domain stop, n_select past it, resume and thread counts.
void select_spread_and_nearest() {
  gio::Rng rng(13);
  const std::size_t m = 800, n = 30, d = 3;
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.8, 0.6);
  std::vector<double> init = testdata::gaussian(5, d, rng);
  MatrixView<double> pv(pool.data(), m, d), xv(x.data(), n, d), iv(init.data(), 5, d);
  gio::Options o;
  o.search.kind = gio::Search::Spread;
  o.stop.criterion = gio::StopCriterion::InDomain;
  o.seed = 4;
  o.n_threads = 1;
  const gio::Result a = gio::select(pv, xv, iv, o);
  CHECK(a.stop_reason == "in_domain");
  CHECK(a.selected.size() == a.stats.domain_end);
  CHECK(a.kl_trace.size() == a.selected.size());
  o.n_threads = 2;
  o.stop.n_select = static_cast<std::int64_t>(a.selected.size()) + 50;
  const gio::Result b = gio::select(pv, xv, iv, o);
  CHECK(b.stop_reason == "n_select");
  CHECK(std::equal(a.selected.begin(), a.selected.end(), b.selected.begin()));
  for (gio::Search kind : {gio::Search::Spread, gio::Search::Nearest}) {
    o.search.kind = kind;
    o.stop.criterion = kind == gio::Search::Spread ? gio::StopCriterion::InDomain : gio::StopCriterion::Increase;
    o.stop.n_select = 200;
    const gio::Result full = gio::select(pv, xv, iv, o);
    gio::Hooks h;
    h.on_step = [](const gio::Result& r) { return r.selected.size() == 77; };
    const gio::Result part = gio::select(pv, xv, iv, o, h);
    CHECK(part.selected.size() == 77);
    const gio::Result resumed = gio::select(pv, xv, iv, o, {}, &part);
    CHECK(resumed.selected == full.selected);
    CHECK(resumed.kl_trace == full.kl_trace);
  }
  o.search.kind = gio::Search::Nearest;
  o.stop.criterion = gio::StopCriterion::InDomain;
  o.stop.n_select = -1;
  CHECK_THROWS(gio::select(pv, xv, iv, o), std::invalid_argument);  // in_domain is spread's stop
  o.search.kind = gio::Search::Spread;
  o.stop.criterion = gio::StopCriterion::Increase;
  CHECK_THROWS(gio::select(pv, xv, iv, o), std::invalid_argument);  // spread does not follow the estimate
}

}  // namespace

int main() {
  for (bool dup : {false, true}) {
    for (gio::Units units : {gio::Units::Absolute, gio::Units::Target}) {
      nearest_is_round_robin<double>(dup, 1, units);
      nearest_is_round_robin<float>(dup, 2, units);
    }
  }
  domain_scores_from_scratch(4);
  domain_scores_from_scratch(300);
  for (int cell_rows : {0, 3}) {
    spread_order_phases(cell_rows, 1.0, false);
    spread_order_phases(cell_rows, 2.5, true);
  }
  gio::Rng sizes(5);
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {  // random sizes, from one row of each up
    const std::size_t k = 1 + sizes.below(100), m = 1 + sizes.below(3000), n = 1 + sizes.below(400);
    domain_estimate_from_scratch(k, m, n, seed, static_cast<int>(seed % 3));
  }
  for (std::size_t k : {10, 100})
    for (double share : {0.1, 0.2, 0.5}) domain_estimate_recovers_a_mixture(k, share);
  select_spread_and_nearest();
  return check::report("test_ordered");
}
