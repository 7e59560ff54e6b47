// Plain C++ views and checks shared by the whole core. No Python headers anywhere under cpp/.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace gio {

// A read-only, row-major, C-contiguous matrix owned by the caller.
template <class T>
struct MatrixView {
  const T* data = nullptr;
  std::size_t rows = 0;
  std::size_t cols = 0;

  MatrixView() = default;
  MatrixView(const T* d, std::size_t r, std::size_t c) : data(d), rows(r), cols(c) {}
  const T* row(std::size_t i) const { return data + i * cols; }
  bool empty() const { return rows == 0; }
};

// Throws std::invalid_argument naming the matrix and the first non-finite entry.
template <class T>
void require_finite(const MatrixView<T>& m, const char* name) {
  const std::size_t n = m.rows * m.cols;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(static_cast<double>(m.data[i]))) {
      throw std::invalid_argument(std::string(name) + " contains NaN or inf (first at row " +
                                  std::to_string(i / m.cols) + ", column " +
                                  std::to_string(i % m.cols) + ")");
    }
  }
}

// The largest magnitude the core takes: a squared distance between two such values, summed over
// up to 10^7 columns, stays below float64's 1.8e308 ((2e150)^2 * 1e7 = 4e307).
constexpr double kMaxMagnitude = 1e150;

// require_finite, and no value beyond kMaxMagnitude (float32 values never are): larger ones
// would give inf - inf = NaN in the distances. The message names the matrix and says what to do.
template <class T>
void require_representable(const MatrixView<T>& m, const char* name) {
  if constexpr (!std::is_same_v<T, double>) {
    require_finite(m, name);
  } else {
    const std::size_t n = m.rows * m.cols;
    for (std::size_t i = 0; i < n; ++i) {
      if (std::fabs(m.data[i]) <= kMaxMagnitude) continue;  // one pass, one comparison: NaN fails it too
      if (!std::isfinite(m.data[i])) require_finite(m, name);
      char value[32];
      std::snprintf(value, sizeof value, "%.3g", m.data[i]);
      throw std::invalid_argument(std::string(name) + " has the value " + value + " (row " +
                                  std::to_string(i / m.cols) + ", column " + std::to_string(i % m.cols) +
                                  "): squared distances of values beyond 1e150 overflow float64; divide pool, "
                                  "target and init by one factor (GIO's selection does not depend on the scale)");
    }
  }
}

}  // namespace gio
