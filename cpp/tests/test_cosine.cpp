// metric = Cosine (gio/frame.hpp): every row is scaled to unit length as it is read, so a run on
// raw rows picks what the Euclidean run picks on the rows normalised beforehand, in every search
// mode; the estimates use the sphere's dimension d - 1; zero rows are refused by name.
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "check.hpp"
#include "gio/knn_kl.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"
#include "naive.hpp"

namespace {

using View = gio::MatrixView<double>;

std::vector<double> normalised(std::vector<double> a, std::size_t d) {
  for (std::size_t i = 0; i < a.size() / d; ++i) {
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) s += a[i * d + j] * a[i * d + j];
    for (std::size_t j = 0; j < d; ++j) a[i * d + j] /= std::sqrt(s);
  }
  return a;
}

using check::throws_naming;

struct Problem {
  std::size_t d = 7, n_pool, n_target = 90, n_init = 5;
  std::vector<double> pool, target, init;
  explicit Problem(std::size_t rows) : n_pool(rows) {
    gio::Rng rng(21);
    pool = testdata::gaussian(n_pool, d, rng, 0.3, 1.0);
    target = testdata::gaussian(n_target, d, rng, 0.8, 0.6);
    init = gio::uniform_start(n_init, d, {-1.0}, {2.0}, false, rng);
    for (std::size_t i = 0; i < pool.size(); ++i) pool[i] *= 1.0 + 0.5 * static_cast<double>(i % 3);  // norms vary
  }
};

gio::Result run(const Problem& p, bool pre_normalised, gio::Objective objective, gio::Search search,
                gio::Projection projection) {
  const auto prep = [&](const std::vector<double>& a) { return pre_normalised ? normalised(a, p.d) : a; };
  const auto pool = prep(p.pool), target = prep(p.target), init = prep(p.init);
  gio::Options o;
  o.metric = pre_normalised ? gio::Metric::Euclidean : gio::Metric::Cosine;
  o.objective.kind = objective;
  o.search.kind = search;
  o.descent.v_init = objective == gio::Objective::Knn ? gio::VInit::Worst : gio::VInit::Jump;
  o.projection.mode = projection;
  o.stop.n_select = 20;
  o.seed = 9;
  o.n_threads = 1;
  return gio::select<double>({pool.data(), p.n_pool, p.d}, {target.data(), p.n_target, p.d}, {init.data(), p.n_init, p.d},
                             o);
}

// Cosine on raw rows == Euclidean on normalised rows: the same picks; the KL trace differs only
// by the dimension, d - 1 against d.
void cosine_is_euclidean_on_normalised_rows(std::size_t pool_rows) {
  const Problem p(pool_rows);
  struct Mode {
    gio::Objective objective;
    gio::Search search;
  };
  const Mode modes[] = {{gio::Objective::Relaxed, gio::Search::Descent}, {gio::Objective::Knn, gio::Search::Descent},
                        {gio::Objective::Relaxed, gio::Search::Greedy},  {gio::Objective::Knn, gio::Search::Greedy},
                        {gio::Objective::Knn, gio::Search::Nearest},     {gio::Objective::Knn, gio::Search::Spread}};
  for (const Mode& m : modes)
    for (gio::Projection projection : {gio::Projection::Exact, gio::Projection::Hnsw}) {
      if (m.search != gio::Search::Descent && projection == gio::Projection::Hnsw) continue;
      const gio::Result cos = run(p, false, m.objective, m.search, projection);
      const gio::Result euc = run(p, true, m.objective, m.search, projection);
      const bool same = cos.selected == euc.selected;
      CHECK(same);
      if (!same)
        std::fprintf(stderr, "    objective %d, search %d, projection %d, %zu rows: other picks\n",
                     static_cast<int>(m.objective), static_cast<int>(m.search), static_cast<int>(projection), pool_rows);
    }
}

// The estimates on the sphere: (d - 1) / n sum log(nu / rho) + log(m / (n - 1)).
void estimates_use_the_sphere_dimension() {
  const Problem p(300);
  const auto x = normalised(p.target, p.d), w = normalised(p.pool, p.d);
  const View xv(x.data(), p.n_target, p.d), wv(w.data(), p.n_pool, p.d);
  const double c = std::log(static_cast<double>(p.n_pool) / static_cast<double>(p.n_target - 1));
  const double euclidean = gio::knn_kl<double>(xv, wv, 3, 1);
  const double cosine = gio::knn_kl<double>(View(p.target.data(), p.n_target, p.d), View(p.pool.data(), p.n_pool, p.d), 3,
                                            1, nullptr, gio::Units::Target, gio::Metric::Cosine);
  const double dd = static_cast<double>(p.d);
  CHECK_NEAR(cosine - c, (euclidean - c) * (dd - 1) / dd, 1e-9);
  // the relaxed estimate does not see the rows' lengths: each row scaled by its own factor
  std::vector<double> xs = p.target, ws(p.pool.begin(), p.pool.begin() + static_cast<std::ptrdiff_t>(40 * p.d));
  const std::vector<double> w40 = ws;
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] *= 1.0 + static_cast<double>(i / p.d % 5);
  for (std::size_t i = 0; i < ws.size(); ++i) ws[i] *= 0.25 + static_cast<double>(i / p.d % 7);
  const auto relaxed = [&](const std::vector<double>& a, const std::vector<double>& b) {
    return gio::relaxed_kl<double>(View(a.data(), p.n_target, p.d), View(b.data(), 40, p.d), 3, 1e-8, false, 1,
                                   gio::Units::Target, gio::Metric::Cosine);
  };
  CHECK_NEAR(relaxed(xs, ws), relaxed(p.target, w40), 1e-9);
}

void zero_rows_are_refused_by_name() {
  Problem p(200);
  gio::Options o;
  o.metric = gio::Metric::Cosine;
  o.stop.n_select = 5;
  auto select_with = [&](std::vector<double> pool, std::vector<double> target, std::vector<double> init) {
    gio::select<double>({pool.data(), p.n_pool, p.d}, {target.data(), p.n_target, p.d}, {init.data(), p.n_init, p.d},
                        o);
  };
  auto zero_row = [&](std::vector<double> a, std::size_t row) {
    for (std::size_t j = 0; j < p.d; ++j) a[row * p.d + j] = 0;
    return a;
  };
  CHECK(throws_naming([&] { select_with(zero_row(p.pool, 17), p.target, p.init); }, "pool row 17 is zero"));
  CHECK(throws_naming([&] { select_with(p.pool, zero_row(p.target, 3), p.init); }, "target row 3 is zero"));
  CHECK(throws_naming([&] { select_with(p.pool, p.target, zero_row(p.init, 1)); }, "init row 1 is zero"));
  const auto w = zero_row(p.pool, 2);
  CHECK(throws_naming([&] {
          gio::knn_kl<double>(View(p.target.data(), p.n_target, p.d), View(w.data(), p.n_pool, p.d), 3, 1, nullptr,
                              gio::Units::Target, gio::Metric::Cosine);
        },
        "W row 2 is zero"));
  o.reference_semantics = true;
  CHECK(throws_naming([&] { select_with(p.pool, p.target, p.init); }, "no reference semantics"));
}

}  // namespace

int main() {
  cosine_is_euclidean_on_normalised_rows(400);
  cosine_is_euclidean_on_normalised_rows(50);  // below the certified cache's 65 rows
  estimates_use_the_sphere_dimension();
  zero_rows_are_refused_by_name();
  return check::report("test_cosine");
}
