// The exact k-NN estimator of KL(X || W) (DESIGN.md §2b; Wang, Kulkarni & Verdu 2009):
//
//   KL^(X || W) = (d/n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))
//
// nu_k(i): distance from x_i to its k-th nearest point of W; rho_k(i): to its k-th nearest other
// target row. Distances are formed and clipped as everywhere else (>= 1e-5, so no log(0) when W
// and X share points). Every target keeps its k smallest distances to W, sorted, so adding a
// point costs O(n (d + k)) and the exact change of the estimate for a candidate O(n d).
#pragma once
#include <vector>

#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"

namespace gio {

class KnnKL {
 public:
  explicit KnnKL(const TargetStats& target);

  std::size_t m() const { return m_; }
  // KL^(X || W); NaN while W has fewer than k rows.
  double kl() const;
  // The exact change of KL^ when w (d values) is added; NaN unless W has at least k rows.
  // Remembers w's distances so that commit() adds it without recomputing them.
  double delta(const double* w);
  void commit();
  void add(const double* w) {
    distances(w);
    commit();
  }

 private:
  void distances(const double* w);

  const TargetStats& t_;
  std::size_t k_;
  std::size_t m_ = 0;
  std::vector<double> nearest_;  // n x k: each target's k smallest distances to W, ascending
  double sum_log_rho_ = 0;
  std::vector<double> cand_;     // the last candidate's distances to every target
};

// One-shot estimate (double precision throughout).
template <class T>
double knn_kl(MatrixView<T> x, MatrixView<T> w, int k, int n_threads);

}  // namespace gio
