#include "gio/selector.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

#include "gio/pool_index.hpp"
#include "gio/relaxed_kl.hpp"
#include "gio/rng.hpp"
#include "gio/target_stats.hpp"
#include "descents_ahead.hpp"
#include "kernels.hpp"
#include "parallel.hpp"

namespace gio {
namespace {

constexpr int kStepsPerInterruptCheck = 32;

template <class T>
void validate(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o) {
  if (pool.rows == 0) throw std::invalid_argument("pool is empty (0 rows)");
  if (target.rows == 0) throw std::invalid_argument("target is empty (0 rows)");
  if (pool.cols != target.cols)
    throw std::invalid_argument("pool has " + std::to_string(pool.cols) + " columns, target has " +
                                std::to_string(target.cols));
  if (init.cols != target.cols)
    throw std::invalid_argument("init has " + std::to_string(init.cols) + " columns, target has " +
                                std::to_string(target.cols));
  const std::size_t min_init = o.discard_nearest_for_xy ? 2 : 1;
  if (init.rows < min_init)
    throw std::invalid_argument("init has " + std::to_string(init.rows) + " rows; the estimator needs at least " +
                                std::to_string(min_init) + " start rows");
  if (o.grad_desc_iter < 0) throw std::invalid_argument("grad_desc_iter must be >= 0");
  if (!(o.lr >= 0) || !std::isfinite(o.lr)) throw std::invalid_argument("lr must be a finite number >= 0, got " + std::to_string(o.lr));
  if (!o.scale_auto && !std::isfinite(o.scale_factor)) throw std::invalid_argument("scale_factor must be finite");
  if (!(o.random_restart_prob >= 0 && o.random_restart_prob <= 1))
    throw std::invalid_argument("random_restart_prob must be in [0, 1], got " + std::to_string(o.random_restart_prob));
  if (o.max_resets < 0) throw std::invalid_argument("max_resets must be >= 0");
  if (o.n_candidates < 1) throw std::invalid_argument("n_candidates must be >= 1, got " + std::to_string(o.n_candidates));
  if (o.max_sequential_increases < 1 && !o.reference_semantics)
    throw std::invalid_argument("max_sequential_increases must be >= 1");
  if (!o.reference_semantics && o.n_select > static_cast<std::int64_t>(pool.rows) && !o.resets_allowed)
    throw std::invalid_argument("n_select=" + std::to_string(o.n_select) + " exceeds the pool's " +
                                std::to_string(pool.rows) + " rows; lower it or set resets_allowed");
  require_finite(pool, "pool");
  require_finite(target, "target");
  require_finite(init, "init");
}

double norm(const std::vector<double>& v) { return std::sqrt(kernels::dot(v.data(), v.data(), v.size())); }

}  // namespace

template <class T>
Result select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
              const Result* resume) {
  validate(pool, target, init, o);
  const std::size_t d = target.cols;
  const bool ref = o.reference_semantics;
  const int nt = detail::resolve_threads(o.n_threads);

  TargetStats ts(target, o.k, nt);
  RelaxedKL est(ts, o.discard_nearest_for_xy, o.eps);
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
  // v for iteration `it` (mean or jump); prev_opt keeps v, and restarts from the mean.
  auto restart_v = [&](std::size_t it) {
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
    if (o.scale_auto) {
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
  if (o.v_init != VInit::PrevOpt && !est.depends_on_w() && o.random_restart_prob == 0 &&
      ts.n() * d < RelaxedKL::kParallelStepWork)
    ahead = std::make_unique<detail::DescentsAhead>(est, starts, d, o.grad_desc_iter, o.lr * scale, nt);

  // Budget of picks for the native loop.
  std::int64_t cap = -1;
  auto tighten = [&cap](std::int64_t c) { if (c >= 0 && (cap < 0 || c < cap)) cap = c; };
  if (!ref) {
    if (o.n_select >= 0) tighten(o.n_select);
    else {
      tighten(o.max_picks);
      if (o.stop_criterion == StopCriterion::DataSize)
        tighten(static_cast<std::int64_t>(o.max_data_size * static_cast<double>(pool.rows)));
    }
  }
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

  for (;;) {
    mark_boundary();
    if (res.n_iter > 0 && hooks.on_step && hooks.on_step(res)) {
      res.stop_reason = "callback";
      break;
    }
    check_interrupt();
    if (!ref && cap >= 0 && static_cast<std::int64_t>(res.selected.size()) >= cap) {
      res.stop_reason = o.n_select >= 0 ? "n_select"
                        : (o.stop_criterion == StopCriterion::DataSize &&
                           cap != o.max_picks) ? "data_size" : "max_iter";
      break;
    }
    // Long descent on the first iteration and after a reset; otherwise a random restart with
    // probability random_restart_prob (drawn only then, as the reference does).
    bool long_descent = ref ? (st.i == 0 || res.just_reset) : (res.n_iter == 0 || res.just_reset);
    if (!long_descent && o.random_restart_prob > 0) long_descent = rng.uniform() < o.random_restart_prob;
    if (ahead && !long_descent) {
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
    const bool increase = kl > st.kl_prev;
    bool triggered = false;
    if (o.n_select < 0) {
      switch (o.stop_criterion) {
        case StopCriterion::Increase:
        case StopCriterion::MaxResets: triggered = increase; break;
        case StopCriterion::MinDifference: triggered = st.kl_prev - kl < o.min_difference; break;
        case StopCriterion::SequentialIncreaseTolerance:
          triggered = increase && st.run_of_increases + 1 >= o.max_sequential_increases; break;
        default: break;
      }
    }
    if (triggered) {
      const bool may_reset = (o.resets_allowed || o.stop_criterion == StopCriterion::MaxResets) &&
                             res.n_resets < o.max_resets;
      if (may_reset) {
        ++res.n_resets;
        refill();
        if (o.v_init == VInit::PrevOpt) v = ts.mean();
        res.just_reset = true;
        st.run_of_increases = 0;
        continue;
      }
      if (o.stop_criterion == StopCriterion::SequentialIncreaseTolerance) {
        res.selected.resize(res.selected.size() - static_cast<std::size_t>(st.run_of_increases));
        res.kl_trace.resize(res.kl_trace.size() - static_cast<std::size_t>(st.run_of_increases));
      }
      res.stop_reason = to_string(o.stop_criterion);
      break;
    }
    est.commit();
    res.selected.push_back(row);
    res.kl_trace.push_back(kl);
    st.kl_prev = kl;
    st.run_of_increases = increase ? st.run_of_increases + 1 : 0;
    res.just_reset = false;
    if (o.n_select < 0 && o.stop_criterion == StopCriterion::MinKL && kl < o.min_kl) {
      res.stop_reason = "min_kl";
      break;
    }
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

template Result select(MatrixView<float>, MatrixView<float>, MatrixView<float>, const Options&, const Hooks&,
                       const Result*);
template Result select(MatrixView<double>, MatrixView<double>, MatrixView<double>, const Options&, const Hooks&,
                       const Result*);

}  // namespace gio
