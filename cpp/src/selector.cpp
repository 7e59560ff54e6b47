#include "gio/selector.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "gio/knn_kl.hpp"
#include "gio/pool_index.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/rng.hpp"
#include "gio/target_stats.hpp"
#include "descents_ahead.hpp"
#include "greedy.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "run_checks.hpp"

namespace gio {
namespace {

constexpr int kStepsPerInterruptCheck = 32;

double norm(const std::vector<double>& v) { return std::sqrt(kernels::dot(v.data(), v.data(), v.size())); }

template <class Est>
Est make_estimator(const TargetStats& ts, const Options& o) {
  if constexpr (std::is_same_v<Est, KnnKL>) return KnnKL(ts);
  else return RelaxedKL(ts, o.discard_nearest_for_xy, o.eps);
}

}  // namespace

namespace detail {

// The descent search (DESIGN.md §3) with either estimator.
template <class T, class Est>
Result descent_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume) {
  constexpr bool knn = std::is_same_v<Est, KnnKL>;
  const std::size_t d = target.cols;
  const bool ref = o.reference_semantics;
  const int nt = detail::resolve_threads(o.n_threads);

  TargetStats ts(target, o.k, nt);
  Est est = make_estimator<Est>(ts, o);
  std::vector<double> g(d);
  auto add_rows = [&](auto view, const std::int64_t* rows, std::size_t count) {
    for (std::size_t r = 0; r < count; ++r) {
      const auto* x = view.row(rows ? static_cast<std::size_t>(rows[r]) : r);
      std::copy(x, x + d, g.begin());
      est.add(g.data());
    }
  };
  add_rows(init, nullptr, init.rows);
  IndexOptions io = o.index;
  io.n_threads = nt;
  PoolIndex<T> index(pool, io);
  Rng rng(o.seed);

  Result res;
  if (resume) {
    res = *resume;
    if (!res.selected.empty() && *std::max_element(res.selected.begin(), res.selected.end()) >=
                                     static_cast<std::int64_t>(pool.rows))
      throw std::invalid_argument("the resumed state selects rows beyond this pool's " + std::to_string(pool.rows));
    if (res.loop.v.size() != d) throw std::invalid_argument("the resumed state is for another number of columns");
    res.stop_reason.clear();
    add_rows(pool, res.selected.data(), res.selected.size());  // the same sums, in the same order
    const std::size_t since = res.loop.reset_marks.empty() ? 0 : static_cast<std::size_t>(res.loop.reset_marks.back());
    for (std::size_t r = since; r < res.selected.size(); ++r) index.take(res.selected[r]);
    rng.skip_to(res.loop.rng_draws);
  }
  LoopState& st = res.loop;
  detail::DescentStarts starts(ts, o.v_init, rng, st.jump_rows);
  std::vector<double> v(d);
  // v for iteration `it` (mean or jump); prev_opt keeps v, and restarts from the mean. 'worst'
  // depends on W, so knn rounds choose their starts when they begin (fill_round).
  auto restart_v = [&](std::size_t it) {
    if (o.v_init == VInit::Worst) return;
    const double* x = starts(it);
    v.assign(x, x + d);
  };

  double scale = o.scale_factor;
  if (resume) {
    v = st.v;
    scale = res.scale_factor;
  } else {
    st.kl_prev = res.kl_start = est.kl();
    restart_v(0);
    // Step scale. The reference's 'auto' is |v0| / |grad(v0)|; natively we use the target's
    // spread instead of |v0| (invariant to where the origin is) and floor |grad(v0)| at 1e-3 of
    // its largest possible value, so a vanishing gradient at mean(X) cannot throw v out of the data.
    if constexpr (knn) {
      // knn steps are normalized (KnnKL::descend): 'auto' makes a step lr times the target's spread.
      if (o.scale_auto) scale = ts.spread() > 0 ? ts.spread() : 1.0;
    } else if (o.scale_auto) {
      est.gradient(v.data(), g.data());
      const double gn = norm(g);
      if (ref) {
        scale = norm(v) / gn;
      } else {
        const double denom = std::max(gn, 1e-3 * est.gradient_bound(v.data()));
        scale = (denom > 0 && ts.spread() > 0) ? ts.spread() / denom : 1.0;
      }
      if (!std::isfinite(scale))
        throw std::invalid_argument("the 'auto' scale factor is not finite (|v0| = " + std::to_string(norm(v)) +
                                    ", |grad| = " + std::to_string(gn) + "); pass a numeric scale_factor");
    }
    res.scale_factor = scale;
  }

  std::unique_ptr<detail::DescentsAhead> ahead;
  if constexpr (!knn) {
    if (o.v_init != VInit::PrevOpt && !est.depends_on_w() && o.random_restart_prob == 0 &&
        ts.n() * d < RelaxedKL::kParallelStepWork)
      ahead = std::make_unique<detail::DescentsAhead>(est, starts, d, o.grad_desc_iter, o.lr * scale, nt);
  }

  // Budget of picks for the native loop.
  const std::int64_t cap = ref ? -1 : native_pick_cap(o, pool.rows);
  auto score = [&](std::int64_t row) {
    std::copy(pool.row(static_cast<std::size_t>(row)), pool.row(static_cast<std::size_t>(row)) + d, g.begin());
    return est.evaluate(g.data());
  };
  // The pick for v: the nearest available row, or the best-scoring of the n_candidates nearest.
  auto project = [&]() -> std::int64_t {
    if (o.n_candidates <= 1) return index.nearest(v.data());
    std::int64_t best = -1;
    double best_kl = 0;
    for (std::int64_t r : index.nearest_k(v.data(), static_cast<std::size_t>(o.n_candidates))) {
      const double kl = score(r);
      if (best < 0 || kl < best_kl) { best = r; best_kl = kl; }
    }
    return best;
  };
  // The most picks the run can still accept (what is worth computing ahead).
  auto picks_left = [&]() -> std::size_t {
    std::int64_t left = std::numeric_limits<std::int64_t>::max();
    if (ref && o.max_picks >= 0) left = o.max_picks - st.total;
    if (!ref && cap >= 0) left = cap - static_cast<std::int64_t>(res.selected.size());
    return static_cast<std::size_t>(std::max<std::int64_t>(left, 1));
  };
  auto refill = [&] {
    index.refill();
    st.reset_marks.push_back(static_cast<std::int64_t>(res.selected.size()));
  };
  // The resumable state between iterations; an interrupt hands it out with the exception.
  std::size_t boundary_rows = 0;
  auto mark_boundary = [&] {
    st.rng_draws = rng.draws();
    boundary_rows = st.jump_rows.size();  // drawn into st.jump_rows by `starts`, never copied per pick
    st.v = v;
  };
  auto check_interrupt = [&] {
    if (hooks.interrupted && hooks.interrupted()) {
      Result snapshot = res;
      snapshot.loop.jump_rows.resize(boundary_rows);  // rows drawn since are drawn again on resume
      throw InterruptedRun(std::move(snapshot));
    }
  };

  // knn: a round's descent ends not yet projected. A round's batch_size descents start from the
  // batch_size worst-served targets (or the next jump rows) of the W the round begins with, and
  // run side by side; its picks are then scored one after the other against the W before them.
  std::deque<std::vector<double>> pending;
  auto fill_round = [&](bool long_descent) {
    const std::size_t b = std::min(static_cast<std::size_t>(o.batch_size), picks_left());
    std::vector<std::vector<double>> vs(b);
    std::vector<std::size_t> worst;
    if constexpr (knn) {
      if (o.v_init == VInit::Worst) worst = est.worst_targets(b);
    }
    for (std::size_t j = 0; j < b; ++j) {
      const double* x = o.v_init == VInit::Worst ? ts.row(worst[j % worst.size()])
                        : o.v_init == VInit::PrevOpt ? v.data()
                                                     : starts(static_cast<std::size_t>(res.n_iter) + j);
      vs[j].assign(x, x + d);
    }
    const int steps = o.grad_desc_iter * (long_descent ? 3 : 1);
    detail::FirstError err;
#pragma omp parallel for num_threads(std::max(1, std::min(nt, static_cast<int>(b)))) schedule(dynamic, 1)
    for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(b); ++j)
      err.run([&] {
        if constexpr (knn) est.descend(vs[static_cast<std::size_t>(j)].data(), steps, o.lr * scale);
      });
    err.rethrow();
    for (auto& x : vs) pending.push_back(std::move(x));
  };

  for (;;) {
    const bool round_start = pending.empty();  // always, except inside a knn batch
    if (round_start) {
      mark_boundary();
      if (res.n_iter > 0 && hooks.on_step && hooks.on_step(res)) {
        res.stop_reason = "callback";
        break;
      }
      check_interrupt();
    }
    if (!ref && cap >= 0 && static_cast<std::int64_t>(res.selected.size()) >= cap) {
      res.stop_reason = cap_reason(o, cap);
      break;
    }
    // Long descent on the first iteration and after a reset; otherwise a random restart with
    // probability random_restart_prob (drawn only then, as the reference does).
    bool long_descent = ref ? (st.i == 0 || res.just_reset) : (res.n_iter == 0 || res.just_reset);
    if (round_start && !long_descent && o.random_restart_prob > 0)
      long_descent = rng.uniform() < o.random_restart_prob;
    if constexpr (knn) {
      if (round_start) fill_round(long_descent);
      v = std::move(pending.front());
      pending.pop_front();
    } else if (ahead && !long_descent) {
      ahead->get(static_cast<std::size_t>(res.n_iter), est.m(), v.data(), picks_left());
    } else if (ahead && res.n_iter == 0) {
      ahead->long_descent_and_fill(0, est.m(), v.data(), 3 * o.grad_desc_iter);
    } else {
      for (int left = o.grad_desc_iter * (long_descent ? 3 : 1); left > 0; left -= kStepsPerInterruptCheck) {
        est.descend(v.data(), std::min(left, kStepsPerInterruptCheck), o.lr * scale, nt);
        check_interrupt();
      }
    }
    if (!std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); }))
      throw std::runtime_error("gradient descent diverged (v is not finite, scale_factor = " +
                               std::to_string(scale) + "); lower lr or scale_factor");

    std::int64_t row = project();
    if (row < 0 && !ref && o.resets_allowed && res.n_resets < o.max_resets) {
      refill();  // natively, an exhausted pool with resets left is a reset
      ++res.n_resets;
      row = project();
    }
    if (row < 0) {
      res.stop_reason = "pool exhausted";
      break;
    }
    index.take(row);
    const double kl = score(row);  // also leaves the row ready for est.commit()
    ++res.n_iter;

    if (ref) {
      if (o.max_picks >= 0 && st.total > o.max_picks - 1) {
        res.stop_reason = "max_iter";
        break;
      }
      if (o.v_init != VInit::PrevOpt) restart_v(static_cast<std::size_t>(res.n_iter));
      // grad-info-opt 0.1.2's _test_stop_criterion, literally.
      bool stop = false;
      switch (o.stop_criterion) {
        case StopCriterion::Increase: stop = kl - st.kl_prev > 0; break;
        case StopCriterion::MaxResets: stop = kl - st.kl_prev > 0 && res.n_resets == o.max_resets; break;
        case StopCriterion::MinDifference: stop = st.kl_prev - kl < o.min_difference; break;
        case StopCriterion::SequentialIncreaseTolerance:
          stop = kl - st.kl_prev > 0 && res.increases == o.max_sequential_increases; break;
        case StopCriterion::MinKL: stop = kl < o.min_kl; break;
        case StopCriterion::DataSize:
          stop = st.i > static_cast<std::int64_t>(o.max_data_size * static_cast<double>(pool.rows)); break;
        case StopCriterion::None: break;
      }
      if (stop) {
        if (res.just_reset) ++res.increases;
        if (o.resets_allowed && res.n_resets < o.max_resets) {
          ++res.n_resets;
          if (o.v_init == VInit::PrevOpt) v = ts.mean();
          refill();
          --st.i;
          stop = false;
        }
        res.just_reset = true;
      } else {
        res.just_reset = false;
        res.increases = 0;
      }
      if (stop) {
        res.stop_reason = to_string(o.stop_criterion);
        break;
      }
      if (!res.just_reset) {
        est.commit();
        res.selected.push_back(row);
        res.kl_trace.push_back(kl);
        st.kl_prev = kl;
        ++st.i;
        ++st.total;
      }
      continue;
    }

    // Native semantics (selector.hpp).
    if (o.v_init != VInit::PrevOpt) restart_v(static_cast<std::size_t>(res.n_iter));
    if (native_stop_triggered(o, kl, st.kl_prev, st.run_of_increases)) {
      const bool may_reset = (o.resets_allowed || o.stop_criterion == StopCriterion::MaxResets) &&
                             res.n_resets < o.max_resets;
      if (may_reset) {
        ++res.n_resets;
        refill();
        if (o.v_init == VInit::PrevOpt) v = ts.mean();
        res.just_reset = true;
        st.run_of_increases = 0;
        pending.clear();  // descended against the W before the reset
        continue;
      }
      end_on_stop_criterion(res, o);
      break;
    }
    est.commit();
    res.just_reset = false;
    if (keep_pick(res, o, row, kl)) break;
  }

  res.v = v;
  res.remaining.clear();
  for (std::size_t r = 0; r < pool.rows; ++r)
    if (index.is_available(static_cast<std::int64_t>(r))) res.remaining.push_back(static_cast<std::int64_t>(r));
  res.index_build_seconds = index.build_seconds();
  res.hnsw_queries = index.hnsw_queries();
  res.hnsw_searches = index.hnsw_searches();
  res.audit_agreements = index.audit_agreements();
  res.cache_hits = index.cache_hits();
  return res;
}

}  // namespace detail

template <class T>
Result select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
              const Result* resume) {
  detail::validate(pool, target, init, o);
  if (o.search == Search::Greedy) return detail::greedy_select(pool, target, init, o, hooks, resume);
  if (o.estimator == Estimator::Knn) return detail::descent_select<T, KnnKL>(pool, target, init, o, hooks, resume);
  return detail::descent_select<T, RelaxedKL>(pool, target, init, o, hooks, resume);
}

template Result select(MatrixView<float>, MatrixView<float>, MatrixView<float>, const Options&, const Hooks&,
                       const Result*);
template Result select(MatrixView<double>, MatrixView<double>, MatrixView<double>, const Options&, const Hooks&,
                       const Result*);

}  // namespace gio
