#include <stdexcept>

#include "kernel_dispatch.hpp"
#include "kernels.hpp"
#include "simd_vectors.hpp"

namespace gio::kernels {
namespace {

GIO_INLINE void dots_colmajor_body(const double* xt, std::size_t n, std::size_t d, const double* w,
                                   double* out) {
  for (std::size_t i = 0; i < n; ++i) out[i] = 0;
  for (std::size_t k = 0; k < d; ++k) {
    const double wk = w[k];
    const double* col = xt + k * n;
#pragma omp simd
    for (std::size_t i = 0; i < n; ++i) out[i] += col[i] * wk;
  }
}

constexpr std::size_t kRows = 4;

// Register tile: kRows rows x 8 columns (two vectors), the k loop inside.
GIO_INLINE void dots_rows_body(const double* x, const double* xt, std::size_t n, std::size_t d,
                               std::size_t i0, std::size_t rows, double* out) {
  std::size_t j = 0;
#if GIO_HAVE_VECTORS
  if (rows == kRows) {
    for (; j + 8 <= n; j += 8) {
      v4d a[kRows][2] = {};
      for (std::size_t k = 0; k < d; ++k) {
        const v4d c0 = load_vec<v4d>(xt + k * n + j), c1 = load_vec<v4d>(xt + k * n + j + 4);
#pragma GCC unroll 4
        for (std::size_t r = 0; r < kRows; ++r) {
          const double xr = x[(i0 + r) * d + k];
          a[r][0] += c0 * xr;
          a[r][1] += c1 * xr;
        }
      }
#pragma GCC unroll 4
      for (std::size_t r = 0; r < kRows; ++r) {
        store_vec(out + r * n + j, a[r][0]);
        store_vec(out + r * n + j + 4, a[r][1]);
      }
    }
  }
#endif
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t jj = j; jj < n; ++jj) {
      double t = 0;
      for (std::size_t k = 0; k < d; ++k) t += x[(i0 + r) * d + k] * xt[k * n + jj];
      out[r * n + jj] = t;
    }
}

void dots_colmajor_generic(const double* xt, std::size_t n, std::size_t d, const double* w, double* out) {
  dots_colmajor_body(xt, n, d, w, out);
}
void dots_rows_generic(const double* x, const double* xt, std::size_t n, std::size_t d, std::size_t i0,
                       std::size_t rows, double* out) {
  dots_rows_body(x, xt, n, d, i0, rows, out);
}
#if GIO_HAVE_AVX2_CLONE
GIO_AVX2 void dots_colmajor_avx2(const double* xt, std::size_t n, std::size_t d, const double* w, double* out) {
  dots_colmajor_body(xt, n, d, w, out);
}
GIO_AVX2 void dots_rows_avx2(const double* x, const double* xt, std::size_t n, std::size_t d, std::size_t i0,
                             std::size_t rows, double* out) {
  dots_rows_body(x, xt, n, d, i0, rows, out);
}
#endif

}  // namespace

void dots_colmajor(const double* xt, std::size_t n, std::size_t d, const double* w, double* out) {
  GIO_DISPATCH(dots_colmajor, xt, n, d, w, out);
}
void dots_rows_colmajor(const double* x, const double* xt, std::size_t n, std::size_t d, std::size_t i0,
                        std::size_t rows, double* out) {
  if (rows > kRows) throw std::invalid_argument("dots_rows_colmajor: at most 4 rows");
  GIO_DISPATCH(dots_rows, x, xt, n, d, i0, rows, out);
}

}  // namespace gio::kernels
