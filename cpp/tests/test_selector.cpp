// gio::select on small problems: invariants of the result, determinism, budgets, bad input.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "check.hpp"
#include "gio/knn_kl.hpp"
#include "gio/pool_index.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"
#include "gio/target_stats.hpp"
#include "naive.hpp"

namespace {

using View = gio::MatrixView<float>;

struct Problem {
  std::size_t d = 8, n_pool = 600, n_target = 120, n_init = 4;
  std::vector<float> pool, target, init;
  explicit Problem(std::uint64_t seed) {
    gio::Rng rng(seed);
    pool = testdata::cast<float>(testdata::gaussian(n_pool, d, rng));
    target = testdata::cast<float>(testdata::gaussian(n_target, d, rng, 0.5, 0.7));
    init = testdata::cast<float>(gio::uniform_start(n_init, d, {-2.5}, {-1.0}, false, rng));
  }
  View p() const { return {pool.data(), n_pool, d}; }
  View t() const { return {target.data(), n_target, d}; }
  View i() const { return {init.data(), n_init, d}; }
};

void check_valid(const gio::Result& r, std::size_t n_pool, bool expect_unique) {
  CHECK(r.selected.size() == r.kl_trace.size());
  bool in_range = true;
  for (auto s : r.selected) in_range = in_range && s >= 0 && s < static_cast<std::int64_t>(n_pool);
  CHECK(in_range);
  const std::set<std::int64_t> uniq(r.selected.begin(), r.selected.end());
  if (expect_unique) {
    CHECK(uniq.size() == r.selected.size());
    CHECK(r.remaining.size() + r.n_iter == n_pool);  // every loop iteration took one row
    for (auto s : r.remaining) CHECK(!uniq.count(s));
  }
  CHECK(std::isfinite(r.kl_start));
  for (double kl : r.kl_trace) CHECK(std::isfinite(kl));
}

void strictly_decreasing(const gio::Result& r) {
  double prev = r.kl_start;
  bool ok = true;
  for (double kl : r.kl_trace) { ok = ok && kl < prev; prev = kl; }
  CHECK(ok);
}

void stop_increase(bool reference) {
  const Problem pr(1);
  gio::Options o;
  o.reference_semantics = reference;
  o.n_threads = 2;
  const gio::Result r = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  std::printf("%s: %zu picks, kl %.4f -> %.4f, stop '%s'\n", reference ? "reference" : "native",
              r.selected.size(), r.kl_start, r.kl_trace.empty() ? r.kl_start : r.kl_trace.back(),
              r.stop_reason.c_str());
  CHECK(r.selected.size() >= 10);
  CHECK(r.stop_reason == "increase");
  CHECK(r.n_resets == 0);
  CHECK(r.n_iter == static_cast<std::int64_t>(r.selected.size()) + 1);  // the rejected last pick
  check_valid(r, pr.n_pool, true);
  strictly_decreasing(r);
  CHECK(r.v.size() == pr.d);
  CHECK(std::isfinite(r.scale_factor) && r.scale_factor > 0);

  // The same run with HNSW projection is also valid.
  o.projection.mode = gio::Projection::Hnsw;
  const gio::Result h = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  CHECK(h.stats.hnsw_queries > 0);
  check_valid(h, pr.n_pool, true);
  strictly_decreasing(h);
}

void determinism() {
  const Problem pr(2);
  gio::Options o;
  o.descent.v_init = gio::VInit::Jump;
  o.descent.random_restart_prob = 0.5;
  o.seed = 1234;
  o.stop.n_select = 25;
  o.n_threads = 1;
  const gio::Result a = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  const gio::Result b = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  o.n_threads = 2;
  const gio::Result c = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  CHECK(a.selected.size() == 25);
  CHECK(a.selected == b.selected && a.kl_trace == b.kl_trace && a.v == b.v);
  CHECK(a.selected == c.selected && a.kl_trace == c.kl_trace);  // thread count does not matter
  o.seed = 4321;
  const gio::Result e = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  CHECK(e.selected != a.selected);  // Jump draws from the seed
  // Reference semantics with the same settings, stop 'increase': also reproducible.
  gio::Options r = o;
  r.stop.n_select = -1;
  r.reference_semantics = true;
  const gio::Result ra = gio::select<float>(pr.p(), pr.t(), pr.i(), r);
  const gio::Result rb = gio::select<float>(pr.p(), pr.t(), pr.i(), r);
  CHECK(ra.selected == rb.selected && ra.kl_trace == rb.kl_trace);
  check_valid(ra, pr.n_pool, true);
}

void budgets() {
  const Problem pr(3);
  gio::Options o;
  o.n_threads = 2;
  for (std::int64_t n : {1, 17, 80}) {
    o.stop.n_select = n;
    const gio::Result r = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
    CHECK(static_cast<std::int64_t>(r.selected.size()) == n);
    CHECK(r.stop_reason == "n_select");
    check_valid(r, pr.n_pool, true);
  }
  o.stop.n_select = -1;
  o.stop.criterion = gio::StopCriterion::MinKL;  // below -inf: never fires, so max_picks ends the run
  o.stop.min_kl = -std::numeric_limits<double>::infinity();
  o.stop.max_picks = 12;
  const gio::Result m = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
  CHECK(m.selected.size() == 12);
  check_valid(m, pr.n_pool, true);
  // With resets, n_select may exceed the pool: the pool is refilled, so rows repeat.
  const std::size_t small = 30;
  o = gio::Options{};
  o.stop.n_select = 45;
  o.stop.resets_allowed = true;
  const gio::Result rr = gio::select<float>(View(pr.pool.data(), small, pr.d), pr.t(), pr.i(), o);
  CHECK(rr.selected.size() == 45);
  CHECK(rr.n_resets == 1);
  check_valid(rr, small, false);
  // The same run in double precision.
  const std::vector<double> pd(pr.pool.begin(), pr.pool.end()), td(pr.target.begin(), pr.target.end()),
      id(pr.init.begin(), pr.init.end());
  o = gio::Options{};
  o.stop.n_select = 10;
  const gio::Result dr = gio::select<double>({pd.data(), pr.n_pool, pr.d}, {td.data(), pr.n_target, pr.d},
                                             {id.data(), pr.n_init, pr.d}, o);
  CHECK(dr.selected.size() == 10);
  check_valid(dr, pr.n_pool, true);
}

// Every name of an option enum parses to the value that prints as that name.
template <class E>
void enum_names_round_trip(std::size_t count) {
  const std::vector<std::string> names = gio::names<E>();
  CHECK(names.size() == count);
  for (const std::string& n : names) CHECK(gio::to_string(gio::parse<E>(n)) == n);
}

void bad_input() {
  Problem pr(4);
  const std::size_t d = pr.d;
  const gio::Options o;
  // Mismatched columns.
  CHECK_THROWS(gio::select<float>(View(pr.pool.data(), 300, d * 2), pr.t(), pr.i(), o), std::invalid_argument);
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), View(pr.init.data(), 2, d / 2), o), std::invalid_argument);
  // Empty pool, empty target, no start rows.
  CHECK_THROWS(gio::select<float>(View(pr.pool.data(), 0, d), pr.t(), pr.i(), o), std::invalid_argument);
  CHECK_THROWS(gio::select<float>(pr.p(), View(pr.target.data(), 0, d), pr.i(), o), std::invalid_argument);
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), View(pr.init.data(), 0, d), o), std::invalid_argument);
  // k >= target rows.
  CHECK_THROWS(gio::select<float>(pr.p(), View(pr.target.data(), 5, d), pr.i(), o), std::invalid_argument);
  gio::Options ok = o;
  ok.objective.k = static_cast<int>(pr.n_target);
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), ok), std::invalid_argument);
  ok.objective.k = 0;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), ok), std::invalid_argument);
  // Non-finite values.
  pr.pool[5 * d + 3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), o), std::invalid_argument);
  pr.pool[5 * d + 3] = 0;
  pr.target[7] = std::numeric_limits<float>::infinity();
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), o), std::invalid_argument);
  pr.target[7] = 0;
  pr.init[1] = -std::numeric_limits<float>::infinity();
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), o), std::invalid_argument);
  pr.init[1] = 0;
  // Bad options.
  gio::Options b = o;
  b.objective.discard_nearest_for_xy = true;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), View(pr.init.data(), 1, d), b), std::invalid_argument);
  b = o;
  b.stop.n_select = static_cast<std::int64_t>(pr.n_pool) + 1;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), b), std::invalid_argument);
  b = o;
  b.descent.lr = -0.1;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), b), std::invalid_argument);
  b = o;
  b.descent.random_restart_prob = 1.5;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), b), std::invalid_argument);
  b = o;
  b.search.kind = gio::Search::Greedy;
  b.search.n_candidates = 4;  // the greedy step already scores every row
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), b), std::invalid_argument);
  b.search.n_candidates = 1;
  b.search.batch_size = 2;
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), b), std::invalid_argument);
  CHECK_THROWS(gio::parse<gio::StopCriterion>("decrease"), std::invalid_argument);
  CHECK_THROWS(gio::parse<gio::VInit>("median"), std::invalid_argument);
  CHECK(gio::parse<gio::StopCriterion>("min_kl") == gio::StopCriterion::MinKL);
  CHECK(gio::to_string(gio::StopCriterion::SequentialIncreaseTolerance) == "sequential_increase_tolerance");
  enum_names_round_trip<gio::Objective>(2);
  enum_names_round_trip<gio::Search>(4);
  enum_names_round_trip<gio::StopCriterion>(7);
  enum_names_round_trip<gio::VInit>(4);
  enum_names_round_trip<gio::Projection>(3);
  // After all that, valid input still runs.
  b = o;
  b.stop.n_select = 3;
  CHECK(gio::select<float>(pr.p(), pr.t(), pr.i(), b).selected.size() == 3);
}

void interrupt() {
  const Problem pr(5);
  gio::Options o;
  o.stop.n_select = 50;
  int calls = 0;
  gio::Hooks hooks;
  hooks.interrupted = [&calls] { return ++calls > 3; };
  CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), o, hooks), gio::Interrupted);
  // An interrupt during set-up (here: the target statistics) is gio::Interrupted without a state.
  int setup_calls = 0;
  gio::Hooks at_once;
  at_once.interrupted = [&setup_calls] { return ++setup_calls >= 1; };
  try {
    gio::select<float>(pr.p(), pr.t(), pr.i(), o, at_once);
    CHECK(false);
  } catch (const gio::InterruptedRun&) {
    CHECK(false);
  } catch (const gio::Interrupted&) {
    CHECK(setup_calls == 1);
  }
}

// A set-up loop so short that the other thread may run all of it: the calling thread, the only
// one that may ask, still asks once after the loop, so the interrupt is never missed there.
void interrupt_in_short_setup() {
  const Problem pr(6);
  const gio::InterruptCheck always = [] { return true; };
  int missed = 0;
  for (int rep = 0; rep < 500; ++rep) {
    try {
      gio::TargetStats ts(View{pr.target.data(), 8, pr.d}, 3, 2, &always);
      ++missed;
    } catch (const gio::Interrupted&) {
    }
  }
  CHECK(missed == 0);
}

// A resumed state is input: each kind of damage is refused with invalid_argument naming the
// field, never a crash or a hang.
void tampered_states_are_refused(const Problem& pr, const gio::Options& o, const gio::Result& good) {
  using Damage = std::pair<const char*, std::function<void(gio::Result&)>>;
  const std::vector<Damage> damage = {
      {"selected[0]", [](gio::Result& r) { r.selected[0] = -5; }},
      {"selected[0]", [](gio::Result& r) { r.selected[0] = std::int64_t{1} << 40; }},
      {"selected[1]", [](gio::Result& r) { r.selected[1] = r.selected[0]; }},
      {"kl_trace", [](gio::Result& r) { r.kl_trace.pop_back(); }},
      {"n_iter", [](gio::Result& r) { r.n_iter = -1; }},
      {"n_iter", [](gio::Result& r) { r.n_iter = std::int64_t{1} << 40; }},  // would draw 2**40 jump rows first
      {"rng_draws", [](gio::Result& r) { r.loop.rng_draws = std::uint64_t{1} << 62; }},
      {"jump_rows", [](gio::Result& r) { r.loop.jump_rows.push_back(1u << 30); }},
      {"reset_marks", [](gio::Result& r) { r.loop.reset_marks.push_back(3); }},
      {"v[0]", [](gio::Result& r) { r.loop.v.assign(r.loop.v.size(), std::numeric_limits<double>::quiet_NaN()); }},
      {"v has", [](gio::Result& r) { r.loop.v.pop_back(); }},
      {"scale_factor", [](gio::Result& r) { r.scale_factor = std::numeric_limits<double>::infinity(); }},
      {"scale_factor", [](gio::Result& r) { r.scale_factor = -1; }},
      {"run_of_increases", [](gio::Result& r) { r.loop.run_of_increases = 1 << 30; }},
  };
  for (const auto& [field, d] : damage) {
    gio::Result bad = good;
    d(bad);
    CHECK_THROWS(gio::select<float>(pr.p(), pr.t(), pr.i(), o, {}, &bad), std::invalid_argument);
    try {
      gio::select<float>(pr.p(), pr.t(), pr.i(), o, {}, &bad);
    } catch (const std::invalid_argument& e) {
      if (std::string(e.what()).find(field) == std::string::npos) std::fprintf(stderr, "    %s: %s\n", field, e.what());
      CHECK(std::string(e.what()).find(field) != std::string::npos);
    }
  }
}

// A run stopped (by the step callback, or by an interrupt) and resumed from its state selects
// exactly what the uninterrupted run selects: every v_init, resets, random restarts, both semantics.
void resume() {
  const Problem pr(6);
  for (int variant = 0; variant < 8; ++variant) {
    gio::Options o;
    o.seed = 11;
    o.descent.v_init = variant % 3 == 0 ? gio::VInit::Mean : (variant % 3 == 1 ? gio::VInit::Jump : gio::VInit::PrevOpt);
    o.reference_semantics = variant >= 4;
    o.descent.random_restart_prob = variant == 2 || variant == 5 ? 0.3 : 0.0;
    o.stop.resets_allowed = variant == 3 || variant == 7;
    o.stop.max_picks = 60;
    // a min_kl of -inf never fires, so the other variants run to max_picks
    o.stop.criterion = variant == 3 || variant == 7 ? gio::StopCriterion::Increase : gio::StopCriterion::MinKL;
    o.stop.min_kl = -std::numeric_limits<double>::infinity();
    const gio::Result full = gio::select<float>(pr.p(), pr.t(), pr.i(), o);

    gio::Hooks stop_early;
    stop_early.on_step = [](const gio::Result& r) { return r.n_iter >= 17; };
    const gio::Result part = gio::select<float>(pr.p(), pr.t(), pr.i(), o, stop_early);
    CHECK(part.stop_reason == "callback");
    const gio::Result resumed = gio::select<float>(pr.p(), pr.t(), pr.i(), o, {}, &part);
    CHECK(resumed.selected == full.selected);
    CHECK(resumed.kl_trace == full.kl_trace);
    CHECK(resumed.stop_reason == full.stop_reason);
    tampered_states_are_refused(pr, o, part);

    bool armed = false;  // after 25 iterations (set-up phases poll the same check: count iterations)
    gio::Hooks interrupt_midway;
    interrupt_midway.on_step = [&armed](const gio::Result& r) {
      armed = r.n_iter >= 25;
      return false;
    };
    interrupt_midway.interrupted = [&armed] { return armed; };
    try {
      gio::select<float>(pr.p(), pr.t(), pr.i(), o, interrupt_midway);
      CHECK(false);
    } catch (const gio::InterruptedRun& e) {
      const gio::Result again = gio::select<float>(pr.p(), pr.t(), pr.i(), o, {}, &e.state);
      CHECK(again.selected == full.selected);
      CHECK(again.kl_trace == full.kl_trace);
    }
  }
}

// Result::selection_kl is gio::knn_kl of the target against the selected rows, for every search;
// NaN in reference semantics (compat computes nothing it does not report).
void selection_kl() {
  const Problem pr(5);
  for (gio::Search search : {gio::Search::Descent, gio::Search::Greedy, gio::Search::Nearest, gio::Search::Spread}) {
    gio::Options o;
    o.search.kind = search;
    o.stop.n_select = 30;
    o.seed = 3;
    const gio::Result r = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
    std::vector<float> rows;
    for (std::int64_t g : r.selected)
      rows.insert(rows.end(), pr.pool.begin() + g * static_cast<std::int64_t>(pr.d),
                  pr.pool.begin() + (g + 1) * static_cast<std::int64_t>(pr.d));
    const double expected = gio::knn_kl<float>(pr.t(), View(rows.data(), r.selected.size(), pr.d), o.objective.k, 1,
                                               nullptr, gio::Units::Target);
    CHECK(r.selection_kl == expected);
  }
  gio::Options ref;
  ref.reference_semantics = true;
  ref.stop.n_select = 10;
  CHECK(std::isnan(gio::select<float>(pr.p(), pr.t(), pr.i(), ref).selection_kl));
}

// select_descent with a caller's projection (here PoolIndex itself, built without the run's frame)
// is select(): the same picks, trace, stop and selection_kl, for both estimators and under cosine.
void caller_projection() {
  const Problem pr(6);
  for (int variant = 0; variant < 4; ++variant) {
    gio::Options o;
    o.seed = 9;
    o.projection.mode = gio::Projection::Exact;
    if (variant == 1) {
      o.objective.kind = gio::Objective::Knn;
      o.objective.k = 3;  // the problem's 4 start rows
      o.search.batch_size = 3;
      o.search.n_candidates = 2;
      o.stop.n_select = 40;
    }
    if (variant == 2) o.metric = gio::Metric::Cosine;
    if (variant == 3) {
      o.stop.n_select = 900;  // more than the pool: resets
      o.stop.resets_allowed = true;
    }
    const gio::Result a = gio::select<float>(pr.p(), pr.t(), pr.i(), o);
    gio::PoolIndex<float> index(pr.p(), o.projection, 1);
    const gio::Result b = gio::select_descent<float>(index, pr.t(), pr.i(), o);
    CHECK(a.selected == b.selected && a.kl_trace == b.kl_trace && a.stop_reason == b.stop_reason);
    CHECK(a.remaining == b.remaining && a.v == b.v && a.n_resets == b.n_resets);
    CHECK(a.selection_kl == b.selection_kl);
    CHECK(std::isfinite(a.selection_kl) && a.selected.size() >= 20);
  }
  gio::Options greedy;
  greedy.search.kind = gio::Search::Greedy;
  gio::PoolIndex<float> index(pr.p(), greedy.projection, 1);
  CHECK(check::throws_naming([&] { gio::select_descent<float>(index, pr.t(), pr.i(), greedy); },
                             "runs search='descent' only"));
}

}  // namespace

int main() {
  caller_projection();
  selection_kl();
  stop_increase(false);
  stop_increase(true);
  determinism();
  budgets();
  bad_input();
  interrupt();
  interrupt_in_short_setup();
  resume();
  return check::report("test_selector");
}
