#include <limits>

#include "kernel_dispatch.hpp"
#include "kernels.hpp"

namespace gio::kernels {
namespace {

// kScaled: rows are read as row * c, c the row's factor (1 / |row| under cosine); else as they are.
template <bool kScaled, class T>
GIO_INLINE double row_sq_dist(const T* row, const double* v, std::size_t d, double c = 1.0) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (std::size_t j = 0; j < d; ++j) {
    const double t = (kScaled ? static_cast<double>(row[j]) * c : static_cast<double>(row[j])) - v[j];
    s += t * t;
  }
  return s;
}

// Squared distances of the available rows in [r0, r1) to v, handed to offer(s, row) in row
// order. Four rows at a time: four independent sums hide the add latency and share loads of v.
// kScaled: row i is scaled by scale[i - r0] first (a difference kernel: no cancellation).
template <bool kScaled, class T, class Offer>
GIO_INLINE void scan_rows(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                          const double* v, const double* scale, Offer&& offer) {
  auto c = [&](std::size_t i) { return kScaled ? scale[i - r0] : 1.0; };
  std::size_t i = r0;
  for (; i + 4 <= r1; i += 4) {
    if (taken[i] | taken[i + 1] | taken[i + 2] | taken[i + 3]) {
      for (std::size_t r = i; r < i + 4; ++r)
        if (!taken[r]) offer(row_sq_dist<kScaled>(a + r * d, v, d, c(r)), r);
      continue;
    }
    const T *a0 = a + i * d, *a1 = a0 + d, *a2 = a1 + d, *a3 = a2 + d;
    const double c0 = c(i), c1 = c(i + 1), c2 = c(i + 2), c3 = c(i + 3);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (std::size_t j = 0; j < d; ++j) {
      const double vj = v[j];
      const double t0 = (kScaled ? static_cast<double>(a0[j]) * c0 : static_cast<double>(a0[j])) - vj;
      const double t1 = (kScaled ? static_cast<double>(a1[j]) * c1 : static_cast<double>(a1[j])) - vj;
      const double t2 = (kScaled ? static_cast<double>(a2[j]) * c2 : static_cast<double>(a2[j])) - vj;
      const double t3 = (kScaled ? static_cast<double>(a3[j]) * c3 : static_cast<double>(a3[j])) - vj;
      s0 += t0 * t0;
      s1 += t1 * t1;
      s2 += t2 * t2;
      s3 += t3 * t3;
    }
    offer(s0, i);
    offer(s1, i + 1);
    offer(s2, i + 2);
    offer(s3, i + 3);
  }
  for (; i < r1; ++i)
    if (!taken[i]) offer(row_sq_dist<kScaled>(a + i * d, v, d, c(i)), i);
}

template <bool kScaled, class T>
GIO_INLINE void nearest_body(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                             const double* v, const double* scale, double* best, std::int64_t* best_row) {
  double b = *best;
  std::int64_t br = *best_row;
  scan_rows<kScaled>(a, d, r0, r1, taken, v, scale, [&](double s, std::size_t i) {
    const auto row = static_cast<std::int64_t>(i);
    if (br < 0 || s < b || (s == b && row < br)) { b = s; br = row; }
  });
  *best = b;
  *best_row = br;
}

template <bool kScaled, class T>
GIO_INLINE void sq_dists_body(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                              const double* v, const double* scale, double* out) {
  for (std::size_t i = r0; i < r1; ++i) out[i - r0] = std::numeric_limits<double>::infinity();
  scan_rows<kScaled>(a, d, r0, r1, taken, v, scale, [&](double s, std::size_t i) { out[i - r0] = s; });
}

// One template per kernel and build; the Euclidean case (no scale) keeps its own instantiation.
template <class T>
void nearest_generic(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* t,
                     const double* v, double* b, std::int64_t* br, const double* sc) {
  if (sc) nearest_body<true>(a, d, r0, r1, t, v, sc, b, br);
  else nearest_body<false>(a, d, r0, r1, t, v, sc, b, br);
}
template <class T>
double sq_diff_generic(const T* a, const double* v, std::size_t d, const double* sc) {
  return sc ? row_sq_dist<true>(a, v, d, *sc) : row_sq_dist<false>(a, v, d);
}
template <class T>
void sq_dists_generic(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* t,
                      const double* v, double* o, const double* sc) {
  if (sc) sq_dists_body<true>(a, d, r0, r1, t, v, sc, o);
  else sq_dists_body<false>(a, d, r0, r1, t, v, sc, o);
}
#if GIO_HAVE_AVX2_CLONE
template <class T>
GIO_AVX2 double sq_diff_avx2(const T* a, const double* v, std::size_t d, const double* sc) {
  return sc ? row_sq_dist<true>(a, v, d, *sc) : row_sq_dist<false>(a, v, d);
}
template <class T>
GIO_AVX2 void sq_dists_avx2(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* t,
                            const double* v, double* o, const double* sc) {
  if (sc) sq_dists_body<true>(a, d, r0, r1, t, v, sc, o);
  else sq_dists_body<false>(a, d, r0, r1, t, v, sc, o);
}
template <class T>
GIO_AVX2 void nearest_avx2(const T* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* t,
                           const double* v, double* b, std::int64_t* br, const double* sc) {
  if (sc) nearest_body<true>(a, d, r0, r1, t, v, sc, b, br);
  else nearest_body<false>(a, d, r0, r1, t, v, sc, b, br);
}
#endif

}  // namespace

void nearest_rows(const float* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                  const double* v, double* best, std::int64_t* best_row, const double* row_scale) {
  GIO_DISPATCH(nearest, a, d, r0, r1, taken, v, best, best_row, row_scale);
}
void nearest_rows(const double* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                  const double* v, double* best, std::int64_t* best_row, const double* row_scale) {
  GIO_DISPATCH(nearest, a, d, r0, r1, taken, v, best, best_row, row_scale);
}

double sq_diff_f(const float* a, const double* b, std::size_t d, const double* row_scale) {
  GIO_DISPATCH(sq_diff, a, b, d, row_scale);
}
double sq_diff_d(const double* a, const double* b, std::size_t d, const double* row_scale) {
  GIO_DISPATCH(sq_diff, a, b, d, row_scale);
}

void sq_dists_rows(const float* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                   const double* v, double* out, const double* row_scale) {
  GIO_DISPATCH(sq_dists, a, d, r0, r1, taken, v, out, row_scale);
}
void sq_dists_rows(const double* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                   const double* v, double* out, const double* row_scale) {
  GIO_DISPATCH(sq_dists, a, d, r0, r1, taken, v, out, row_scale);
}

}  // namespace gio::kernels
