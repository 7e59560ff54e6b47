// gio::RelaxedKL, grown one row at a time, against relaxed_kl (and the naive formula) from scratch.
#include <cmath>
#include <vector>

#include "check.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/target_stats.hpp"
#include "naive.hpp"

namespace {

using View = gio::MatrixView<double>;

void grow(std::size_t n, std::size_t m, std::size_t d, int k, bool discard, std::uint64_t seed) {
  gio::Rng rng(seed);
  std::vector<double> x = testdata::gaussian(n, d, rng);
  std::vector<double> w = testdata::gaussian(m, d, rng, 0.4, 1.3);
  testdata::copy_row(w, 3, x, 5, d);  // a W row on top of a target row
  testdata::copy_row(w, 6, w, 2, d);  // a repeated W row
  const double eps = 1e-8;
  gio::TargetStats ts(View(x.data(), n, d), k, 2);
  gio::RelaxedKL inc(ts, discard, eps);
  CHECK(inc.m() == 0);
  CHECK(std::isnan(inc.kl()));
  for (std::size_t j = 0; j < m; ++j) {
    inc.add(&w[j * d]);
    CHECK(inc.m() == j + 1);
    const double scratch = gio::relaxed_kl<double>(View(x.data(), n, d), View(w.data(), j + 1, d), k, eps, discard, 1,
                                                    gio::Units::Absolute);
    const double naive = testdata::naive_relaxed_kl(x, n, w, j + 1, d, k, eps, discard);
    if (discard && j == 0) {
      CHECK(std::isnan(inc.kl()));
      CHECK(std::isnan(scratch));
      continue;
    }
    CHECK_NEAR(inc.kl(), scratch, 1e-12);
    CHECK_NEAR(inc.kl(), naive, 1e-9);
  }
}

// evaluate(w) scores W + {w} without changing W; commit() then adds the last evaluated row and
// gives exactly what add(w) gives.
void evaluate_commit(bool discard) {
  gio::Rng rng(99);
  const std::size_t n = 90, d = 6, m = 12;
  const int k = 3;
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(m, d, rng, 0.2);
  std::vector<double> extra = testdata::gaussian(3, d, rng, -0.5);
  gio::TargetStats ts(View(x.data(), n, d), k, 1);
  gio::RelaxedKL a(ts, discard), b(ts, discard);
  for (std::size_t j = 0; j < 2; ++j) {
    a.add(&w[j * d]);
    b.add(&w[j * d]);
  }
  for (std::size_t j = 2; j < m; ++j) {
    const double before = a.kl();
    // Score two decoys first: only the last evaluated candidate is committed.
    a.evaluate(&extra[0]);
    a.evaluate(&extra[d]);
    CHECK(a.kl() == before || (std::isnan(a.kl()) && std::isnan(before)));
    CHECK(a.m() == j);
    const double score = a.evaluate(&w[j * d]);
    std::vector<double> prefix(w.begin(), w.begin() + static_cast<std::ptrdiff_t>((j + 1) * d));
    CHECK_NEAR(score, gio::relaxed_kl<double>(View(x.data(), n, d), View(prefix.data(), j + 1, d), k, 1e-8, discard, 1,
                                              gio::Units::Absolute),
               1e-12);
    a.commit();
    b.add(&w[j * d]);
    CHECK(a.m() == j + 1 && b.m() == j + 1);
    CHECK(a.kl() == b.kl());
    CHECK(a.kl() == score);
  }
  // The gradients of the two estimators agree too (same state).
  std::vector<double> v = testdata::gaussian(1, d, rng), ga(d), gb(d);
  a.gradient(v.data(), ga.data());
  b.gradient(v.data(), gb.data());
  CHECK(ga == gb);
}

}  // namespace

int main() {
  std::uint64_t seed = 11;
  for (bool discard : {false, true}) {
    grow(80, 40, 5, 5, discard, seed++);
    grow(150, 25, 12, 1, discard, seed++);
    grow(30, 60, 3, 2, discard, seed++);
    evaluate_commit(discard);
  }
  return check::report("test_incremental");
}
