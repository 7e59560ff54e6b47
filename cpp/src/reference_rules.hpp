// grad-info-opt 0.1.2's acceptance rules (Options::reference_semantics), literally: its
// max_iter check, _test_stop_criterion and the counters around it, quirks included (DESIGN.md
// §3). Frozen: compat.GIOKL's parity with the reference depends on every line. The native rules
// are in stop_rules.hpp.
#pragma once
#include <cstdint>

#include "gio/options.hpp"
#include "gio/result.hpp"

namespace gio::detail {

// The six criteria grad-info-opt 0.1.2 knows. A list, not a switch: the frozen reference does not
// grow when a native criterion is added (validate refuses those with reference semantics).
inline bool is_reference_criterion(StopCriterion c) {
  return c == StopCriterion::Increase || c == StopCriterion::MaxResets || c == StopCriterion::MinDifference ||
         c == StopCriterion::SequentialIncreaseTolerance || c == StopCriterion::MinKL || c == StopCriterion::DataSize;
}

// max_iter=T keeps T+1 points (stop.max_picks = T + 1): true once they are kept.
inline bool reference_budget_spent(const StopOptions& o, const LoopState& st) {
  return o.max_picks >= 0 && st.total > o.max_picks - 1;
}

struct ReferenceVerdict {
  bool stop;   // end the run (stop_reason: the criterion's name)
  bool reset;  // refill the pool (prev_opt: v restarts from the target mean)
  bool keep;   // keep the pick (reference_keep)
};

// The rule for a pick that gives KL kl; updates the reference's counters in st and n_resets.
inline ReferenceVerdict reference_verdict(const StopOptions& o, double kl, std::size_t pool_rows, int& n_resets,
                                          LoopState& st) {
  const StopCriterion c = o.criterion;
  bool stop = false;
  if (c == StopCriterion::Increase) stop = kl - st.kl_prev > 0;
  else if (c == StopCriterion::MaxResets) stop = kl - st.kl_prev > 0 && n_resets == o.max_resets;
  else if (c == StopCriterion::MinDifference) stop = st.kl_prev - kl < o.min_difference;
  else if (c == StopCriterion::SequentialIncreaseTolerance)
    stop = kl - st.kl_prev > 0 && st.increases == o.max_sequential_increases;
  else if (c == StopCriterion::MinKL) stop = kl < o.min_kl;
  else if (c == StopCriterion::DataSize)
    stop = st.i > static_cast<std::int64_t>(o.max_data_size * static_cast<double>(pool_rows));
  bool reset = false;
  if (stop) {
    if (st.just_reset) ++st.increases;
    if (o.resets_allowed && n_resets < o.max_resets) {
      ++n_resets;
      reset = true;
      --st.i;
      stop = false;
    }
    st.just_reset = true;
  } else {
    st.just_reset = false;
    st.increases = 0;
  }
  return {stop, reset, !stop && !st.just_reset};
}

// Records a pick the rule kept.
inline void reference_keep(Result& res, std::int64_t row, double kl) {
  res.selected.push_back(row);
  res.kl_trace.push_back(kl);
  res.loop.kl_prev = kl;
  ++res.loop.i;
  ++res.loop.total;
}

}  // namespace gio::detail
