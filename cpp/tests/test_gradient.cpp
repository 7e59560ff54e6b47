// gio::relaxed_kl_gradient against central finite differences of relaxed_kl on W + {v}, and
// RelaxedKL::descend against explicit steps along that gradient.
#include <algorithm>
#include <cmath>
#include <vector>

#include "check.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/target_stats.hpp"
#include "naive.hpp"

namespace {

using View = gio::MatrixView<double>;

double kl_with(const std::vector<double>& x, std::size_t n, std::vector<double> w, std::size_t m,
               const std::vector<double>& v, std::size_t d, int k, bool discard) {
  w.insert(w.end(), v.begin(), v.end());
  return gio::relaxed_kl<double>(View(x.data(), n, d), View(w.data(), m + 1, d), k, 1e-8, discard, 1);
}

// Smallest squared distance from any target to v, and, with discard, the smallest gap between
// delta(x_i, v) and x_i's nearest W point (the gradient jumps there).
double margin(const std::vector<double>& x, std::size_t n, const std::vector<double>& w, std::size_t m,
              const std::vector<double>& v, std::size_t d) {
  double mg = 1e300;
  for (std::size_t i = 0; i < n; ++i) {
    const double dv = testdata::delta(&x[i * d], v.data(), d);
    double dw = 1e300;
    for (std::size_t j = 0; j < m; ++j) dw = std::min(dw, testdata::delta(&x[i * d], &w[j * d], d));
    mg = std::min({mg, dv, std::fabs(dv - dw)});
  }
  return mg;
}

// Returns the gradient it checked.
std::vector<double> check_point(const std::vector<double>& x, std::size_t n, const std::vector<double>& w,
                                std::size_t m, const std::vector<double>& v, std::size_t d, int k, bool discard) {
  CHECK(margin(x, n, w, m, v, d) > 1e-3);  // away from clipping and from nearest-point swaps
  const std::vector<double> g =
      gio::relaxed_kl_gradient<double>(View(x.data(), n, d), View(w.data(), m, d), v.data(), k, 1e-8, discard, 2);
  CHECK(g.size() == d);
  double gmax = 0;
  for (double gj : g) gmax = std::max(gmax, std::fabs(gj));
  CHECK(gmax > 0);
  for (std::size_t j = 0; j < d; ++j) {
    const double h = 1e-5 * std::max(1.0, std::fabs(v[j]));
    std::vector<double> vp = v, vm = v;
    vp[j] += h;
    vm[j] -= h;
    const double fd = (kl_with(x, n, w, m, vp, d, k, discard) - kl_with(x, n, w, m, vm, d, k, discard)) / (2 * h);
    ++check::checks;
    if (!(std::fabs(g[j] - fd) <= 1e-5 * std::max(std::fabs(g[j]), gmax))) {
      check::fail(__FILE__, __LINE__, "gradient vs finite difference");
      std::fprintf(stderr, "    discard=%d j=%zu grad=%.12g fd=%.12g\n", int(discard), j, g[j], fd);
    }
  }
  return g;
}

void gradient_vs_fd() {
  std::uint64_t seed = 100;
  for (std::size_t d : {2, 6, 13}) {
    for (int rep = 0; rep < 3; ++rep) {
      gio::Rng rng(seed++);
      const std::size_t n = 70 + 40 * static_cast<std::size_t>(rep), m = 9 + static_cast<std::size_t>(rep);
      const int k = 1 + rep * 2;
      std::vector<double> x = testdata::gaussian(n, d, rng);
      std::vector<double> w = testdata::gaussian(m, d, rng, 0.5, 1.2);
      // A point in the open: v is nobody's nearest W point.
      std::vector<double> v_far = testdata::gaussian(1, d, rng, 3.0, 0.2);
      // A point near x_0 (and so the discarded nearest point of x_0 and perhaps a few more).
      std::vector<double> v_near(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(d));
      for (double& t : v_near) t += 0.02 * rng.uniform(-1, 1) + 0.01;
      for (const auto* v : {&v_far, &v_near}) {
        const auto g0 = check_point(x, n, w, m, *v, d, k, false);
        const auto g1 = check_point(x, n, w, m, *v, d, k, true);
        if (v == &v_near) {
          // x_0's term is dropped with discard, so the two gradients must differ.
          double diff = 0;
          for (std::size_t j = 0; j < d; ++j) diff = std::max(diff, std::fabs(g0[j] - g1[j]));
          CHECK(diff > 1e-6);
        }
      }
    }
  }
}

// descend(v, 1, step) = v - step * gradient(v) (the descent runs in float32: loose tolerance);
// and the descent does not depend on the thread count.
void descend_matches_gradient() {
  gio::Rng rng(5);
  const std::size_t n = 300, m = 20, d = 8;  // several 64-row blocks
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(m, d, rng, 1.0);
  for (bool discard : {false, true}) {
    gio::TargetStats ts(View(x.data(), n, d), 4, 2);
    gio::RelaxedKL est(ts, discard);
    for (std::size_t j = 0; j < m; ++j) est.add(&w[j * d]);
    std::vector<double> v = testdata::gaussian(1, d, rng, 0.3), g(d);
    est.gradient(v.data(), g.data());
    const double step = 0.05;
    std::vector<double> v1 = v;
    est.descend(v1.data(), 1, step, 1);
    double gmax = 0;
    for (double t : g) gmax = std::max(gmax, std::fabs(t));
    for (std::size_t j = 0; j < d; ++j) CHECK(std::fabs((v[j] - v1[j]) - step * g[j]) <= 1e-4 * step * gmax + 1e-6);
    std::vector<double> a = v, b = v;
    est.descend(a.data(), 40, step, 1);
    est.descend(b.data(), 40, step, 2);
    CHECK(a == b);
    // gradient_bound is an upper bound of the gradient's norm.
    double gn = 0;
    for (double t : g) gn += t * t;
    CHECK(std::sqrt(gn) <= est.gradient_bound(v.data()) * (1 + 1e-12));
  }
}

}  // namespace

int main() {
  gradient_vs_fd();
  descend_matches_gradient();
  return check::report("test_gradient");
}
