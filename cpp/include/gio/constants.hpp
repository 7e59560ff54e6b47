#pragma once

namespace gio {
// Squared distances are clipped to [kClipLow, kClipHigh] before the square root, exactly as
// grad-info-opt does; inside the clip the gradient is zero (DESIGN.md §2a).
constexpr double kClipLow = 1e-10;
constexpr double kClipHigh = 1e20;
// Default epsilon inside log(distance + eps).
constexpr double kDefaultEps = 1e-8;
}  // namespace gio
