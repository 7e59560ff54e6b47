// The target's frame (gio/frame.hpp): estimates and the picks of every native search mode do not
// depend on the data's scale (1e-12 .. 1e12) or on a float64 offset of 1e8; what cannot be
// represented is refused by name; Units::Absolute and reference semantics keep grad-info-opt's
// absolute clip.
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
constexpr double kScales[] = {1e-12, 1e-6, 1e6, 1e12};
constexpr double kOffset = 1e8;

std::vector<double> affine(const std::vector<double>& a, double scale, double offset) {
  std::vector<double> out(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) out[i] = a[i] * scale + offset;
  return out;
}

using check::throws_naming;

// relaxed_kl and knn_kl in the target's units: the same value for x, w scaled or shifted together;
// the gradient scales as 1/s.
void estimates_are_invariant() {
  gio::Rng rng(3);
  const std::size_t n = 80, m = 30, d = 6;
  const int k = 3;
  std::vector<double> x = testdata::gaussian(n, d, rng), w = testdata::gaussian(m, d, rng, 0.4, 1.2);
  testdata::copy_row(w, 0, x, 5, d);  // a W row on a target row: the clip's floor is reached
  const std::vector<double> v = testdata::gaussian(1, d, rng, 0.1);
  constexpr gio::Units kTarget = gio::Units::Target;
  const double relaxed = gio::relaxed_kl<double>(View(x.data(), n, d), View(w.data(), m, d), k, 1e-8, false, 1, kTarget);
  const double knn = gio::knn_kl<double>(View(x.data(), n, d), View(w.data(), m, d), k, 1);
  const auto grad = gio::relaxed_kl_gradient<double>(View(x.data(), n, d), View(w.data(), m, d), v.data(), k, 1e-8,
                                                     false, 1, kTarget);
  auto same = [&](double s, double off) {
    const auto xs = affine(x, s, off), ws = affine(w, s, off), vs = affine(v, s, off);
    CHECK_NEAR(gio::relaxed_kl<double>(View(xs.data(), n, d), View(ws.data(), m, d), k, 1e-8, false, 1, kTarget), relaxed,
               off != 0 ? 1e-6 : 1e-9);  // an offset of 1e8 leaves float64 8 digits below 1
    CHECK_NEAR(gio::knn_kl<double>(View(xs.data(), n, d), View(ws.data(), m, d), k, 1), knn, off != 0 ? 1e-6 : 1e-9);
    const auto g = gio::relaxed_kl_gradient<double>(View(xs.data(), n, d), View(ws.data(), m, d), vs.data(), k, 1e-8,
                                                    false, 1, kTarget);
    for (std::size_t j = 0; j < d; ++j) CHECK_NEAR(g[j] * s, grad[j], off != 0 ? 1e-5 : 1e-9);
  };
  for (double s : kScales) same(s, 0);
  same(1, kOffset);
  // The absolute clip floors every distance at 1e-5: at scale 1e-6, both estimates collapse.
  const auto xs = affine(x, 1e-6, 0), ws = affine(w, 1e-6, 0);
  CHECK(std::fabs(gio::knn_kl<double>(View(xs.data(), n, d), View(ws.data(), m, d), k, 1, nullptr,
                                      gio::Units::Absolute) - knn) > 0.1);
}

// What the target's units mean: grad-info-opt's formula on (x - mean) / spread.
void target_units_are_the_formula_in_the_frame() {
  gio::Rng rng(4);
  const std::size_t n = 40, m = 12, d = 3;
  std::vector<double> x = testdata::gaussian(n, d, rng, 5.0, 3.0), w = testdata::gaussian(m, d, rng, 5.5, 4.0);
  testdata::copy_row(w, 2, x, 1, d);
  std::vector<double> mean(d, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) mean[j] += x[i * d + j] / static_cast<double>(n);
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < d; ++j) ss += (x[i * d + j] - mean[j]) * (x[i * d + j] - mean[j]);
  const double spread = std::sqrt(ss / static_cast<double>(n));
  auto framed = [&](std::vector<double> a) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = (a[i] - mean[i % d]) / spread;
    return a;
  };
  for (bool discard : {false, true})
    CHECK_NEAR(gio::relaxed_kl<double>(View(x.data(), n, d), View(w.data(), m, d), 2, 1e-8, discard, 1,
                                       gio::Units::Target),
               testdata::naive_relaxed_kl(framed(x), n, framed(w), m, d, 2, 1e-8, discard), 1e-9);
}

// Values on a grid of 2^-20: exact in float32, and in float64 after adding 1e8 (whose ulp is
// 2^-26), so X, X * 2^j and X + 1e8 hold the same information. (For data they do not hold, the
// picks are those of X rounded to what they do hold: the relaxed descent, like grad-info-opt's,
// runs in float32 and turns last-bit differences near target points into other descents.)
std::vector<double> on_grid(std::vector<double> a) {
  for (double& x : a) x = std::round(x * 1048576.0) / 1048576.0;
  return a;
}

struct Problem {
  std::size_t d = 6, n_pool, n_target = 100, n_init = 5;
  std::vector<double> pool, target, init;
  explicit Problem(std::size_t pool_rows = 500) : n_pool(pool_rows) {
    gio::Rng rng(11);
    pool = on_grid(testdata::gaussian(n_pool, d, rng));
    target = on_grid(testdata::gaussian(n_target, d, rng, 0.6, 0.7));
    init = on_grid(gio::uniform_start(n_init, d, {-2.0}, {2.0}, false, rng));
  }
};

struct Mode {
  const char* name;
  gio::Objective objective;
  gio::Search search;
  int batch_size, n_candidates;
  gio::VInit v_init;
};

template <class T>
gio::Result run(const Problem& p, const Mode& mode, gio::Projection projection, double scale, double offset) {
  const auto cast = [](const std::vector<double>& a) { return std::vector<T>(a.begin(), a.end()); };
  const auto pool = cast(affine(p.pool, scale, offset)), target = cast(affine(p.target, scale, offset)),
             init = cast(affine(p.init, scale, offset));
  gio::Options o;
  o.objective.kind = mode.objective;
  o.search.kind = mode.search;
  o.search.batch_size = mode.batch_size;
  o.search.n_candidates = mode.n_candidates;
  o.descent.v_init = mode.v_init;
  o.projection.mode = projection;
  o.stop.n_select = 25;
  o.seed = 5;
  o.n_threads = 1;  // a parallel HNSW build is not deterministic
  return gio::select<T>({pool.data(), p.n_pool, p.d}, {target.data(), p.n_target, p.d}, {init.data(), p.n_init, p.d},
                        o);
}

// Every native mode picks the same rows, with the same KL trace, at every scale and offset.
// (A pool of 60 rows: below the certified cache's 65, the projection takes another path.)
template <class T>
void picks_are_invariant(std::size_t pool_rows) {
  const Problem p(pool_rows);
  const Mode modes[] = {
      {"relaxed descent", gio::Objective::Relaxed, gio::Search::Descent, 1, 1, gio::VInit::Jump},
      {"relaxed descent, mean", gio::Objective::Relaxed, gio::Search::Descent, 1, 1, gio::VInit::Mean},
      {"relaxed descent, 4 candidates", gio::Objective::Relaxed, gio::Search::Descent, 1, 4, gio::VInit::Jump},
      {"knn descent", gio::Objective::Knn, gio::Search::Descent, 1, 1, gio::VInit::Worst},
      {"knn descent, batch 4", gio::Objective::Knn, gio::Search::Descent, 4, 1, gio::VInit::Worst},
      {"relaxed greedy", gio::Objective::Relaxed, gio::Search::Greedy, 1, 1, gio::VInit::Jump},
      {"knn greedy", gio::Objective::Knn, gio::Search::Greedy, 1, 1, gio::VInit::Worst},
      {"nearest", gio::Objective::Knn, gio::Search::Nearest, 1, 1, gio::VInit::Worst},
      {"spread", gio::Objective::Knn, gio::Search::Spread, 1, 1, gio::VInit::Worst},
  };
  for (const Mode& mode : modes)
    for (gio::Projection projection : {gio::Projection::Exact, gio::Projection::Hnsw}) {
      if (mode.search != gio::Search::Descent && projection == gio::Projection::Hnsw) continue;  // no projection
      const gio::Result base = run<T>(p, mode, projection, 1, 0);
      std::vector<std::pair<double, double>> variants;
      // float64 (1e-12 .. 1e12): the scaled values round to the same bits in the target's frame.
      // float32 rounds X * 1e6 differently from X: scales that keep the bits (2^-40 .. 2^40).
      for (double s : kScales) variants.emplace_back(std::is_same_v<T, double> ? s : std::exp2(std::round(std::log2(s))), 0.0);
      if (std::is_same_v<T, double>) variants.emplace_back(1.0, kOffset);
      for (const auto& [s, off] : variants) {
        const gio::Result r = run<T>(p, mode, projection, s, off);
        const bool same = r.selected == base.selected;
        CHECK(same);
        if (!same)
          std::fprintf(stderr, "    %s, %s, %s, scale %g, offset %g: other picks\n", mode.name,
                       projection == gio::Projection::Exact ? "exact" : "hnsw", sizeof(T) == 4 ? "float32" : "float64",
                       s, off);
        CHECK(r.kl_trace.size() == base.kl_trace.size());
        for (std::size_t j = 0; same && j < r.kl_trace.size(); ++j)
          CHECK_NEAR(r.kl_trace[j], base.kl_trace[j], off != 0 ? 1e-6 : 1e-7);
      }
    }
}

// Values whose squares overflow float64, a target spread whose squares underflow, and a float32
// target too far from the origin for float32 to resolve are refused, naming the input.
void unrepresentable_inputs_are_refused() {
  const Problem p;
  gio::Options o;
  o.stop.n_select = 5;
  auto select_with = [&](std::vector<double> pool, std::vector<double> target, std::vector<double> init) {
    gio::select<double>({pool.data(), p.n_pool, p.d}, {target.data(), p.n_target, p.d}, {init.data(), p.n_init, p.d},
                        o);
  };
  CHECK(throws_naming([&] { select_with(affine(p.pool, 1e200, 0), p.target, p.init); }, "pool has the value"));
  CHECK(throws_naming([&] { select_with(p.pool, affine(p.target, 1, 1e200), p.init); }, "target has the value"));
  CHECK(throws_naming([&] { select_with(p.pool, p.target, affine(p.init, -1e180, 0)); }, "init has the value"));
  CHECK(throws_naming([&] { select_with(affine(p.pool, 1e-150, 0), affine(p.target, 1e-150, 0), p.init); },
                      "target's spread"));
  const auto xs = affine(p.target, 1e200, 0);
  CHECK(throws_naming([&] { gio::knn_kl<double>(View(xs.data(), p.n_target, p.d), View(xs.data(), p.n_target, p.d), 3, 1); },
                      "X has the value"));
  std::vector<float> pool32(p.pool.begin(), p.pool.end()), target32(p.n_target * p.d), init32(p.init.begin(), p.init.end());
  for (std::size_t i = 0; i < target32.size(); ++i) target32[i] = static_cast<float>(p.target[i] + kOffset);
  CHECK(throws_naming([&] {
          gio::select<float>({pool32.data(), p.n_pool, p.d}, {target32.data(), p.n_target, p.d},
                             {init32.data(), p.n_init, p.d}, o);
        },
        "target is float32"));
  // An offset float32 can resolve is fine.
  for (std::size_t i = 0; i < target32.size(); ++i) target32[i] = static_cast<float>(p.target[i] + 100.0);
  CHECK(gio::select<float>({pool32.data(), p.n_pool, p.d}, {target32.data(), p.n_target, p.d},
                           {init32.data(), p.n_init, p.d}, o).selected.size() == 5);
}

// Reference semantics measure in the data's own units, as grad-info-opt: the start KL is the
// absolute estimate, which at scale 1e-6 is not the one in the target's units.
void reference_semantics_keep_the_absolute_clip() {
  const Problem p;
  const auto pool = affine(p.pool, 1e-6, 0), target = affine(p.target, 1e-6, 0), init = affine(p.init, 1e-6, 0);
  gio::Options o;
  o.reference_semantics = true;
  o.stop.max_picks = 5;
  o.descent.scale_auto = false;  // the reference's |v0| / |grad(v0)|: every gradient term is clipped here
  const gio::Result r = gio::select<double>({pool.data(), p.n_pool, p.d}, {target.data(), p.n_target, p.d},
                                            {init.data(), p.n_init, p.d}, o);
  const View x(target.data(), p.n_target, p.d), w(init.data(), p.n_init, p.d);
  const double absolute = gio::relaxed_kl<double>(x, w, o.objective.k, o.objective.eps, false, 1, gio::Units::Absolute);
  CHECK_NEAR(r.kl_start, absolute, 1e-12);
  CHECK(std::fabs(gio::relaxed_kl<double>(x, w, o.objective.k, o.objective.eps, false, 1, gio::Units::Target) -
                  absolute) > 0.1);
}

}  // namespace

int main() {
  estimates_are_invariant();
  target_units_are_the_formula_in_the_frame();
  for (std::size_t rows : {500, 60}) {
    picks_are_invariant<double>(rows);
    picks_are_invariant<float>(rows);
  }
  unrepresentable_inputs_are_refused();
  reference_semantics_keep_the_absolute_clip();
  return check::report("test_frame");
}
