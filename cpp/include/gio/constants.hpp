#pragma once

namespace gio {
// Squared distances are clipped to [kClipLow, kClipHigh] before the square root, as grad-info-opt
// does; inside the clip the gradient is zero (DESIGN.md §2a). The bounds apply in the run's frame
// (frame.hpp): natively relative to the target's spread (1e-5 to 1e10 spreads), under reference
// semantics to the data's own units, as in grad-info-opt.
constexpr double kClipLow = 1e-10;
constexpr double kClipHigh = 1e20;
// Default epsilon inside log(distance + eps), in the same units.
constexpr double kDefaultEps = 1e-8;
}  // namespace gio
