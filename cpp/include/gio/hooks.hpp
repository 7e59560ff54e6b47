// What a caller can do while a run is under way: watch it, stop it, interrupt it.
#pragma once
#include <functional>
#include <utility>

#include "gio/interrupt.hpp"
#include "gio/result.hpp"

namespace gio {

// Optional hooks, all called on the calling thread between units of work.
struct Hooks {
  InterruptCheck interrupted;                        // true: abort with InterruptedRun
  std::function<bool(const Result&)> on_step;        // after each iteration; true: stop ("callback")
};

// An interrupted run, with its state at the last iteration boundary (resumable). An interrupt
// during set-up (target statistics, the HNSW build, the greedy's first scores), before the first
// iteration, throws plain gio::Interrupted: there is no state to resume yet.
struct InterruptedRun : Interrupted {
  explicit InterruptedRun(Result s) : state(std::move(s)) {}
  Result state;
};

}  // namespace gio
