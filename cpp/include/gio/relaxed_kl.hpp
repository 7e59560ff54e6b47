// The relaxed k-NN KL estimator that grad-info-opt computes (DESIGN.md §2a), kept as running
// sums so that adding a point to W costs O(n*d) and nothing of size n x |W| is ever formed.
#pragma once
#include <vector>

#include "gio/constants.hpp"
#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"

namespace gio {

class RelaxedKL {
 public:
  RelaxedKL(const TargetStats& target, bool discard_nearest_for_xy, double eps = kDefaultEps);

  std::size_t m() const { return m_; }
  // KL~(X || W) of the current W. NaN when W is empty (or has one row with discard).
  double kl() const;

  // Scores a candidate w (d values): returns KL~(X || W + {w}) and remembers the candidate's
  // distances so that commit() adds it without recomputing them.
  double evaluate(const double* w);
  void commit();
  void add(const double* w) { evaluate(w); commit(); }

  // Gradient of KL~(X || W + {v}) with respect to v (closed form, zero where clipped).
  void gradient(const double* v, double* grad_out) const;
  // The descent of DESIGN.md §3: `steps` times v <- v - step * grad, in float32 like the
  // reference. Row blocks are reduced in a fixed order, so the result does not depend on
  // n_threads.
  void descend(double* v, int steps, double step, int n_threads) const { descend(v, steps, step, n_threads, m_); }
  // The same descent as if W had m_rows rows. Without discard_nearest_for_xy the gradient depends
  // on W only through its row count (DESIGN §2a), so descents for later picks can run ahead.
  void descend(double* v, int steps, double step, int n_threads, std::size_t m_rows) const;
  // kernels::kBatch (4) such descents side by side on one thread, v_b for W of m_rows[b] rows
  // (vs is 4 x d, row-major); the same results as four descend() calls, about twice as fast.
  // Not for discard_nearest_for_xy.
  void descend_batch(double* vs, int steps, double step, const std::size_t* m_rows) const;
  // Below this many multiply-adds per step, a descent runs on one thread.
  static constexpr std::size_t kParallelStepWork = std::size_t{1} << 20;
  bool depends_on_w() const { return discard_; }
  // Largest possible gradient norm at v (all terms aligned): the scale of the gradient.
  double gradient_bound(const double* v) const;

 private:
  double kl_from(double sum_log, double sum_log_min, std::size_t m) const;
  double coef_for_added_point(std::size_t m_rows) const;
  void accumulate(const double* v, double v_sq, std::size_t block, double* u, double* phi) const;

  const TargetStats& t_;
  bool discard_;
  double eps_;
  double rho_term_ = 0;      // (d/n) sum_i log(rho_i + eps)
  std::size_t m_ = 0;
  double sum_log_ = 0;       // sum_ij log(delta_ij + eps)
  std::vector<double> min_sq_;  // per target: smallest clipped squared distance to W (discard)
  std::vector<double> cand_sq_; // last evaluated candidate's clipped squared distances
  std::vector<double> cand_min_sq_;  // scratch: min(min_sq_, cand_sq_)
  double cand_sum_log_ = 0;
};

// One-shot estimator and gradient (the functions behind grad-info-opt's
// calculate_statistical_distance and its JAX gradient), in double precision. units: Absolute
// clips and adds eps in the data's own units, as grad-info-opt does; Target in units of x's
// spread about its mean, as native runs do (the same value for x, w scaled or shifted together).
// v and the gradient are in the data's coordinates either way. metric = Cosine (relaxed_kl): the
// rows scaled to unit length, dimension d - 1 (the gradient is Euclidean only).
template <class T>
double relaxed_kl(MatrixView<T> x, MatrixView<T> w, int k, double eps, bool discard, int n_threads,
                  Units units = Units::Absolute, Metric metric = Metric::Euclidean);
template <class T>
std::vector<double> relaxed_kl_gradient(MatrixView<T> x, MatrixView<T> w, const double* v, int k,
                                        double eps, bool discard, int n_threads, Units units = Units::Absolute);

}  // namespace gio
