#include "gio/target_stats.hpp"

#include <algorithm>
#include <limits>
#include <cmath>
#include <stdexcept>
#include <string>

#include "gio/constants.hpp"
#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace gio {

template <class T>
TargetStats::TargetStats(MatrixView<T> x, int k, int n_threads, const InterruptCheck* interrupted, Units units,
                         Metric metric, bool with_rho)
    : n_(x.rows), d_(x.cols), k_(k) {
  if (k < 1) throw std::invalid_argument("k must be >= 1, got " + std::to_string(k));
  if (n_ <= static_cast<std::size_t>(k))
    throw std::invalid_argument("target has " + std::to_string(n_) + " rows; k=" +
                                std::to_string(k) + " needs more than k rows");
  if (d_ == 0) throw std::invalid_argument("target has 0 columns");

  if (metric == Metric::Cosine) {
    if (d_ < 2) throw std::invalid_argument("metric='cosine' needs at least 2 columns (1 column: every row is +1 or -1)");
    require_nonzero_rows(x, "target");
  }
  frame_ = Frame(x, units, metric);
  x_.resize(n_ * d_);
  for (std::size_t i = 0; i < n_; ++i) frame_.map(x.row(i), d_, x_.data() + i * d_);
  sq_norms_.resize(n_);
  mean_.assign(d_, 0.0);
  for (std::size_t i = 0; i < n_; ++i) {
    sq_norms_[i] = kernels::dot(row(i), row(i), d_);
    for (std::size_t j = 0; j < d_; ++j) mean_[j] += row(i)[j];
  }
  for (double& v : mean_) v /= static_cast<double>(n_);
  x32_.assign(x_.begin(), x_.end());
  xt32_.resize(n_ * d_);
  for (std::size_t i = 0; i < n_; ++i)
    for (std::size_t j = 0; j < d_; ++j) xt32_[j * n_ + i] = x32_[i * d_ + j];
  sq_norms32_.resize(n_);
  for (std::size_t i = 0; i < n_; ++i) {
    float s = 0;
    for (std::size_t j = 0; j < d_; ++j) s += x32_[i * d_ + j] * x32_[i * d_ + j];
    sq_norms32_[i] = s;
  }
  double ss = 0;
  for (std::size_t i = 0; i < n_; ++i)
    for (std::size_t j = 0; j < d_; ++j) ss += (row(i)[j] - mean_[j]) * (row(i)[j] - mean_[j]);
  spread_ = std::sqrt(ss / static_cast<double>(n_));

  xt_.resize(n_ * d_);
  for (std::size_t i = 0; i < n_; ++i)
    for (std::size_t j = 0; j < d_; ++j) xt_[j * n_ + i] = x_[i * d_ + j];

  if (!with_rho) return;
  // rho_k(i): k-th smallest clipped distance to the other rows, four rows per pass over X.
  rho_.resize(n_);
  const int nt = detail::resolve_threads(n_threads);
  const std::size_t kk = static_cast<std::size_t>(k), rows_per_task = 4;
  const std::size_t tasks = (n_ + rows_per_task - 1) / rows_per_task;
  detail::FirstError err;
  detail::Stopper stopper(interrupted);
#pragma omp parallel num_threads(nt)
  {
    std::vector<double> dots, buf;
    err.run([&] {
      dots.resize(rows_per_task * n_);
      buf.resize(kk);
    });
#pragma omp for schedule(dynamic, 4)
    for (std::ptrdiff_t task = 0; task < static_cast<std::ptrdiff_t>(tasks); ++task) {
      if (buf.size() != kk || stopper.stop()) continue;
      const std::size_t i0 = static_cast<std::size_t>(task) * rows_per_task;
      const std::size_t rows = std::min(rows_per_task, n_ - i0);
      kernels::dots_rows_colmajor(x_.data(), xt_.data(), n_, d_, i0, rows, dots.data());
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t i = i0 + r;
        double* row_s = dots.data() + r * n_;
#pragma omp simd
        for (std::size_t j = 0; j < n_; ++j) row_s[j] = clipped_sq_dist(sq_norms_[i], sq_norms_[j], row_s[j]);
        row_s[i] = std::numeric_limits<double>::infinity();  // not its own neighbour
        // max-heap of the k smallest so far; most candidates fail the first comparison
        std::copy(row_s, row_s + kk, buf.begin());
        std::make_heap(buf.begin(), buf.end());
        for (std::size_t j = kk; j < n_; ++j) {
          if (!(row_s[j] < buf[0])) continue;
          std::pop_heap(buf.begin(), buf.end());
          buf[kk - 1] = row_s[j];
          std::push_heap(buf.begin(), buf.end());
        }
        rho_[i] = std::sqrt(buf[0]);  // max-heap of the k smallest: its top is the k-th
      }
    }
  }
  err.rethrow();
  stopper.throw_if_stopped();
}

void TargetStats::clipped_sq_dists_to(const double* w, double* out) const {
  kernels::dots_colmajor(xt_.data(), n_, d_, w, out);  // across rows: no horizontal sums
  const double w_sq = kernels::dot(w, w, d_);
  for (std::size_t i = 0; i < n_; ++i) out[i] = clipped_sq_dist(sq_norms_[i], w_sq, out[i]);
}

template TargetStats::TargetStats(MatrixView<float>, int, int, const InterruptCheck*, Units, Metric, bool);
template TargetStats::TargetStats(MatrixView<double>, int, int, const InterruptCheck*, Units, Metric, bool);

}  // namespace gio
