// The check of a state to resume: a checkpoint file may be damaged or tampered with, so it is
// refused before it indexes anything when no run on this pool and target could have reached it.
#include "gio/result.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gio {

void check_resumable(const Result& r, std::size_t pool_rows, std::size_t target_rows) {
  // Each message names the field (as LoopState/Result, and a checkpoint file, call it).
  auto refuse = [](const std::string& what) {
    throw std::invalid_argument("the resumed state is not one a run on this pool and target can reach: " + what);
  };
  auto str = [](auto x) { return std::to_string(x); };
  const LoopState& st = r.loop;
  const std::size_t picks = r.selected.size();
  const std::pair<const char*, std::int64_t> counters[] = {{"n_iter", r.n_iter}, {"n_resets", r.n_resets},
      {"i", st.i}, {"total", st.total}, {"increases", st.increases}, {"run_of_increases", st.run_of_increases}};
  for (const auto& [name, value] : counters)
    if (value < 0) refuse(std::string(name) + " is " + str(value) + ", a counter below 0");
  if (static_cast<std::uint64_t>(r.n_iter) < picks)
    refuse("n_iter=" + str(r.n_iter) + " is fewer iterations than the " + str(picks) + " picks in selected");
  if (r.kl_trace.size() != picks) refuse("kl_trace has " + str(r.kl_trace.size()) + " values for the " + str(picks) + " picks in selected");
  if (static_cast<std::size_t>(st.run_of_increases) > picks)
    refuse("run_of_increases=" + str(st.run_of_increases) + " is more than the " + str(picks) + " picks in selected");
  // Every iteration keeps a pick, resets the pool or ends the run (sequential_increase_tolerance
  // then drops the trailing run of increases). A larger n_iter would make the resumed run draw, and
  // keep, that many jump rows first: hours and gigabytes for a tampered number.
  const std::uint64_t iterations = picks + static_cast<std::uint64_t>(r.n_resets) + st.run_of_increases + 1;
  if (static_cast<std::uint64_t>(r.n_iter) > iterations)
    refuse("n_iter=" + str(r.n_iter) + " is more iterations than the " + str(picks) + " picks in selected, n_resets=" +
           str(r.n_resets) + " and run_of_increases=" + str(st.run_of_increases) + " account for (at most " +
           str(iterations) + ")");
  if (st.reset_marks.size() != static_cast<std::size_t>(r.n_resets))
    refuse("reset_marks has " + str(st.reset_marks.size()) + " entries for n_resets=" + str(r.n_resets));
  for (std::size_t m = 0; m < st.reset_marks.size(); ++m)
    if (st.reset_marks[m] < 0 || static_cast<std::size_t>(st.reset_marks[m]) > picks ||
        (m > 0 && st.reset_marks[m] < st.reset_marks[m - 1]))
      refuse("reset_marks is not an increasing list of pick counts in [0, " + str(picks) + "] (selected)");
  std::vector<std::uint8_t> taken(pool_rows, 0);
  std::size_t mark = 0;
  for (std::size_t j = 0; j < picks; ++j) {
    while (mark < st.reset_marks.size() && static_cast<std::size_t>(st.reset_marks[mark]) == j) {
      std::fill(taken.begin(), taken.end(), 0);  // a reset made every row available again
      ++mark;
    }
    const std::int64_t row = r.selected[j];
    if (row < 0 || row >= static_cast<std::int64_t>(pool_rows))
      refuse("selected[" + str(j) + "] is row " + str(row) + ", outside the pool's " + str(pool_rows) + " rows");
    if (taken[static_cast<std::size_t>(row)]++)
      refuse("selected[" + str(j) + "] picks row " + str(row) + " again without a reset between (reset_marks)");
  }
  for (std::size_t j = 0; j < st.jump_rows.size(); ++j)
    if (st.jump_rows[j] >= target_rows)
      refuse("jump_rows[" + str(j) + "] is row " + str(st.jump_rows[j]) + ", outside the target's " + str(target_rows) + " rows");
  // Each jump row and each random restart takes one draw (rarely more: rejection sampling).
  if (st.rng_draws > 2 * (st.jump_rows.size() + static_cast<std::uint64_t>(r.n_iter)) + 1024)
    refuse("rng_draws=" + str(st.rng_draws) + " is more random draws than n_iter=" + str(r.n_iter) + " iterations and " +
           str(st.jump_rows.size()) + " jump_rows take");
  const std::pair<const char*, double> numbers[] = {{"kl_start", r.kl_start}, {"kl_prev", st.kl_prev},
                                                    {"scale_factor", r.scale_factor}};
  for (const auto& [name, value] : numbers)
    if (!std::isfinite(value)) refuse(std::string(name) + " is not finite");
  if (r.scale_factor < 0) refuse("scale_factor is " + str(r.scale_factor) + ", below 0");
  for (const auto* values : {&r.kl_trace, &st.v})
    for (std::size_t j = 0; j < values->size(); ++j)
      if (!std::isfinite((*values)[j]))
        refuse(std::string(values == &st.v ? "v[" : "kl_trace[") + str(j) + "] is not finite");
}

}  // namespace gio
