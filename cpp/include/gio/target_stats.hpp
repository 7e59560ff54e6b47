// What the estimators need to know about the target sample X: the frame its distances are
// measured in (frame.hpp), a double copy in that frame, squared row norms and rho_k, the distance
// from each x_i to its k-th nearest neighbour in X \ {x_i}.
#pragma once
#include <vector>

#include "gio/constants.hpp"
#include "gio/frame.hpp"
#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"

namespace gio {

class TargetStats {
 public:
  // Exact k-NN inside the target (blocked, OpenMP over row blocks). Needs rows > k.
  // interrupted (optional): polled while rho_k is computed; true ends it with gio::Interrupted.
  // units: Target puts everything below in the target's frame; Absolute keeps x as it is.
  // metric: Cosine scales every row to unit length first (rows must be nonzero).
  // with_rho = false skips rho_k (the n^2 d pass): the frame, the rows and their norms alone, for
  // distances to W's rows without an estimate (knn_kl_events on each chunk of a Dask pool).
  template <class T>
  TargetStats(MatrixView<T> x, int k, int n_threads, const InterruptCheck* interrupted = nullptr,
              Units units = Units::Absolute, Metric metric = Metric::Euclidean, bool with_rho = true);

  // How pool and start rows (and query points) enter the coordinates of everything below.
  const Frame& frame() const { return frame_; }
  std::size_t n() const { return n_; }
  std::size_t d() const { return d_; }
  // The dimension in the estimates' d log(nu / rho) terms: d, or d - 1 under cosine, where the
  // rows lie on the unit sphere, a (d - 1)-dimensional surface (the k-NN distance ratios of a
  // density on it scale with d - 1, not d).
  double dimension() const { return static_cast<double>(frame_.cosine() ? d_ - 1 : d_); }
  int k() const { return k_; }
  const double* row(std::size_t i) const { return x_.data() + i * d_; }
  const double* data() const { return x_.data(); }
  const double* sq_norms() const { return sq_norms_.data(); }
  // float32 copies for the descent (see kernels::gradient_block_f32).
  const float* data_f32() const { return x32_.data(); }
  const float* data_f32_colmajor() const { return xt32_.data(); }
  const float* sq_norms_f32() const { return sq_norms32_.data(); }
  const std::vector<double>& rho() const { return rho_; }
  bool has_rho() const { return rho_.size() == n_; }
  const std::vector<double>& mean() const { return mean_; }
  // out[i] = clipped squared distance from w (d values) to every target row.
  void clipped_sq_dists_to(const double* w, double* out) const;
  // RMS distance of the rows from their mean: the target's length scale.
  double spread() const { return spread_; }

 private:
  Frame frame_;
  std::size_t n_ = 0, d_ = 0;
  int k_ = 0;
  std::vector<double> x_, xt_, sq_norms_, rho_, mean_;
  std::vector<float> x32_, xt32_, sq_norms32_;
  double spread_ = 0;
};

// Clipped squared distance exactly as grad-info-opt forms it: |a|^2 + |b|^2 - 2 a.b.
inline double clipped_sq_dist(double sq_norm_a, double sq_norm_b, double dot) {
  const double s = sq_norm_a + sq_norm_b - 2.0 * dot;
  return s < kClipLow ? kClipLow : (s > kClipHigh ? kClipHigh : s);
}

}  // namespace gio
