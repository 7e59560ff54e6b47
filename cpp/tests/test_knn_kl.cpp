// gio::KnnKL (DESIGN.md §2b) against a from-scratch double-precision k-NN estimate.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "check.hpp"
#include "gio/knn_kl.hpp"
#include "gio/relaxed_kl.hpp"
#include "naive.hpp"

namespace {

double naive_knn_kl(const std::vector<double>& x, std::size_t n, const std::vector<double>& w, std::size_t m,
                    std::size_t d, int k) {
  const std::vector<double> rho = testdata::naive_rho(x, n, d, k);
  double s = 0;
  std::vector<double> row(m);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) row[j] = testdata::delta(&x[i * d], &w[j * d], d);
    std::sort(row.begin(), row.end());
    s += std::log(row[static_cast<std::size_t>(k) - 1] / rho[i]);
  }
  return static_cast<double>(d) / static_cast<double>(n) * s +
         std::log(static_cast<double>(m) / (static_cast<double>(n) - 1.0));
}

void after_every_pick(int k, bool duplicates) {
  const std::size_t n = 60, m = 40, d = 5;
  gio::Rng rng(static_cast<std::uint64_t>(k) + (duplicates ? 100 : 0));
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(m, d, rng, 0.3);
  if (duplicates) {
    for (std::size_t i = 0; i < 8; ++i) testdata::copy_row(x, 50 + i, x, i, d);  // repeated targets
    for (std::size_t i = 0; i < 6; ++i) testdata::copy_row(w, 30 + i, x, i, d);   // W rows on targets
    testdata::copy_row(w, 20, w, 21, d);                                          // repeated W rows
  }
  gio::TargetStats ts(gio::MatrixView<double>(x.data(), n, d), k, 2);
  gio::KnnKL est(ts);
  for (std::size_t j = 0; j < m; ++j) {
    const double before = est.kl();
    const double change = est.delta(&w[j * d]);
    est.commit();
    CHECK(est.m() == j + 1);
    if (j + 1 < static_cast<std::size_t>(k)) {
      CHECK(std::isnan(est.kl()));
      continue;
    }
    const std::vector<double> wj(w.begin(), w.begin() + static_cast<std::ptrdiff_t>((j + 1) * d));
    CHECK_NEAR(est.kl(), naive_knn_kl(x, n, wj, j + 1, d, k), 1e-10);
    if (j >= static_cast<std::size_t>(k)) CHECK_NEAR(change, est.kl() - before, 1e-10);  // delta is exact
  }
  CHECK_NEAR(gio::knn_kl(gio::MatrixView<double>(x.data(), n, d), gio::MatrixView<double>(w.data(), m, d), k, 1,
                         nullptr, gio::Units::Absolute),
             naive_knn_kl(x, n, w, m, d, k), 1e-10);
}

// The gradient of delta against central differences, at points where every target is away from
// the band's edges (delta is piecewise smooth in v; the band can change within h elsewhere).
void gradient_matches_differences(int k) {
  const std::size_t n = 50, m = 30, d = 4;
  gio::Rng rng(40 + static_cast<std::uint64_t>(k));
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(m, d, rng, 0.0, 2.0);
  gio::TargetStats ts(gio::MatrixView<double>(x.data(), n, d), k, 1);
  gio::KnnKL est(ts);
  for (std::size_t j = 0; j < m; ++j) est.add(&w[j * d]);
  std::vector<double> g(d), scratch(n), vp(d);
  int checked = 0;
  for (int trial = 0; trial < 40; ++trial) {
    std::vector<double> v = testdata::gaussian(1, d, rng);
    const double h = 1e-6;
    bool smooth = true;  // no target's distance within 10 h of nu_k or nu_{k-1}
    est.gain_sum(v.data());
    for (std::size_t i = 0; i < n; ++i) {
      const double dist = est.candidate_distances()[i];
      smooth = smooth && std::fabs(dist - est.nu_k(i)) > 10 * h && std::fabs(dist - est.nu_k_minus_1(i)) > 10 * h;
    }
    if (!smooth) continue;
    est.gradient(v.data(), g.data(), scratch.data());
    for (std::size_t j = 0; j < d; ++j) {
      vp = v;
      vp[j] += h;
      const double up = est.delta(vp.data());
      vp[j] -= 2 * h;
      const double down = est.delta(vp.data());
      CHECK_NEAR(g[j], (up - down) / (2 * h), 1e-5 * (1 + std::fabs(g[j])));
    }
    ++checked;
  }
  CHECK(checked >= 20);
}

// worst_targets: the largest log(nu_k / rho_k) first; a descent from the worst never raises delta.
void worst_targets_and_descent() {
  const std::size_t n = 40, d = 3;
  gio::Rng rng(7);
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(6, d, rng, 0.0, 0.2);
  gio::TargetStats ts(gio::MatrixView<double>(x.data(), n, d), 3, 1);
  gio::KnnKL est(ts);
  for (std::size_t j = 0; j < 6; ++j) est.add(&w[j * d]);
  const std::vector<std::size_t> worst = est.worst_targets(5);
  CHECK(worst.size() == 5);
  auto badness = [&](std::size_t i) { return std::log(est.nu_k(i) / ts.rho()[i]); };
  for (std::size_t j = 0; j + 1 < worst.size(); ++j) CHECK(badness(worst[j]) >= badness(worst[j + 1]));
  for (std::size_t i = 0; i < n; ++i) CHECK(badness(i) <= badness(worst[0]));
  std::vector<double> v(ts.row(worst[0]), ts.row(worst[0]) + d);
  const double before = est.delta(v.data());
  est.descend(v.data(), 50, 0.02);
  CHECK(est.delta(v.data()) <= before + 1e-12);
}

// knn_kl_events per chunk, merged by (position, target), then knn_kl_replay: knn_kl's value bit for
// bit, for rows dealt to `chunks` chunks at random (uneven, one empty), with ties across chunks.
template <class T>
void events_replay_exact(int k, std::size_t chunks, gio::Metric metric, std::uint64_t seed) {
  const std::size_t n = 70, m = 90, d = 6;
  gio::Rng rng(seed);
  std::vector<double> xd = testdata::gaussian(n, d, rng), wd = testdata::gaussian(m, d, rng, 0.2);
  for (std::size_t i = 0; i < 6; ++i) testdata::copy_row(xd, 60 + i, xd, i, d);  // repeated targets
  for (std::size_t i = 0; i < 8; ++i) testdata::copy_row(wd, 70 + i, xd, i, d);  // W rows on targets
  for (std::size_t i = 0; i < 10; ++i) testdata::copy_row(wd, 80 + i, wd, i, d);  // repeated W rows
  const std::vector<T> x = testdata::cast<T>(xd), w = testdata::cast<T>(wd);
  const gio::MatrixView<T> xv(x.data(), n, d);
  std::vector<std::size_t> chunk_of(m);
  for (auto& c : chunk_of) {  // chunk 0 gets twice the rows; with 4 chunks, chunk 2 none
    c = static_cast<std::size_t>(rng.below(chunks + 1)) % chunks;
    if (chunks == 4 && c == 2) c = 3;
  }
  std::vector<std::int64_t> pos;
  std::vector<std::int32_t> tgt;
  std::vector<double> dist;
  std::size_t within_chunks = 0;
  for (std::size_t c = 0; c < chunks; ++c) {
    std::vector<std::int64_t> rows;
    std::vector<T> sub;
    for (std::size_t j = 0; j < m; ++j)
      if (chunk_of[j] == c) {
        rows.push_back(static_cast<std::int64_t>(j));
        sub.insert(sub.end(), w.begin() + static_cast<std::ptrdiff_t>(j * d),
                   w.begin() + static_cast<std::ptrdiff_t>((j + 1) * d));
      }
    const gio::KnnEvents ev = gio::knn_kl_events(xv, gio::MatrixView<T>(sub.data(), rows.size(), d), k, 2, nullptr,
                                                 gio::Units::Target, metric);
    CHECK(ev.counts.size() == rows.size() && ev.target.size() == ev.distance.size());
    std::size_t e = 0;
    for (std::size_t r = 0; r < rows.size(); ++r)
      for (std::int32_t i = 0; i < ev.counts[r]; ++i, ++e) {
        pos.push_back(rows[r]);
        tgt.push_back(ev.target[e]);
        dist.push_back(ev.distance[e]);
      }
    CHECK(e == ev.target.size());
    within_chunks += e;
  }
  std::vector<std::size_t> order(pos.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return pos[a] < pos[b]; });
  std::vector<std::int64_t> p2;
  std::vector<std::int32_t> t2;
  std::vector<double> d2;
  for (std::size_t o : order) p2.push_back(pos[o]), t2.push_back(tgt[o]), d2.push_back(dist[o]);
  const gio::MatrixView<T> wv(w.data(), m, d);
  const double one = gio::knn_kl(xv, wv, k, 1, nullptr, gio::Units::Target, metric);
  CHECK(gio::knn_kl_replay(xv, p2.data(), t2.data(), d2.data(), p2.size(), m, k, 3, nullptr, gio::Units::Target,
                           metric) == one);
  // Merged, the chunks' events the lists of all rows accept are exactly W's own events (one chunk)
  const std::vector<std::uint8_t> keep = gio::knn_kl_merge(n, k, p2.data(), t2.data(), d2.data(), p2.size());
  const gio::KnnEvents whole = gio::knn_kl_events(xv, wv, k, 1, nullptr, gio::Units::Target, metric);
  std::vector<std::int64_t> p3;
  std::vector<std::int32_t> t3;
  std::vector<double> d3;
  for (std::size_t e = 0; e < keep.size(); ++e)
    if (keep[e]) p3.push_back(p2[e]), t3.push_back(t2[e]), d3.push_back(d2[e]);
  CHECK(t3 == whole.target && d3 == whole.distance);
  std::vector<std::int64_t> whole_pos;
  for (std::size_t j = 0; j < m; ++j) whole_pos.insert(whole_pos.end(), static_cast<std::size_t>(whole.counts[j]), static_cast<std::int64_t>(j));
  CHECK(p3 == whole_pos);
  CHECK(gio::knn_kl_replay(xv, p3.data(), t3.data(), d3.data(), p3.size(), m, k, 1, nullptr, gio::Units::Target,
                           metric) == one);
  CHECK(chunks == 1 || p3.size() < p2.size());
  // KnnKL::add row by row gives the same value; every list was filled within the chunks
  gio::TargetStats ts(xv, k, 1, nullptr, gio::Units::Target, metric);
  gio::KnnKL est(ts);
  std::vector<double> row(d);
  for (std::size_t j = 0; j < m; ++j) {
    ts.frame().map(wv.row(j), d, row.data());
    est.add(row.data());
  }
  CHECK(est.kl() == one);
  CHECK(within_chunks >= n * static_cast<std::size_t>(k));
  // Another order of a row's events is another order of the sum: refused, not summed.
  for (std::size_t e = 1; e < p2.size(); ++e)
    if (p2[e] == p2[e - 1]) {
      std::swap(t2[e], t2[e - 1]);
      std::swap(d2[e], d2[e - 1]);
      CHECK(check::throws_naming([&] {
        gio::knn_kl_replay(xv, p2.data(), t2.data(), d2.data(), p2.size(), m, k, 1, nullptr, gio::Units::Target, metric);
      }, "not in (position, target) order"));
      break;
    }
  CHECK(check::throws_naming([&] {
    gio::knn_kl_replay(xv, p2.data(), t2.data(), d2.data(), 0, static_cast<std::size_t>(k) - 1, k, 1);
  }, "needs at least k="));
  std::swap(p2.front(), p2.back());
  CHECK(check::throws_naming([&] { gio::knn_kl_merge(n, k, p2.data(), t2.data(), d2.data(), p2.size()); },
                             "not in (position, target) order"));
}

// Events whose positions run past the rows, or that name no target, are refused.
void replay_refusals() {
  const std::size_t n = 10, d = 2;
  gio::Rng rng(3);
  std::vector<double> x = testdata::gaussian(n, d, rng);
  const gio::MatrixView<double> xv(x.data(), n, d);
  const std::int64_t p[] = {0, 5};
  const std::int32_t t[] = {0, 10}, t_in[] = {0, 9};
  const double dist[] = {1.0, 1.0};
  CHECK(check::throws_naming([&] { gio::knn_kl_replay(xv, p, t, dist, 2, 6, 1, 1); }, "(position 5, target 10), outside 6 rows x 10 targets"));
  CHECK(check::throws_naming([&] { gio::knn_kl_replay(xv, p, t_in, dist, 2, 5, 1, 1); }, "(position 5, target 9), outside 5 rows"));
}

// A TargetStats without rho_k (knn_kl_events' own) has the same rows and norms, and the estimates
// that need rho_k refuse it rather than read past it.
void stats_without_rho() {
  const std::size_t n = 30, d = 4;
  gio::Rng rng(5);
  std::vector<double> x = testdata::gaussian(n, d, rng);
  const gio::MatrixView<double> xv(x.data(), n, d);
  gio::TargetStats full(xv, 3, 1, nullptr, gio::Units::Target), lean(xv, 3, 1, nullptr, gio::Units::Target,
                                                                     gio::Metric::Euclidean, false);
  CHECK(full.has_rho() && !lean.has_rho());
  CHECK(std::equal(full.data(), full.data() + n * d, lean.data()));
  CHECK(std::equal(full.sq_norms(), full.sq_norms() + n, lean.sq_norms()));
  gio::KnnKL est(lean);
  CHECK_THROWS(static_cast<void>(est.kl()), std::logic_error);
  CHECK_THROWS(static_cast<void>(est.worst_targets(1)), std::logic_error);
  CHECK_THROWS(gio::RelaxedKL(lean, false, 1e-8), std::logic_error);
}

}  // namespace

int main() {
  for (int k : {1, 2, 5})
    for (std::size_t chunks : {1, 2, 4}) {
      events_replay_exact<double>(k, chunks, gio::Metric::Euclidean, 11 * chunks + static_cast<std::uint64_t>(k));
      events_replay_exact<float>(k, chunks, gio::Metric::Euclidean, 13 * chunks + static_cast<std::uint64_t>(k));
      events_replay_exact<double>(k, chunks, gio::Metric::Cosine, 17 * chunks + static_cast<std::uint64_t>(k));
    }
  replay_refusals();
  stats_without_rho();
  for (int k : {1, 3, 5}) gradient_matches_differences(k);
  worst_targets_and_descent();
  for (int k : {1, 3, 5})
    for (bool dup : {false, true}) after_every_pick(k, dup);
  CHECK_THROWS(gio::knn_kl(gio::MatrixView<double>(std::vector<double>(20).data(), 10, 2),
                           gio::MatrixView<double>(std::vector<double>(4).data(), 2, 2), 3, 1),
               std::invalid_argument);
  return check::report("test_knn_kl");
}
