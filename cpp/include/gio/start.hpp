// Start sets W_0 for a run without user-given rows (DESIGN.md §3).
#pragma once
#include <cstdint>
#include <vector>

#include "gio/matrix.hpp"
#include "gio/rng.hpp"

namespace gio {

// `size` points uniform in [low_j, high_j] per column (low/high have 1 or d entries), each
// scaled to unit norm when normalize is set (rows of norm 0 stay as they are).
std::vector<double> uniform_start(std::size_t size, std::size_t d, const std::vector<double>& low,
                                  const std::vector<double>& high, bool normalize, Rng& rng);

// int(fraction * n_pool) distinct pool rows, drawn without replacement.
std::vector<std::int64_t> random_pool_rows(std::size_t n_pool, double fraction, Rng& rng);

}  // namespace gio
