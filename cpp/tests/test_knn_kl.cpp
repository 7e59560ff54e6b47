// gio::KnnKL (DESIGN.md §2b) against a from-scratch double-precision k-NN estimate.
#include <algorithm>
#include <cmath>
#include <vector>

#include "check.hpp"
#include "gio/knn_kl.hpp"
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
  CHECK_NEAR(gio::knn_kl(gio::MatrixView<double>(x.data(), n, d), gio::MatrixView<double>(w.data(), m, d), k, 1),
             naive_knn_kl(x, n, w, m, d, k), 1e-10);
}

}  // namespace

int main() {
  for (int k : {1, 3, 5})
    for (bool dup : {false, true}) after_every_pick(k, dup);
  CHECK_THROWS(gio::knn_kl(gio::MatrixView<double>(std::vector<double>(20).data(), 10, 2),
                           gio::MatrixView<double>(std::vector<double>(4).data(), 2, 2), 3, 1),
               std::invalid_argument);
  return check::report("test_knn_kl");
}
