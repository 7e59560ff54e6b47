#pragma once
#include <functional>
#include <stdexcept>

namespace gio {

// Called by long runs between units of work, always on the calling thread and never inside a
// parallel region. Returning true aborts the run with gio::Interrupted.
using InterruptCheck = std::function<bool()>;

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("gioselect run interrupted") {}
};

}  // namespace gio
