#include "gio/start.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

namespace gio {

std::vector<double> uniform_start(std::size_t size, std::size_t d, const std::vector<double>& low,
                                  const std::vector<double>& high, bool normalize, Rng& rng) {
  auto bound = [d](const std::vector<double>& b, const char* name) {
    if (b.size() != 1 && b.size() != d)
      throw std::invalid_argument(std::string("uniform start ") + name + " has " + std::to_string(b.size()) +
                                  " values; expected 1 or " + std::to_string(d));
  };
  bound(low, "low");
  bound(high, "high");
  std::vector<double> w(size * d);
  for (std::size_t i = 0; i < size; ++i) {
    double* row = w.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) {
      const double lo = low.size() == 1 ? low[0] : low[j], hi = high.size() == 1 ? high[0] : high[j];
      if (!(lo <= hi)) throw std::invalid_argument("uniform start needs low <= high in every column");
      row[j] = rng.uniform(lo, hi);
    }
    if (normalize) {
      double nrm = 0;
      for (std::size_t j = 0; j < d; ++j) nrm += row[j] * row[j];
      nrm = std::sqrt(nrm);
      if (nrm > 0)
        for (std::size_t j = 0; j < d; ++j) row[j] /= nrm;
    }
  }
  return w;
}

std::vector<std::int64_t> random_pool_rows(std::size_t n_pool, double fraction, Rng& rng) {
  if (!(fraction >= 0 && fraction <= 1))
    throw std::invalid_argument("random_init_pct must be in [0, 1], got " + std::to_string(fraction));
  const auto amount = static_cast<std::size_t>(fraction * static_cast<double>(n_pool));
  // Partial Fisher-Yates: the first `amount` entries are a uniform sample without replacement.
  std::vector<std::int64_t> rows(n_pool);
  std::iota(rows.begin(), rows.end(), 0);
  for (std::size_t i = 0; i < amount; ++i) std::swap(rows[i], rows[i + rng.below(n_pool - i)]);
  rows.resize(amount);
  return rows;
}

}  // namespace gio
