// The exact k-NN estimator of KL(X || W) (DESIGN.md §2b; Wang, Kulkarni & Verdu 2009):
//
//   KL^(X || W) = (d/n) sum_i log(nu_k(i) / rho_k(i)) + log(m / (n - 1))
//
// nu_k(i): distance from x_i to its k-th nearest point of W; rho_k(i): to its k-th nearest other
// target row. Distances are formed and clipped as everywhere else (>= 1e-5 in the target's frame,
// so no log(0) when W and X share points). Every target keeps its k smallest distances to W,
// sorted, so adding a point costs O(n (d + k)) and the exact change of the estimate for a
// candidate O(n d).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"
#include "gio/target_stats.hpp"

namespace gio {

// nb: the k smallest distances so far, ascending. Takes x if it undercuts the largest (true), by
// insertion: KnnKL's update of a target's list.
inline bool insert_nearest(double* nb, std::size_t k, double x) {
  if (!(x < nb[k - 1])) return false;
  std::size_t j = k - 1;
  while (j > 0 && nb[j - 1] > x) {
    nb[j] = nb[j - 1];
    --j;
  }
  nb[j] = x;
  return true;
}

class KnnKL {
 public:
  explicit KnnKL(const TargetStats& target);

  std::size_t m() const { return m_; }
  // KL^(X || W); NaN while W has fewer than k rows.
  double kl() const;
  // The exact change of KL^ when w (d values) is added; NaN unless W has at least k rows.
  // Remembers w's distances so that commit() adds it without recomputing them.
  double delta(const double* w);
  // KL^(X || W + {w}) (the selector's name for kl() + delta(w)).
  double evaluate(const double* w) { return kl() + delta(w); }
  // The sum behind delta: sum over targets of log(max(nu_{k-1}, dist) / nu_k) where dist < nu_k,
  // i.e. delta(w) = (d/n) gain_sum(w) + log((m+1)/m). Also remembers w for commit().
  double gain_sum(const double* w);
  // delta from a gain_sum, and the one target's term of gain_sum for a distance dist.
  double delta_from(double gain) const;
  double term(std::size_t i, double dist) const { return term_of(nu_k_minus_1(i), nu_k(i), dist); }
  // The same term for a target whose nu_{k-1}, nu_k are the given ones.
  static double term_of(double nu_k1, double nu_k, double dist) {
    return dist < nu_k ? std::log(std::max(nu_k1, dist) / nu_k) : 0.0;
  }
  void commit();
  void add(const double* w) {
    distances(w);
    commit();
  }
  // w's distance to every target (candidate_distances()), without the gain: what commit() adds.
  void distances(const double* w);
  // Adds a row given by its changes alone: (target, distance) pairs, targets ascending, every
  // other target's distance being at least its nu_k. Pairs the lists reject (distance >= nu_k)
  // change nothing. The same float operations, in the same order, as distances(w) + commit().
  void commit_changes(const std::int32_t* targets, const double* dist, std::size_t count);

  // Gradient of delta at v (DESIGN §2b): (d/n) sum over targets with nu_{k-1} <= dist < nu_k of
  // (v - x_i) / dist^2. Zero where v improves no target, or only targets it already serves fully.
  // scratch: n values. Thread-safe (const), so descents can run side by side.
  void gradient(const double* v, double* grad, double* scratch) const;
  // `steps` normalized steps v <- v - step * grad / |grad| (stops where the gradient vanishes).
  // The knn gradient's scale varies with 1/dist, so a step of fixed length is what stays stable.
  void descend(double* v, int steps, double step) const;
  // The `count` targets with the largest log(nu_k / rho_k) (worst served first, ties: lower row).
  std::vector<std::size_t> worst_targets(std::size_t count) const;

  // Per-target state for incremental search: nu_k(i), nu_{k-1}(i) (0 when k = 1), and the
  // distances of the last candidate given to delta/gain_sum.
  double nu_k(std::size_t i) const { return nearest_[i * k_ + k_ - 1]; }
  double nu_k_minus_1(std::size_t i) const { return k_ > 1 ? nearest_[i * k_ + k_ - 2] : 0.0; }
  const std::vector<double>& candidate_distances() const { return cand_; }

 private:
  // Target i's list takes distance x if it undercuts nu_k (false: rejected); had_k: keep the sum.
  bool insert(std::size_t i, double x, bool had_k);
  void count_row();  // m + 1; the sum of log nu_k from scratch at the k-th row

  const TargetStats& t_;
  std::size_t k_;
  std::size_t m_ = 0;
  std::vector<double> nearest_;  // n x k: each target's k smallest distances to W, ascending
  double sum_log_rho_ = 0;
  double sum_log_nu_ = 0;        // sum_i log nu_k(i), kept up to date once W has k rows (kl() is O(1))
  std::vector<double> cand_;     // the last candidate's distances to every target
};

// One-shot estimate (double precision throughout), with distances in units of x's spread about
// its mean (units = Target: the same value for x, w scaled or shifted together; frame.hpp); under
// metric = Cosine between the rows scaled to unit length, with dimension d - 1.
template <class T>
double knn_kl(MatrixView<T> x, MatrixView<T> w, int k, int n_threads, const InterruptCheck* interrupted = nullptr,
              Units units = Units::Target, Metric metric = Metric::Euclidean);

// selection_kl_ of a pool in chunks (docs/dask.md, *selection_kl_ on the workers*), the value of
// knn_kl(x, W, k) bit for bit, without W in one place. Every target's list within one chunk's rows
// is never nearer than within all of W's earlier rows, so the chunk's list changes are a superset
// of the changes knn_kl makes when it adds that chunk's rows.
struct KnnEvents {
  std::vector<std::int32_t> counts;  // per row given: how many changes it made (its events follow)
  std::vector<std::int32_t> target;  // per change: the target whose list changed, ascending per row
  std::vector<double> distance;      // and the row's distance to it, as KnnKL::distances forms it
};
// On a worker: the changes of the targets' k-NN lists within `rows` (one chunk's selected rows, in
// pick order) as they are added one by one. x, k, units, metric: those of the knn_kl to reproduce.
template <class T>
KnnEvents knn_kl_events(MatrixView<T> x, MatrixView<T> rows, int k, int n_threads,
                        const InterruptCheck* interrupted = nullptr, Units units = Units::Target,
                        Metric metric = Metric::Euclidean);
// Of some chunks' events merged, sorted by (position of the row in W, target), those that the
// lists within all their rows accept (keep[e] = 1): still a superset of the changes knn_kl makes
// for those rows, and exactly the changes within them (every distance a list of these rows holds
// was one of a chunk's changes), so merges can run in any tree. n_targets: x's rows.
std::vector<std::uint8_t> knn_kl_merge(std::size_t n_targets, int k, const std::int64_t* position,
                                       const std::int32_t* target, const double* distance, std::size_t count);
// On the client: knn_kl(x, W, k) of the n_rows rows of W from the chunks' events merged, sorted by
// (position of the row in W, target); positions with no event are rows that changed no list.
template <class T>
double knn_kl_replay(MatrixView<T> x, const std::int64_t* position, const std::int32_t* target, const double* distance,
                     std::size_t count, std::size_t n_rows, int k, int n_threads,
                     const InterruptCheck* interrupted = nullptr, Units units = Units::Target,
                     Metric metric = Metric::Euclidean);

}  // namespace gio
