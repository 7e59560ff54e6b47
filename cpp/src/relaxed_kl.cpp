#include "gio/relaxed_kl.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/kernels.hpp"
#include "parallel.hpp"

namespace gio {
namespace {
constexpr std::size_t kBlockRows = 64;  // rows per reduction block (fixed: results don't vary with threads)
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// sum_i log(sqrt(sq[i]) + eps) with one log per 16 terms: clipped squared distances lie in
// [1e-10, 1e20], so a product of 16 factors stays within [1e-80, 1e160]. The products add a
// relative rounding of ~1e-15 per 16 terms, far below what the estimate can resolve.
double sum_log_dist(const double* sq, std::size_t n, double eps) {
  double total = 0;
  if (eps > 1.0) {  // the bound above assumes a small eps
    for (std::size_t i = 0; i < n; ++i) total += std::log(std::sqrt(sq[i]) + eps);
    return total;
  }
  for (std::size_t i0 = 0; i0 < n; i0 += 16) {
    const std::size_t i1 = std::min(n, i0 + 16);
    double p = 1;
    for (std::size_t i = i0; i < i1; ++i) p *= std::sqrt(sq[i]) + eps;
    total += std::log(p);
  }
  return total;
}
}  // namespace

RelaxedKL::RelaxedKL(const TargetStats& target, bool discard_nearest_for_xy, double eps)
    : t_(target), discard_(discard_nearest_for_xy), eps_(eps) {
  if (!(eps >= 0)) throw std::invalid_argument("eps must be >= 0, got " + std::to_string(eps));
  if (!t_.has_rho()) throw std::logic_error("RelaxedKL needs the target's rho_k (TargetStats built without it)");
  double s = 0;
  for (double r : t_.rho()) s += std::log(r + eps_);
  rho_term_ = t_.dimension() * s / static_cast<double>(t_.n());
  if (discard_) {
    min_sq_.assign(t_.n(), std::numeric_limits<double>::infinity());
    cand_min_sq_.resize(t_.n());
  }
  cand_sq_.resize(t_.n());
}

double RelaxedKL::kl_from(double sum_log, double sum_log_min, std::size_t m) const {
  const double n = static_cast<double>(t_.n()), d = t_.dimension();
  const std::size_t terms_per_target = discard_ ? m - 1 : m;
  if (m == 0 || terms_per_target == 0) return kNaN;
  const double mean_log = (sum_log - sum_log_min) / (n * static_cast<double>(terms_per_target));
  // (1/m) sum_{l=1..m} log(k m / (l (n-1))) = log(k m / (n-1)) - log(m!)/m
  const double md = static_cast<double>(m);
  const double constant = std::log(t_.k() * md / (n - 1.0)) - std::lgamma(md + 1.0) / md;
  return d * mean_log - rho_term_ + constant;
}

double RelaxedKL::kl() const {
  double sum_log_min = 0;
  if (discard_ && m_ > 0)
    sum_log_min = sum_log_dist(min_sq_.data(), min_sq_.size(), eps_);
  return kl_from(sum_log_, sum_log_min, m_);
}

double RelaxedKL::evaluate(const double* w) {
  const std::size_t n = t_.n();
  t_.clipped_sq_dists_to(w, cand_sq_.data());
  const double sum_new = sum_log_dist(cand_sq_.data(), n, eps_);
  double sum_log_min = 0;
  if (discard_) {
    for (std::size_t i = 0; i < n; ++i) cand_min_sq_[i] = std::min(min_sq_[i], cand_sq_[i]);
    sum_log_min = sum_log_dist(cand_min_sq_.data(), n, eps_);
  }
  cand_sum_log_ = sum_new;
  return kl_from(sum_log_ + sum_new, sum_log_min, m_ + 1);
}

void RelaxedKL::commit() {
  sum_log_ += cand_sum_log_;
  if (discard_)
    for (std::size_t i = 0; i < t_.n(); ++i) min_sq_[i] = std::min(min_sq_[i], cand_sq_[i]);
  ++m_;
}

double RelaxedKL::coef_for_added_point(std::size_t m_rows) const {
  // d/dv of d * mean(log(delta + eps)) over n * (terms per target) entries of W + {v}.
  const std::size_t terms = discard_ ? m_rows : m_rows + 1;
  if (terms == 0) throw std::invalid_argument("the gradient with discard_nearest_for_xy needs a non-empty W");
  return t_.dimension() / (static_cast<double>(t_.n()) * static_cast<double>(terms));
}

void RelaxedKL::accumulate(const double* v, double v_sq, std::size_t block, double* u, double* phi) const {
  const std::size_t r0 = block * kBlockRows, r1 = std::min(t_.n(), r0 + kBlockRows);
  for (std::size_t j = 0; j < t_.d(); ++j) u[j] = 0;
  *phi = 0;
  kernels::gradient_block(t_.data(), t_.sq_norms(), r0, r1, t_.d(), v, v_sq,
                          discard_ && m_ > 0 ? min_sq_.data() : nullptr, eps_, u, phi);
}

void RelaxedKL::gradient(const double* v, double* grad_out) const {
  const std::size_t d = t_.d(), blocks = (t_.n() + kBlockRows - 1) / kBlockRows;
  const double coef = coef_for_added_point(m_);
  const double v_sq = kernels::dot(v, v, d);
  std::vector<double> u(d, 0.0), ub(d);
  double phi = 0;
  for (std::size_t b = 0; b < blocks; ++b) {
    double pb;
    accumulate(v, v_sq, b, ub.data(), &pb);
    phi += pb;
    for (std::size_t j = 0; j < d; ++j) u[j] += ub[j];
  }
  // sum_i phi_i (v - x_i) = phi * v - u
  for (std::size_t j = 0; j < d; ++j) grad_out[j] = coef * (phi * v[j] - u[j]);
}

void RelaxedKL::descend(double* v, int steps, double step, int n_threads, std::size_t m_rows) const {
  if (steps <= 0) return;
  const std::size_t d = t_.d(), blocks = (t_.n() + kBlockRows - 1) / kBlockRows;
  const double coef = coef_for_added_point(m_rows);
  const double* min_sq = discard_ && m_ > 0 ? min_sq_.data() : nullptr;
  const float eps = static_cast<float>(eps_);
  // v lives in float32 during the descent, as in the reference. One (d+1)-vector of partial
  // sums per block, reduced in block order by one thread.
  std::vector<float> vf(v, v + d), partial(blocks * (d + 1));
  auto sq = [d](const float* a) {
    float s = 0;
    for (std::size_t j = 0; j < d; ++j) s += a[j] * a[j];
    return s;
  };
  float v_sq = sq(vf.data());
  int nt = detail::resolve_threads(n_threads);
  // Two barriers per step: below kParallelStepWork one thread is faster, and on a busy machine
  // a barrier can cost a whole scheduler time slice.
  if (t_.n() * d < kParallelStepWork) nt = 1;
#pragma omp parallel num_threads(nt) if (nt > 1)
  for (int s = 0; s < steps; ++s) {
#pragma omp for schedule(static)
    for (std::ptrdiff_t b = 0; b < static_cast<std::ptrdiff_t>(blocks); ++b) {
      float* p = partial.data() + static_cast<std::size_t>(b) * (d + 1);
      std::fill(p, p + d + 1, 0.0f);
      const std::size_t r0 = static_cast<std::size_t>(b) * kBlockRows, r1 = std::min(t_.n(), r0 + kBlockRows);
      kernels::gradient_block_f32(t_.data_f32(), t_.data_f32_colmajor(), t_.n(), t_.sq_norms_f32(), r0, r1, d,
                                  vf.data(), v_sq, min_sq, eps, p + 1, p);
    }
#pragma omp single
    {
      double phi = 0;
      for (std::size_t b = 0; b < blocks; ++b) phi += partial[b * (d + 1)];
      for (std::size_t j = 0; j < d; ++j) {
        double u = 0;
        for (std::size_t b = 0; b < blocks; ++b) u += partial[b * (d + 1) + 1 + j];
        vf[j] = static_cast<float>(vf[j] - step * coef * (phi * vf[j] - u));
      }
      v_sq = sq(vf.data());
    }
  }
  std::copy(vf.begin(), vf.end(), v);
}

void RelaxedKL::descend_batch(double* vs, int steps, double step, const std::size_t* m_rows) const {
  constexpr int B = kernels::kBatch;
  if (discard_) throw std::logic_error("descend_batch: the descent depends on W with discard_nearest_for_xy");
  const std::size_t n = t_.n(), d = t_.d();
  std::vector<float> vf(vs, vs + B * d), u(B * d);
  float v_sq[B], phi[B];
  double coef[B];
  auto refresh_norms = [&] {
    for (int b = 0; b < B; ++b) {
      float q = 0;
      for (std::size_t j = 0; j < d; ++j) q += vf[b * d + j] * vf[b * d + j];
      v_sq[b] = q;
    }
  };
  for (int b = 0; b < B; ++b) coef[b] = coef_for_added_point(m_rows[b]);
  refresh_norms();
  const float eps = static_cast<float>(eps_);
  // Same block partition and reduction order as descend(), so each descent's result is the same.
  std::vector<double> uacc(B * d);
  for (int s = 0; s < steps; ++s) {
    std::fill(uacc.begin(), uacc.end(), 0.0);
    double phi_acc[B] = {};
    for (std::size_t r0 = 0; r0 < n; r0 += kBlockRows) {
      std::fill(u.begin(), u.end(), 0.0f);
      std::fill(phi, phi + B, 0.0f);
      kernels::gradient_block_f32_batch(t_.data_f32(), t_.data_f32_colmajor(), n, t_.sq_norms_f32(), r0,
                                        std::min(n, r0 + kBlockRows), d, vf.data(), v_sq, eps, u.data(), phi);
      for (int b = 0; b < B; ++b) phi_acc[b] += phi[b];
      for (std::size_t k = 0; k < B * d; ++k) uacc[k] += u[k];
    }
    for (int b = 0; b < B; ++b)
      for (std::size_t j = 0; j < d; ++j) {
        float& vj = vf[b * d + j];
        vj = static_cast<float>(vj - step * coef[b] * (phi_acc[b] * vj - uacc[b * d + j]));
      }
    refresh_norms();
  }
  std::copy(vf.begin(), vf.end(), vs);
}

double RelaxedKL::gradient_bound(const double* v) const {
  std::vector<double> s(t_.n());
  t_.clipped_sq_dists_to(v, s.data());
  double b = 0;
  for (double si : s) b += 1.0 / (std::sqrt(si) + eps_);
  return coef_for_added_point(m_) * b;
}

namespace {
template <class T>
RelaxedKL with_rows(const TargetStats& ts, MatrixView<T> w, bool discard, double eps) {
  if (w.cols != ts.d())
    throw std::invalid_argument("W has " + std::to_string(w.cols) + " columns, target has " +
                                std::to_string(ts.d()));
  require_representable(w, "W");
  if (ts.frame().cosine()) require_nonzero_rows(w, "W");
  RelaxedKL est(ts, discard, eps);
  std::vector<double> row(w.cols);
  for (std::size_t i = 0; i < w.rows; ++i) {
    ts.frame().map(w.row(i), w.cols, row.data());
    est.add(row.data());
  }
  return est;
}

template <class T>
TargetStats checked_target(MatrixView<T> x, int k, int n_threads, Units units, Metric metric = Metric::Euclidean) {
  require_representable(x, "X");
  return TargetStats(x, k, n_threads, nullptr, units, metric);
}
}  // namespace

template <class T>
double relaxed_kl(MatrixView<T> x, MatrixView<T> w, int k, double eps, bool discard, int n_threads, Units units,
                  Metric metric) {
  const TargetStats ts = checked_target(x, k, n_threads, units, metric);
  return with_rows(ts, w, discard, eps).kl();
}

template <class T>
std::vector<double> relaxed_kl_gradient(MatrixView<T> x, MatrixView<T> w, const double* v, int k,
                                        double eps, bool discard, int n_threads, Units units) {
  const TargetStats ts = checked_target(x, k, n_threads, units);
  RelaxedKL est = with_rows(ts, w, discard, eps);
  std::vector<double> z(x.cols), g(x.cols);
  ts.frame().map(v, x.cols, z.data());
  est.gradient(z.data(), g.data());
  // d/dv = d/dz / scale, z = (v - centre) / scale (1 when absolute)
  for (double& gj : g) gj /= ts.frame().scale();
  return g;
}

template double relaxed_kl(MatrixView<float>, MatrixView<float>, int, double, bool, int, Units, Metric);
template double relaxed_kl(MatrixView<double>, MatrixView<double>, int, double, bool, int, Units, Metric);
template std::vector<double> relaxed_kl_gradient(MatrixView<float>, MatrixView<float>, const double*, int, double, bool, int,
                                                 Units);
template std::vector<double> relaxed_kl_gradient(MatrixView<double>, MatrixView<double>, const double*, int, double, bool,
                                                 int, Units);

}  // namespace gio
