// The coordinates the core computes in (README "Scale and offset", docs/tuning.md).
//
// Natively, every pool, target and start row x is read as z = (x - mean) / spread, where mean is
// the target's mean and spread the RMS distance of its rows from that mean, both in float64. The
// mean is kept as a target row plus the mean difference from it, and x - mean is formed in that
// order, ((x - row) - difference): x - row is exact for every x near the target (Sterbenz), so
// X + offset maps to exactly what X maps to whenever X + offset holds X's bits.
// Distances are then measured in units of the target's spread, about its centre:
//  * the clip [kClipLow, kClipHigh] of squared distances and the eps of log(distance + eps) are
//    relative to the target, so X * s selects what X selects for every scale s (an absolute clip
//    floors every distance of data scaled by 1e-6 and caps every one of data scaled by 1e12);
//  * |z|^2 - 2 z.v + |v|^2 cancels only as much as the target's own extent, not the data's
//    distance from the origin, so X + offset selects what X selects (an offset of 1e8 leaves
//    float64 about 8 digits below the spread; float32 none, which the constructor refuses).
// Pool rows are mapped as the core reads them, row by row: the pool is never copied. Exact
// nearest-row searches compare raw rows with the query mapped back (a difference kernel, which
// does not cancel).
//
// Units::Absolute does not centre or scale (z = x): grad-info-opt's absolute clip and eps, kept
// for reference semantics and compat, whose parity depends on them.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gio/matrix.hpp"
#include "gio/options.hpp"

namespace gio {

enum class Units {
  Target,    // about the target's mean, in units of its spread (the native runs and estimators)
  Absolute,  // the data's own coordinates (reference semantics)
};

// Squared distances of float64 values are representable down to about 1e-300 (then they round
// to zero and every row ties); a target spread below this leaves no room for its neighbours.
constexpr double kMinSpread = 1e-140;

// Under Metric::Cosine each row x is first scaled to unit length, x / |x| (in float64, as it is
// read: a memory-mapped pool is never copied), and everything above happens on the sphere: the
// frame is that of the normalised target, and "raw" coordinates (unmap, the exact projection)
// are those of the normalised rows.
class Frame {
 public:
  Frame() = default;  // Units::Absolute, Metric::Euclidean: the identity

  // The frame of a target sample (finite values, at least one row; nonzero rows under cosine,
  // see require_nonzero_rows). Throws std::invalid_argument when the target's spread is too small
  // for float64, or when a float32 target lies so far from the origin that float32 has rounded
  // away its spread.
  template <class T>
  Frame(MatrixView<T> target, Units units, Metric metric = Metric::Euclidean) : cosine_(metric == Metric::Cosine) {
    if (units == Units::Absolute || target.rows == 0) return;
    const std::size_t n = target.rows, d = target.cols;
    std::vector<double> row(d);
    pivot_.resize(d);
    on_sphere(target.row(0), d, pivot_.data());
    centre_.assign(d, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      on_sphere(target.row(i), d, row.data());
      for (std::size_t j = 0; j < d; ++j) centre_[j] += row[j] - pivot_[j];
    }
    for (double& c : centre_) c /= static_cast<double>(n);
    double ss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      on_sphere(target.row(i), d, row.data());
      for (std::size_t j = 0; j < d; ++j) {
        const double t = (row[j] - pivot_[j]) - centre_[j];
        ss += t * t;
      }
    }
    const double spread = std::sqrt(ss / static_cast<double>(n));
    if (spread > 0 && spread < kMinSpread)
      throw std::invalid_argument("target's spread is " + number(spread) + ": distances this small have squares "
                                  "that underflow float64; multiply pool, target and init by one factor (GIO's "
                                  "selection does not depend on the scale)");
    // Every target row the same: no length scale to measure in, so the frame only centres.
    scale_ = spread > 0 ? spread : 1.0;
    inv_scale_ = 1.0 / scale_;
    if constexpr (std::is_same_v<T, float>) require_float32_resolution(spread);
  }

  bool centred() const { return !centre_.empty(); }
  bool cosine() const { return cosine_; }
  bool identity() const { return !centred() && !cosine_; }
  // The target's spread (1 when absolute, or when the target has none).
  double scale() const { return scale_; }

  // z = (x - mean) / scale for the d values of a row (x / |x| first under cosine).
  template <class T>
  void map(const T* x, std::size_t d, double* z) const {
    if (cosine_) {
      on_sphere(x, d, z);
    } else {
      for (std::size_t j = 0; j < d; ++j) z[j] = static_cast<double>(x[j]);
    }
    if (centred())
      for (std::size_t j = 0; j < d; ++j) z[j] = ((z[j] - pivot_[j]) - centre_[j]) * inv_scale_;
  }
  // The same, rounded to float32 (for an index that stores float32), clamped to float32's range:
  // rows that far out are far from everything either way. buf: d doubles of scratch.
  template <class T>
  void map_f32(const T* x, std::size_t d, float* z, double* buf) const {
    constexpr double kMax = std::numeric_limits<float>::max();
    map(x, d, buf);
    for (std::size_t j = 0; j < d; ++j) z[j] = static_cast<float>(std::clamp(buf[j], -kMax, kMax));
  }
  // 1 / |x|: under cosine, row x is read as x * inverse_norm(x) (kernels that read raw rows take
  // it per row, computed once, so that they never need a normalised copy).
  template <class T>
  static double inverse_norm(const T* x, std::size_t d) {
    double ss = 0;
    for (std::size_t j = 0; j < d; ++j) ss += static_cast<double>(x[j]) * static_cast<double>(x[j]);
    return 1.0 / std::sqrt(ss);
  }

  // The inverse of map: x = z * scale + mean (on the sphere's coordinates under cosine).
  void unmap(const double* z, std::size_t d, double* x) const {
    if (!centred()) {
      for (std::size_t j = 0; j < d; ++j) x[j] = z[j];
      return;
    }
    for (std::size_t j = 0; j < d; ++j) x[j] = (z[j] * scale_ + centre_[j]) + pivot_[j];
  }

 private:
  static std::string number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", x);
    return buf;
  }

  // out = x / |x| under cosine, else x (as double).
  template <class T>
  void on_sphere(const T* x, std::size_t d, double* out) const {
    const double c = cosine_ ? inverse_norm(x, d) : 1.0;
    for (std::size_t j = 0; j < d; ++j) out[j] = cosine_ ? static_cast<double>(x[j]) * c : static_cast<double>(x[j]);
  }

  // float32 keeps 24 bits: at the target's distance from the origin it rounds coordinates to
  // steps of |centre| * 2^-23. Steps above 1% of the spread mean the rows (and the pool rows near
  // them, which lie as far out) were rounded before the core saw them: nothing can be selected
  // from what is left, so it is refused rather than answered at random.
  void require_float32_resolution(double spread) const {
    double far = 0;
    for (std::size_t j = 0; j < centre_.size(); ++j) far = std::max(far, std::fabs(pivot_[j] + centre_[j]));
    if (far == 0) return;
    const double step = std::ldexp(1.0, std::ilogb(far) - 23);
    if (step > 0.01 * spread)
      throw std::invalid_argument(
          "target is float32 and lies " + number(far) + " from the origin, where float32 rounds coordinates to "
          "steps of " + number(step) + ": more than 1% of its spread " + number(spread) + ", so its rows and the "
          "pool rows near them have lost what tells them apart; pass float64 data, or subtract a common centre "
          "(e.g. the target's mean) in float64 before converting to float32");
  }

  bool cosine_ = false;
  std::vector<double> pivot_, centre_;  // the mean is pivot_ + centre_; empty: absolute
  double scale_ = 1.0, inv_scale_ = 1.0;
};

// Under cosine every row is scaled to unit length: throws std::invalid_argument naming the
// matrix and its first row that is zero (or so small that its squared norm underflows float64).
template <class T>
void require_nonzero_rows(const MatrixView<T>& m, const char* name) {
  for (std::size_t i = 0; i < m.rows; ++i) {
    double ss = 0;
    for (std::size_t j = 0; j < m.cols; ++j) ss += static_cast<double>(m.row(i)[j]) * static_cast<double>(m.row(i)[j]);
    if (!(ss >= std::numeric_limits<double>::min()))
      throw std::invalid_argument(std::string(name) + " row " + std::to_string(i) +
                                  " is zero: metric='cosine' scales every row to unit length; drop that row or use "
                                  "metric='euclidean'");
  }
}

}  // namespace gio
