// gio::relaxed_kl against a direct double-precision transcription of DESIGN.md §2a (grad-info-opt's
// absolute clip and eps: Units::Absolute; test_frame.cpp covers the target's units).
#include <cmath>
#include <vector>

#include "check.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/target_stats.hpp"
#include "naive.hpp"

using testdata::naive_relaxed_kl;

namespace {

constexpr double kTol = 1e-9;
constexpr gio::Units kAbs = gio::Units::Absolute;

struct Case {
  std::size_t n, m, d;
  int k;
  double mean, sd;
  bool duplicates;
};

void run_case(const Case& c, std::uint64_t seed) {
  gio::Rng rng(seed);
  std::vector<double> x = testdata::gaussian(c.n, c.d, rng, c.mean, c.sd);
  std::vector<double> w = testdata::gaussian(c.m, c.d, rng, c.mean + 0.3 * c.sd, 1.5 * c.sd);
  if (c.duplicates) {
    testdata::copy_row(x, 1, x, 0, c.d);           // duplicate target rows (rho hits the clip when k = 1)
    testdata::copy_row(x, c.n - 1, x, 2, c.d);
    testdata::copy_row(w, 0, x, 3, c.d);           // W shares points with X (delta clipped)
    if (c.m > 2) testdata::copy_row(w, c.m - 1, w, 1, c.d);  // duplicate rows inside W
    if (c.m > 3) testdata::copy_row(w, 2, x, 3, c.d);        // ... and twice the same X point
  }
  const gio::MatrixView<double> xv(x.data(), c.n, c.d), wv(w.data(), c.m, c.d);
  for (bool discard : {false, true}) {
    const double want = naive_relaxed_kl(x, c.n, w, c.m, c.d, c.k, 1e-8, discard);
    const double got = gio::relaxed_kl<double>(xv, wv, c.k, 1e-8, discard, 2, kAbs);
    if (discard && c.m < 2) {
      CHECK(std::isnan(got));
      CHECK(std::isnan(want));
      continue;
    }
    CHECK(std::isfinite(want));
    CHECK_NEAR(got, want, kTol);
    // float input: the core widens to double, so it must match the naive formula on the widened data.
    const std::vector<float> xf = testdata::cast<float>(x), wf = testdata::cast<float>(w);
    const std::vector<double> xw(xf.begin(), xf.end()), ww(wf.begin(), wf.end());
    const double got_f = gio::relaxed_kl<float>(gio::MatrixView<float>(xf.data(), c.n, c.d),
                                                gio::MatrixView<float>(wf.data(), c.m, c.d), c.k, 1e-8,
                                                discard, 1, kAbs);
    CHECK_NEAR(got_f, naive_relaxed_kl(xw, c.n, ww, c.m, c.d, c.k, 1e-8, discard), kTol);
    // Another eps goes everywhere eps appears.
    CHECK_NEAR(gio::relaxed_kl<double>(xv, wv, c.k, 1e-3, discard, 1, kAbs),
               naive_relaxed_kl(x, c.n, w, c.m, c.d, c.k, 1e-3, discard), kTol);
  }
}

void target_stats_rho() {
  gio::Rng rng(7);
  const std::size_t n = 50, d = 5;
  std::vector<double> x = testdata::gaussian(n, d, rng);
  testdata::copy_row(x, 10, x, 11, d);
  for (int k : {1, 2, 4}) {
    gio::TargetStats ts(gio::MatrixView<double>(x.data(), n, d), k, 2);
    const std::vector<double> want = testdata::naive_rho(x, n, d, k);
    CHECK(ts.n() == n && ts.d() == d && ts.k() == k);
    for (std::size_t i = 0; i < n; ++i) CHECK_NEAR(ts.rho()[i], want[i], 1e-12);
  }
  CHECK_THROWS(gio::TargetStats(gio::MatrixView<double>(x.data(), 5, d), 5, 1), std::invalid_argument);
  CHECK_THROWS(gio::TargetStats(gio::MatrixView<double>(x.data(), 5, d), 0, 1), std::invalid_argument);
}

}  // namespace

int main() {
  const Case cases[] = {
      {60, 25, 7, 5, 0.0, 1.0, false},
      {60, 25, 7, 5, 0.0, 1.0, true},
      {40, 30, 3, 1, 0.0, 1.0, true},
      {33, 17, 16, 3, 10.0, 1.0, true},   // offset data: cancellation in |a|^2 + |b|^2 - 2a.b
      {50, 12, 4, 2, 0.0, 1e-3, true},    // small scale: many deltas near the clip
      {20, 1, 5, 5, 0.0, 1.0, false},     // m = 1 (NaN with discard)
      {20, 2, 5, 5, 0.0, 1.0, false},     // m = 2: one term per target with discard
      {150, 70, 2, 5, 0.0, 1.0, true},    // more rows than one 64-row block
  };
  std::uint64_t seed = 1;
  for (const Case& c : cases)
    for (int rep = 0; rep < 3; ++rep) run_case(c, seed++);
  target_stats_rho();

  // Empty W: NaN in both modes.
  std::vector<double> x(20 * 3, 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i % 7) * 0.3 + static_cast<double>(i) * 0.01;
  CHECK(std::isnan(gio::relaxed_kl<double>({x.data(), 20, 3}, {x.data(), 0, 3}, 3, 1e-8, false, 1)));
  return check::report("test_estimator");
}
