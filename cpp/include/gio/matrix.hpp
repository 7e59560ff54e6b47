// Plain C++ views and checks shared by the whole core. No Python headers anywhere under cpp/.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

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

}  // namespace gio
