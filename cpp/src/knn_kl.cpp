#include "gio/knn_kl.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels.hpp"

namespace gio {
namespace {
constexpr double kInf = std::numeric_limits<double>::infinity();
}

KnnKL::KnnKL(const TargetStats& target)
    : t_(target), k_(static_cast<std::size_t>(target.k())), nearest_(target.n() * k_, kInf), cand_(target.n()) {
  for (double r : t_.rho()) sum_log_rho_ += std::log(r);
}

void KnnKL::distances(const double* w) {
  t_.clipped_sq_dists_to(w, cand_.data());
  for (double& x : cand_) x = std::sqrt(x);
}

double KnnKL::kl() const {
  if (m_ < k_) return std::numeric_limits<double>::quiet_NaN();
  const std::size_t n = t_.n();
  double sum_log_nu = 0;
  for (std::size_t i = 0; i < n; ++i) sum_log_nu += std::log(nearest_[i * k_ + k_ - 1]);
  const double nd = static_cast<double>(n);
  return static_cast<double>(t_.d()) / nd * (sum_log_nu - sum_log_rho_) +
         std::log(static_cast<double>(m_) / (nd - 1.0));
}

double KnnKL::delta(const double* w) {
  distances(w);
  if (m_ < k_) return std::numeric_limits<double>::quiet_NaN();
  // Only targets whose k-th distance w undercuts change: nu_k <- max(nu_{k-1}, delta).
  double change = 0;
  for (std::size_t i = 0; i < t_.n(); ++i) {
    const double* nb = nearest_.data() + i * k_;
    const double nu_k = nb[k_ - 1];
    if (cand_[i] < nu_k) change += std::log(std::max(k_ > 1 ? nb[k_ - 2] : 0.0, cand_[i]) / nu_k);
  }
  const double m = static_cast<double>(m_);
  return static_cast<double>(t_.d()) / static_cast<double>(t_.n()) * change + std::log((m + 1.0) / m);
}

void KnnKL::commit() {
  for (std::size_t i = 0; i < t_.n(); ++i) {
    double* nb = nearest_.data() + i * k_;
    double x = cand_[i];
    if (!(x < nb[k_ - 1])) continue;
    std::size_t j = k_ - 1;  // insertion into the sorted k smallest
    while (j > 0 && nb[j - 1] > x) {
      nb[j] = nb[j - 1];
      --j;
    }
    nb[j] = x;
  }
  ++m_;
}

template <class T>
double knn_kl(MatrixView<T> x, MatrixView<T> w, int k, int n_threads) {
  if (w.cols != x.cols)
    throw std::invalid_argument("W has " + std::to_string(w.cols) + " columns, X has " + std::to_string(x.cols));
  if (w.rows < static_cast<std::size_t>(k))
    throw std::invalid_argument("W has " + std::to_string(w.rows) + " rows; the k-NN estimate needs at least k=" +
                                std::to_string(k));
  TargetStats ts(x, k, n_threads);
  KnnKL est(ts);
  std::vector<double> row(w.cols);
  for (std::size_t r = 0; r < w.rows; ++r) {
    for (std::size_t j = 0; j < w.cols; ++j) row[j] = static_cast<double>(w.row(r)[j]);
    est.add(row.data());
  }
  return est.kl();
}

template double knn_kl(MatrixView<float>, MatrixView<float>, int, int);
template double knn_kl(MatrixView<double>, MatrixView<double>, int, int);

}  // namespace gio
