// Test helpers: seeded Gaussian data and a direct, unoptimised transcription of the relaxed
// estimator of DESIGN.md §2a (full n x m distance matrix, double precision).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

#include "gio/rng.hpp"

namespace testdata {

// Row-major rows x cols matrix, entries mean + sd * N(0, 1) (Box-Muller on gio::Rng).
inline std::vector<double> gaussian(std::size_t rows, std::size_t cols, gio::Rng& rng, double mean = 0,
                                    double sd = 1) {
  std::vector<double> a(rows * cols);
  for (double& x : a) {
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    x = mean + sd * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  return a;
}

inline void copy_row(std::vector<double>& dst, std::size_t to, const std::vector<double>& src,
                     std::size_t from, std::size_t d) {
  std::copy(src.begin() + from * d, src.begin() + (from + 1) * d, dst.begin() + to * d);
}

template <class T>
std::vector<T> cast(const std::vector<double>& a) { return std::vector<T>(a.begin(), a.end()); }

// delta(a, b) = sqrt(clip(|a|^2 + |b|^2 - 2 a.b, 1e-10, 1e20)), as grad-info-opt forms it.
inline double delta(const double* a, const double* b, std::size_t d) {
  double aa = 0, bb = 0, ab = 0;
  for (std::size_t j = 0; j < d; ++j) { aa += a[j] * a[j]; bb += b[j] * b[j]; ab += a[j] * b[j]; }
  return std::sqrt(std::min(std::max(aa + bb - 2.0 * ab, 1e-10), 1e20));
}

// rho_k(i): k-th smallest delta from x_i to the other rows of X.
inline std::vector<double> naive_rho(const std::vector<double>& x, std::size_t n, std::size_t d, int k) {
  std::vector<double> rho(n), row;
  for (std::size_t i = 0; i < n; ++i) {
    row.clear();
    for (std::size_t j = 0; j < n; ++j)
      if (j != i) row.push_back(delta(&x[i * d], &x[j * d], d));
    std::sort(row.begin(), row.end());
    rho[i] = row[static_cast<std::size_t>(k) - 1];
  }
  return rho;
}

// KL~(X || W) =   (1/(n*T)) sum_i sum_{j kept} d*log(delta_ij + eps)  -  (1/n) sum_i d*log(rho_i + eps)
//               + (1/m) sum_{l=1..m} log(k*m / (l*(n-1)))
// T = m, or m-1 with discard (each target's smallest delta to W is dropped). NaN when T == 0.
inline double naive_relaxed_kl(const std::vector<double>& x, std::size_t n, const std::vector<double>& w,
                               std::size_t m, std::size_t d, int k, double eps, bool discard) {
  const std::size_t terms = discard ? m - 1 : m;
  if (m == 0 || terms == 0) return std::numeric_limits<double>::quiet_NaN();
  const double dd = static_cast<double>(d);
  std::vector<double> dist(n * m);  // the full n x m matrix
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < m; ++j) dist[i * m + j] = delta(&x[i * d], &w[j * d], d);
  double s = 0;
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t skip = m;  // index of the one dropped entry (the first minimum)
    if (discard) skip = static_cast<std::size_t>(std::min_element(&dist[i * m], &dist[i * m] + m) - &dist[i * m]);
    for (std::size_t j = 0; j < m; ++j)
      if (j != skip) s += dd * std::log(dist[i * m + j] + eps);
  }
  const double cross = s / (static_cast<double>(n) * static_cast<double>(terms));
  const std::vector<double> rho = naive_rho(x, n, d, k);
  double r = 0;
  for (double v : rho) r += dd * std::log(v + eps);
  r /= static_cast<double>(n);
  double c = 0;
  for (std::size_t l = 1; l <= m; ++l)
    c += std::log(k * static_cast<double>(m) / (static_cast<double>(l) * (static_cast<double>(n) - 1.0)));
  c /= static_cast<double>(m);
  return cross - r + c;
}

}  // namespace testdata
