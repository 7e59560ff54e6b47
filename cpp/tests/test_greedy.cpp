// search = Greedy: the fast knn greedy (KnnGainScores) picks exactly what the from-scratch loop
// picks (every available row scored by KnnKL::gain_sum, the same tie rule), with duplicates and
// ties, k in {1, 3, 5}, float and double pools, 1 and 2 threads; relaxed greedy is a ranking;
// interrupt + resume; the lazy-greedy counterexample for k > 1; and the score tree that finds
// the pick answers as the linear scan it replaced, ties, near-ties, takes and +inf included.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "../src/score_tree.hpp"
#include "check.hpp"
#include "gio/greedy_source.hpp"
#include "gio/knn_kl.hpp"
#include "gio/rng.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"
#include "naive.hpp"

namespace {

constexpr double kTie = 1e-9;  // KnnGainScores::kTieTolerance

// The from-scratch greedy: O(M n d) per pick.
std::vector<std::int64_t> naive_greedy(const std::vector<double>& pool, std::size_t m, const std::vector<double>& x,
                                       std::size_t n, const std::vector<double>& init, std::size_t n_init,
                                       std::size_t d, int k, std::size_t picks) {
  gio::TargetStats ts(gio::MatrixView<double>(x.data(), n, d), k, 1);
  gio::KnnKL est(ts);
  for (std::size_t r = 0; r < n_init; ++r) est.add(&init[r * d]);
  std::vector<bool> taken(m, false);
  std::vector<std::int64_t> out;
  std::vector<double> score(m);
  for (std::size_t p = 0; p < picks; ++p) {
    double lo = 0;
    bool any = false;
    for (std::size_t r = 0; r < m; ++r) {
      if (taken[r]) continue;
      score[r] = est.gain_sum(&pool[r * d]);
      if (!any || score[r] < lo) lo = score[r];
      any = true;
    }
    std::int64_t best = -1;
    for (std::size_t r = 0; r < m && best < 0; ++r)
      if (!taken[r] && score[r] <= lo + kTie * (1 + std::fabs(lo))) best = static_cast<std::int64_t>(r);
    est.add(&pool[static_cast<std::size_t>(best) * d]);
    taken[static_cast<std::size_t>(best)] = true;
    out.push_back(best);
  }
  return out;
}

template <class T>
void same_as_naive(int k, bool duplicates, int threads, std::uint64_t seed) {
  const std::size_t m = 300, n = 80, d = 6, n_init = 6, picks = 60;
  gio::Rng rng(seed);
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.3, 0.8);
  if (duplicates) {
    for (std::size_t i = 0; i < 20; ++i) testdata::copy_row(pool, 200 + i, pool, i, d);  // repeated rows
    for (std::size_t i = 0; i < 10; ++i) testdata::copy_row(pool, 250 + i, x, i, d);   // rows on targets
    for (std::size_t i = 0; i < 8; ++i) testdata::copy_row(x, 70 + i, x, 20 + i, d);  // repeated targets
    for (auto& v : pool) v = std::round(v * 4) / 4;  // a coarse grid: many equal distances
    for (auto& v : x) v = std::round(v * 4) / 4;
  }
  std::vector<double> init = gio::uniform_start(n_init, d, {-3.0}, {3.0}, false, rng);
  const std::vector<T> pool_t = testdata::cast<T>(pool), x_t = testdata::cast<T>(x), init_t = testdata::cast<T>(init);
  // The naive loop sees the same values the typed run sees.
  const std::vector<double> pool_d(pool_t.begin(), pool_t.end()), x_d(x_t.begin(), x_t.end()),
      init_d(init_t.begin(), init_t.end());
  gio::Options o;
  o.objective.kind = gio::Objective::Knn;
  o.search.kind = gio::Search::Greedy;
  o.objective.k = k;
  o.stop.n_select = picks;
  o.n_threads = threads;
  const gio::Result r = gio::select<T>({pool_t.data(), m, d}, {x_t.data(), n, d}, {init_t.data(), n_init, d}, o);
  const std::vector<std::int64_t> want = naive_greedy(pool_d, m, x_d, n, init_d, n_init, d, k, picks);
  CHECK(r.selected == want);
  CHECK(r.stop_reason == "n_select");
  // the trace is the k-NN estimate of init + picks so far
  for (std::size_t p = 0; p < picks; p += 17) {
    std::vector<double> sel = init_d;
    for (std::size_t q = 0; q <= p; ++q)
      sel.insert(sel.end(), pool_d.begin() + r.selected[q] * static_cast<std::int64_t>(d),
                 pool_d.begin() + (r.selected[q] + 1) * static_cast<std::int64_t>(d));
    const double kl = gio::knn_kl(gio::MatrixView<double>(x_d.data(), n, d),
                                  gio::MatrixView<double>(sel.data(), sel.size() / d, d), k, 1);
    CHECK_NEAR(r.kl_trace[p], kl, 1e-9 * (1 + std::fabs(kl)));
  }
}

// Stopping on 'increase' ends where no row lowers the estimate; resume after an interrupt.
void stop_and_resume() {
  const std::size_t m = 400, n = 100, d = 5;
  gio::Rng rng(3);
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.5, 0.5);
  std::vector<double> init = gio::uniform_start(5, d, {-3.0}, {3.0}, false, rng);
  gio::Options o;
  o.objective.kind = gio::Objective::Knn;
  o.search.kind = gio::Search::Greedy;
  o.stop.criterion = gio::StopCriterion::Increase;
  const gio::MatrixView<double> P(pool.data(), m, d), X(x.data(), n, d), I(init.data(), 5, d);
  const gio::Result full = gio::select<double>(P, X, I, o);
  CHECK(full.stop_reason == "increase");
  CHECK(full.selected.size() > 5 && full.selected.size() < m);
  for (std::size_t p = 1; p < full.kl_trace.size(); ++p) CHECK(full.kl_trace[p] < full.kl_trace[p - 1]);
  // the next pick would raise the estimate: the best remaining row's delta is >= 0
  {
    gio::TargetStats ts(X, o.objective.k, 1);
    gio::KnnKL est(ts);
    for (std::size_t r = 0; r < 5; ++r) est.add(&init[r * d]);
    for (auto s : full.selected) est.add(&pool[static_cast<std::size_t>(s) * d]);
    double best = 1e300;
    for (auto r : full.remaining) best = std::min(best, est.delta(&pool[static_cast<std::size_t>(r) * d]));
    CHECK(best >= 0);
  }
  // The interrupt arrives after 7 picks (set-up phases poll the same check, so count picks, not calls).
  bool armed = false;
  gio::Hooks h;
  h.on_step = [&](const gio::Result& r) {
    armed = r.selected.size() >= 7;
    return false;
  };
  h.interrupted = [&] { return armed; };
  gio::Result part;
  try {
    gio::select<double>(P, X, I, o, h);
  } catch (const gio::InterruptedRun& e) {
    part = e.state;
  }
  CHECK(!part.selected.empty() && part.selected.size() < full.selected.size());
  const gio::Result resumed = gio::select<double>(P, X, I, o, {}, &part);
  CHECK(resumed.selected == full.selected);
  CHECK(resumed.kl_trace == full.kl_trace);
}

// Relaxed greedy takes the rows in the order of their relaxed change, computed once.
void relaxed_is_a_ranking() {
  const std::size_t m = 200, n = 60, d = 4;
  gio::Rng rng(11);
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.5, 0.5);
  std::vector<double> init = gio::uniform_start(3, d, {-3.0}, {3.0}, false, rng);
  gio::Options o;
  o.search.kind = gio::Search::Greedy;
  o.stop.n_select = 30;
  const gio::Result r = gio::select<double>({pool.data(), m, d}, {x.data(), n, d}, {init.data(), 3, d}, o);
  std::vector<double> one(d);
  std::vector<std::pair<double, std::int64_t>> ranked;
  for (std::size_t i = 0; i < m; ++i) {
    double s = 0;
    for (std::size_t t = 0; t < n; ++t) s += std::log(testdata::delta(&pool[i * d], &x[t * d], d) + 1e-8);
    ranked.emplace_back(s, static_cast<std::int64_t>(i));
  }
  std::sort(ranked.begin(), ranked.end());
  bool same = true;
  for (std::size_t p = 0; p < 30; ++p) same = same && r.selected[p] == ranked[p].second;
  CHECK(same);
}

// Why lazy greedy is exact only for k = 1: with k = 2 a row's gain can grow as W grows.
void gain_can_grow_for_k2() {
  // 1-D: target at 0 (plus far-away targets so rho exists); W = {4, 5}; candidate c at 1.
  std::vector<double> x = {0.0, 100.0, 101.0, 102.0};
  gio::TargetStats ts(gio::MatrixView<double>(x.data(), 4, 1), 2, 1);
  gio::KnnKL est(ts);
  for (double w : {4.0, 5.0, 103.0, 104.0}) est.add(&w);
  const double c = 1.0;
  const double before = est.gain_sum(&c);  // log(max(4, 1) / 5) at target 0
  const double p = 2.0;
  est.add(&p);                             // now nu_1 = 2, nu_2 = 4 at target 0
  const double after = est.gain_sum(&c);   // log(max(2, 1) / 4): a larger gain
  CHECK(after < before);
}

// Start rows far from the target: every row is within every target's nu_k, and 16,500 targets
// give a list at most 512 rows, so the first picks' updates are passes over the pool (whose
// score changes reach the tree by a rebuild), not list updates.
void passes_after_the_start() {
  const std::size_t m = 1200, n = 16500, d = 3, n_init = 4, picks = 12;
  gio::Rng rng(5);
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.3, 0.8);
  std::vector<double> init = gio::uniform_start(n_init, d, {20.0}, {21.0}, false, rng);
  gio::Options o;
  o.objective.kind = gio::Objective::Knn;
  o.search.kind = gio::Search::Greedy;
  o.objective.k = 2;
  o.stop.n_select = picks;
  o.n_threads = 2;
  const gio::Result r = gio::select<double>({pool.data(), m, d}, {x.data(), n, d}, {init.data(), n_init, d}, o);
  CHECK(r.stats.greedy_pool_pass_updates > 3 * m * n);  // passes at several picks after the start
  CHECK(r.selected == naive_greedy(pool, m, x, n, init, n_init, d, 2, picks));
}

// The linear scans the score tree replaced (KnnGainScores::best and ::candidates before it).
double scan_lowest(const std::vector<double>& v, const std::vector<std::uint8_t>& available, bool& any) {
  double lo = 0;
  any = false;
  for (std::size_t r = 0; r < v.size(); ++r)
    if (available[r] && (!any || v[r] < lo)) {
      lo = v[r];
      any = true;
    }
  return lo;
}
std::int64_t scan_pick(const std::vector<double>& v, const std::vector<std::uint8_t>& available) {
  bool any;
  const double lo = scan_lowest(v, available, any);
  if (!any) return -1;
  const double limit = gio::greedy_tie_limit(lo);
  for (std::size_t r = 0; r < v.size(); ++r)
    if (available[r] && v[r] <= limit) return static_cast<std::int64_t>(r);
  return -1;
}
double wide_limit(double lo) { return lo + 2 * kTie * (1.0 + std::fabs(lo)); }
void scan_candidates(const std::vector<double>& v, const std::vector<std::uint8_t>& available,
                     std::vector<double>& values, std::vector<std::int64_t>& rows) {
  values.clear();
  rows.clear();
  bool any;
  const double lo = scan_lowest(v, available, any);
  if (!any) return;
  const double wide = wide_limit(lo);
  for (std::size_t r = 0; r < v.size(); ++r)
    if (available[r] && v[r] <= wide && (rows.empty() || v[r] < values.back())) {
      values.push_back(v[r]);
      rows.push_back(static_cast<std::int64_t>(r));
    }
}

// Random values with many exact ties (a few levels) and near-ties (steps of a third of the
// tolerance around them, so some fall inside the tie limit and some just outside), rare +inf;
// random point changes, rises of the pick's score and takes between the queries, now and then
// a rebuild.
void score_tree_is_the_scan() {
  const double inf = std::numeric_limits<double>::infinity();
  gio::Rng rng(17);
  auto value = [&](bool infs) {
    if (infs && rng.below(20) == 0) return inf;
    const double base = -0.5 * static_cast<double>(rng.below(4)) - (rng.below(3) == 0 ? 1e6 : 0.0);
    const double step = kTie / 3 * (1 + std::fabs(base));
    return base + step * static_cast<double>(rng.below(9)) - (rng.below(2) ? 0.0 : 4 * step);
  };
  std::size_t queries = 0, ties = 0, multi = 0;
  bool same_pick = true, same_candidates = true, same_available = true;
  for (std::size_t n : {0, 1, 2, 3, 5, 8, 15, 16, 17, 33, 64, 100, 1000}) {
    for (int trial = 0; trial < 6; ++trial) {
      const bool infs = trial % 2 == 1, all_inf = trial == 5;
      std::vector<double> v(n);
      for (double& x : v) x = all_inf ? inf : value(infs);
      std::vector<std::uint8_t> available(n, 1);
      gio::detail::ScoreTree tree(n);
      tree.build(v);
      std::vector<double> got_values, want_values;
      std::vector<std::int64_t> got_rows, want_rows;
      for (std::size_t step = 0; step < 3 * n + 3; ++step) {
        tree.refresh(v);  // the changes since the last queries
        const std::int64_t want = scan_pick(v, available);
        same_pick = same_pick && tree.pick(v, gio::greedy_tie_limit) == want;
        tree.candidates(v, wide_limit, got_values, got_rows);
        scan_candidates(v, available, want_values, want_rows);
        // exact bits: == on doubles (no NaN) and identical rows
        same_candidates = same_candidates && got_rows == want_rows && got_values == want_values;
        ++queries;
        multi += want_rows.size() > 1;
        if (want >= 0) {
          bool any;
          const double lo = scan_lowest(v, available, any);
          ties += v[static_cast<std::size_t>(want)] != lo;  // the pick is a near-tie, not the lowest
        }
        if (n == 0) break;
        const std::size_t r = static_cast<std::size_t>(rng.below(n));
        switch (rng.below(7)) {
          case 0:  // a take (maybe of a taken row: no change)
            available[r] = 0;
            tree.take(v, r);
            break;
          case 1:  // take the current pick, as the search does
            if (want >= 0) {
              available[static_cast<std::size_t>(want)] = 0;
              tree.take(v, static_cast<std::size_t>(want));
            }
            break;
          case 2:  // a pass: every row changes, one rebuild (rarer than the point changes)
            if (rng.below(3) != 0) break;
            for (double& x : v) x = all_inf ? inf : value(infs);
            tree.build(v);
            break;
          case 3:  // the pick's score rises (as the search's updates raise the rows near a pick)
            if (want >= 0) {
              const auto w = static_cast<std::size_t>(want);
              v[w] = all_inf ? inf : std::max(v[w], value(infs));
              tree.changed(w);
            }
            break;
          default:  // a few point changes, taken rows' too (the tree ignores those)
            for (std::uint64_t c = 0, many = 1 + rng.below(4); c < many; ++c) {
              const std::size_t q = c == 0 ? r : static_cast<std::size_t>(rng.below(n));
              v[q] = all_inf ? inf : value(infs);
              tree.changed(q);
            }
        }
        for (std::size_t q = 0; q < n; ++q) same_available = same_available && tree.available(q) == (available[q] != 0);
      }
    }
  }
  CHECK(same_pick);
  CHECK(same_candidates);
  CHECK(same_available);
  CHECK(queries > 10000);
  CHECK(ties > 100);   // the near-ties did come up
  CHECK(multi > 100);  // and so did candidates lists longer than one row
}

}  // namespace

int main() {
  score_tree_is_the_scan();
  passes_after_the_start();
  for (int k : {1, 3, 5})
    for (bool dup : {false, true}) {
      same_as_naive<double>(k, dup, 2, 100 + static_cast<std::uint64_t>(k));
      same_as_naive<float>(k, dup, 1, 200 + static_cast<std::uint64_t>(k));
    }
  stop_and_resume();
  relaxed_is_a_ranking();
  gain_can_grow_for_k2();
  return check::report("test_greedy");
}
