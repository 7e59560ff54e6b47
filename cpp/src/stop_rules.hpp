// The native stopping rules (selector.hpp), shared by every search mode: whether a pick fires
// the stop criterion, how a fired criterion ends the run, and the budget of picks.
#pragma once
#include <cstdint>
#include <string>

#include "gio/options.hpp"
#include "gio/result.hpp"

namespace gio::detail {

// Does a pick that moves the KL from kl_prev to kl, after run_of_increases consecutive
// increases, fire the stop criterion? (min_kl and data_size end a run elsewhere: the first keeps
// the pick, the second is a budget.)
inline bool stop_rule_fires(const StopOptions& o, double kl, double kl_prev, int run_of_increases) {
  if (o.n_select >= 0) return false;
  const bool increase = kl > kl_prev;
  switch (o.criterion) {
    case StopCriterion::Increase:
    case StopCriterion::MaxResets: return increase;
    case StopCriterion::MinDifference: return kl_prev - kl < o.min_difference;
    case StopCriterion::SequentialIncreaseTolerance: return increase && run_of_increases + 1 >= o.max_sequential_increases;
    case StopCriterion::MinKL:
    case StopCriterion::DataSize:
    case StopCriterion::InDomain: return false;
  }
  return false;
}

// Does a kept pick with this KL end the run (the pick stays)?
inline bool kept_pick_ends_run(const StopOptions& o, double kl) {
  return o.n_select < 0 && o.criterion == StopCriterion::MinKL && kl < o.min_kl;
}

// Ends a run whose stop criterion fired: 'sequential_increase_tolerance' drops the trailing run
// of increases, so the selection ends at its lowest KL.
inline void end_on_stop_criterion(Result& res, const StopOptions& o) {
  if (o.criterion == StopCriterion::SequentialIncreaseTolerance) {
    const auto drop = static_cast<std::size_t>(res.loop.run_of_increases);
    res.selected.resize(res.selected.size() - drop);
    res.kl_trace.resize(res.kl_trace.size() - drop);
  }
  res.stop_reason = to_string(o.criterion);
}

// The native budget of picks (-1: none): n_select, else max_picks and the data_size cap.
inline std::int64_t pick_cap(const StopOptions& o, std::size_t pool_rows) {
  std::int64_t cap = -1;
  auto tighten = [&cap](std::int64_t c) { if (c >= 0 && (cap < 0 || c < cap)) cap = c; };
  if (o.n_select >= 0) {
    tighten(o.n_select);
  } else {
    tighten(o.max_picks);
    if (o.criterion == StopCriterion::DataSize)
      tighten(static_cast<std::int64_t>(o.max_data_size * static_cast<double>(pool_rows)));
  }
  return cap;
}

// stop_reason when the native budget ends a run.
inline std::string cap_reason(const StopOptions& o, std::int64_t cap) {
  if (o.n_select >= 0) return "n_select";
  return o.criterion == StopCriterion::DataSize && cap != o.max_picks ? "data_size" : "max_iter";
}

}  // namespace gio::detail
