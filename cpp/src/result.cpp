// The check of a state to resume: a checkpoint file may be damaged or tampered with, so it is
// refused before it indexes anything when no run on this pool and target could have reached it.
#include "gio/result.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace gio {

void check_resumable(const Result& r, std::size_t pool_rows, std::size_t target_rows) {
  auto refuse = [](const std::string& what) {
    throw std::invalid_argument("the resumed state is not one a run on this pool and target can reach: " + what);
  };
  const LoopState& st = r.loop;
  const std::size_t picks = r.selected.size();
  if (r.n_iter < 0 || r.n_resets < 0 || st.i < 0 || st.total < 0 || st.increases < 0 || st.run_of_increases < 0)
    refuse("a counter is negative");
  if (static_cast<std::uint64_t>(r.n_iter) < picks) refuse("fewer iterations than picks");
  if (r.kl_trace.size() != picks) refuse(std::to_string(r.kl_trace.size()) + " KL values for " + std::to_string(picks) + " picks");
  if (static_cast<std::size_t>(st.run_of_increases) > picks) refuse("more increases in a row than picks");
  if (st.reset_marks.size() != static_cast<std::size_t>(r.n_resets)) refuse("reset marks do not match n_resets");
  std::vector<std::uint8_t> taken(pool_rows, 0);
  std::size_t mark = 0;
  for (std::size_t j = 0; j < picks; ++j) {
    while (mark < st.reset_marks.size() && static_cast<std::size_t>(st.reset_marks[mark]) == j) {
      std::fill(taken.begin(), taken.end(), 0);  // a reset made every row available again
      ++mark;
    }
    const std::int64_t row = r.selected[j];
    if (row < 0 || row >= static_cast<std::int64_t>(pool_rows))
      refuse("it selects row " + std::to_string(row) + ", outside the pool's " + std::to_string(pool_rows) + " rows");
    if (taken[static_cast<std::size_t>(row)]++) refuse("row " + std::to_string(row) + " is picked twice without a reset");
  }
  for (std::size_t m = 0; m < st.reset_marks.size(); ++m)
    if (st.reset_marks[m] < 0 || static_cast<std::size_t>(st.reset_marks[m]) > picks ||
        (m > 0 && st.reset_marks[m] < st.reset_marks[m - 1]))
      refuse("the reset marks are not an increasing list of pick counts");
  for (std::uint64_t row : st.jump_rows)
    if (row >= target_rows) refuse("a jump row is outside the target's " + std::to_string(target_rows) + " rows");
  // Each jump row and each random restart takes one draw (rarely more: rejection sampling).
  if (st.rng_draws > 2 * (st.jump_rows.size() + static_cast<std::uint64_t>(r.n_iter)) + 1024)
    refuse(std::to_string(st.rng_draws) + " random draws for " + std::to_string(r.n_iter) + " iterations");
  if (!std::isfinite(r.kl_start) || !std::isfinite(st.kl_prev) ||
      !std::all_of(r.kl_trace.begin(), r.kl_trace.end(), [](double x) { return std::isfinite(x); }) ||
      !std::all_of(st.v.begin(), st.v.end(), [](double x) { return std::isfinite(x); }))
    refuse("a KL value or v is not finite");
}

}  // namespace gio
