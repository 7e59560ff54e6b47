#include "gio/knn_kl.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/kernels.hpp"
#include "parallel.hpp"

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
  if (!t_.has_rho()) throw std::logic_error("KnnKL::kl needs the target's rho_k (TargetStats built without it)");
  if (m_ < k_) return std::numeric_limits<double>::quiet_NaN();
  const double nd = static_cast<double>(t_.n());
  return t_.dimension() / nd * (sum_log_nu_ - sum_log_rho_) +
         std::log(static_cast<double>(m_) / (nd - 1.0));
}

double KnnKL::gain_sum(const double* w) {
  distances(w);
  // Only targets whose k-th distance w undercuts change: nu_k <- max(nu_{k-1}, delta).
  double change = 0;
  for (std::size_t i = 0; i < t_.n(); ++i) change += term(i, cand_[i]);
  return change;
}

double KnnKL::delta_from(double gain) const {
  if (m_ < k_) return std::numeric_limits<double>::quiet_NaN();
  const double m = static_cast<double>(m_);
  return t_.dimension() / static_cast<double>(t_.n()) * gain + std::log((m + 1.0) / m);
}

double KnnKL::delta(const double* w) { return delta_from(gain_sum(w)); }

void KnnKL::gradient(const double* v, double* grad, double* scratch) const {
  const std::size_t n = t_.n(), d = t_.d();
  t_.clipped_sq_dists_to(v, scratch);
  std::fill(grad, grad + d, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double dist = std::sqrt(scratch[i]);
    if (!(dist < nu_k(i) && dist >= nu_k_minus_1(i))) continue;  // flat in dist there
    const double w = 1.0 / scratch[i];
    const double* x = t_.row(i);
    for (std::size_t j = 0; j < d; ++j) grad[j] += (v[j] - x[j]) * w;
  }
  const double c = t_.dimension() / static_cast<double>(n);
  for (std::size_t j = 0; j < d; ++j) grad[j] *= c;
}

void KnnKL::descend(double* v, int steps, double step) const {
  const std::size_t d = t_.d();
  std::vector<double> g(d), scratch(t_.n());
  for (int s = 0; s < steps; ++s) {
    gradient(v, g.data(), scratch.data());
    const double gn = std::sqrt(kernels::dot(g.data(), g.data(), d));
    if (!(gn > 0)) return;
    for (std::size_t j = 0; j < d; ++j) v[j] -= step * g[j] / gn;
  }
}

std::vector<std::size_t> KnnKL::worst_targets(std::size_t count) const {
  if (!t_.has_rho()) throw std::logic_error("KnnKL::worst_targets needs the target's rho_k");
  const std::size_t n = t_.n();
  std::vector<double> badness(n);  // nu_k / rho_k: ordered as its log, without n logs per round
  for (std::size_t i = 0; i < n; ++i) badness[i] = nu_k(i) / t_.rho()[i];
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  count = std::min(count, n);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(count), order.end(),
                    [&](std::size_t a, std::size_t b) { return badness[a] > badness[b] || (badness[a] == badness[b] && a < b); });
  order.resize(count);
  return order;
}

bool KnnKL::insert(std::size_t i, double x, bool had_k) {
  double* nb = nearest_.data() + i * k_;
  const double old_nu_k = nb[k_ - 1];
  if (!insert_nearest(nb, k_, x)) return false;
  if (had_k) sum_log_nu_ += std::log(nb[k_ - 1] / old_nu_k);
  return true;
}

void KnnKL::count_row() {
  ++m_;
  if (m_ == k_) {  // the first W with k rows: the sum from scratch
    sum_log_nu_ = 0;
    for (std::size_t i = 0; i < t_.n(); ++i) sum_log_nu_ += std::log(nearest_[i * k_ + k_ - 1]);
  }
}

void KnnKL::commit() {
  const bool had_k = m_ >= k_;  // then every nu_k is finite and the sum of their logs is kept
  for (std::size_t i = 0; i < t_.n(); ++i) insert(i, cand_[i], had_k);
  count_row();
}

void KnnKL::commit_changes(const std::int32_t* targets, const double* dist, std::size_t count) {
  const bool had_k = m_ >= k_;
  for (std::size_t e = 0; e < count; ++e) insert(static_cast<std::size_t>(targets[e]), dist[e], had_k);
  count_row();
}

template <class T>
double knn_kl(MatrixView<T> x, MatrixView<T> w, int k, int n_threads, const InterruptCheck* interrupted, Units units,
              Metric metric) {
  if (w.cols != x.cols)
    throw std::invalid_argument("W has " + std::to_string(w.cols) + " columns, X has " + std::to_string(x.cols));
  if (w.rows < static_cast<std::size_t>(k))
    throw std::invalid_argument("W has " + std::to_string(w.rows) + " rows; the k-NN estimate needs at least k=" +
                                std::to_string(k));
  require_representable(x, "X");
  require_representable(w, "W");
  if (metric == Metric::Cosine) require_nonzero_rows(w, "W");
  TargetStats ts(x, k, n_threads, interrupted, units, metric);
  KnnKL est(ts);
  std::vector<double> row(w.cols);
  detail::Stopper stopper(interrupted);
  for (std::size_t r = 0; r < w.rows; ++r) {
    if (stopper.stop()) stopper.throw_if_stopped();
    ts.frame().map(w.row(r), w.cols, row.data());
    est.add(row.data());
  }
  return est.kl();
}

template double knn_kl(MatrixView<float>, MatrixView<float>, int, int, const InterruptCheck*, Units, Metric);
template double knn_kl(MatrixView<double>, MatrixView<double>, int, int, const InterruptCheck*, Units, Metric);

template <class T>
KnnEvents knn_kl_events(MatrixView<T> x, MatrixView<T> rows, int k, int n_threads, const InterruptCheck* interrupted,
                        Units units, Metric metric) {
  if (rows.cols != x.cols)
    throw std::invalid_argument("the rows have " + std::to_string(rows.cols) + " columns, X has " +
                                std::to_string(x.cols));
  require_representable(x, "X");
  require_representable(rows, "W");
  if (metric == Metric::Cosine) require_nonzero_rows(rows, "W");
  if (x.rows > static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
    throw std::invalid_argument("X has " + std::to_string(x.rows) + " rows; the events number targets in 32 bits");
  TargetStats ts(x, k, n_threads, interrupted, units, metric, /*with_rho=*/false);  // no estimate here
  KnnKL lists(ts);  // the lists within these rows alone
  KnnEvents out;
  out.counts.resize(rows.rows);
  std::vector<double> row(rows.cols);
  const std::vector<double>& dist = lists.candidate_distances();
  detail::Stopper stopper(interrupted);
  for (std::size_t r = 0; r < rows.rows; ++r) {
    if (stopper.stop()) stopper.throw_if_stopped();
    ts.frame().map(rows.row(r), rows.cols, row.data());  // as knn_kl reads W
    lists.distances(row.data());
    const std::size_t before = out.target.size();
    for (std::size_t i = 0; i < ts.n(); ++i) {
      if (!(dist[i] < lists.nu_k(i))) continue;  // the test of KnnKL::insert
      out.target.push_back(static_cast<std::int32_t>(i));
      out.distance.push_back(dist[i]);
    }
    out.counts[r] = static_cast<std::int32_t>(out.target.size() - before);
    lists.commit();
  }
  return out;
}

namespace {
// The order is the arithmetic's: any other is refused. n_rows: the positions' bound.
void check_events(std::size_t n_targets, std::size_t n_rows, const std::int64_t* position, const std::int32_t* target,
                  std::size_t count) {
  const auto n = static_cast<std::int64_t>(n_targets), rows = static_cast<std::int64_t>(n_rows);
  for (std::size_t e = 0; e < count; ++e) {
    if (position[e] < 0 || position[e] >= rows || target[e] < 0 || target[e] >= n)
      throw std::invalid_argument("event " + std::to_string(e) + " is (position " + std::to_string(position[e]) +
                                  ", target " + std::to_string(target[e]) + "), outside " + std::to_string(n_rows) +
                                  " rows x " + std::to_string(n) + " targets");
    if (e > 0 && !(position[e - 1] < position[e] || (position[e - 1] == position[e] && target[e - 1] < target[e])))
      throw std::invalid_argument("events " + std::to_string(e - 1) + " and " + std::to_string(e) +
                                  " are not in (position, target) order");
  }
}
}  // namespace

std::vector<std::uint8_t> knn_kl_merge(std::size_t n_targets, int k, const std::int64_t* position,
                                       const std::int32_t* target, const double* distance, std::size_t count) {
  if (k < 1) throw std::invalid_argument("k must be >= 1, got " + std::to_string(k));
  check_events(n_targets, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()), position, target, count);
  const auto kk = static_cast<std::size_t>(k);
  std::vector<double> nearest(n_targets * kk, kInf);
  std::vector<std::uint8_t> keep(count);
  for (std::size_t e = 0; e < count; ++e)
    keep[e] = insert_nearest(nearest.data() + static_cast<std::size_t>(target[e]) * kk, kk, distance[e]);
  return keep;
}

template <class T>
double knn_kl_replay(MatrixView<T> x, const std::int64_t* position, const std::int32_t* target, const double* distance,
                     std::size_t count, std::size_t n_rows, int k, int n_threads, const InterruptCheck* interrupted,
                     Units units, Metric metric) {
  if (n_rows < static_cast<std::size_t>(k))
    throw std::invalid_argument("W has " + std::to_string(n_rows) + " rows; the k-NN estimate needs at least k=" +
                                std::to_string(k));
  require_representable(x, "X");
  TargetStats ts(x, k, n_threads, interrupted, units, metric);
  check_events(ts.n(), n_rows, position, target, count);
  const auto rows = static_cast<std::int64_t>(n_rows);
  KnnKL est(ts);
  detail::Stopper stopper(interrupted);
  std::size_t e = 0;
  for (std::int64_t p = 0; p < rows; ++p) {
    if (stopper.stop()) stopper.throw_if_stopped();
    const std::size_t first = e;
    while (e < count && position[e] == p) ++e;
    est.commit_changes(target + first, distance + first, e - first);
  }
  return est.kl();
}

template KnnEvents knn_kl_events(MatrixView<float>, MatrixView<float>, int, int, const InterruptCheck*, Units, Metric);
template KnnEvents knn_kl_events(MatrixView<double>, MatrixView<double>, int, int, const InterruptCheck*, Units,
                                 Metric);
template double knn_kl_replay(MatrixView<float>, const std::int64_t*, const std::int32_t*, const double*, std::size_t,
                              std::size_t, int, int, const InterruptCheck*, Units, Metric);
template double knn_kl_replay(MatrixView<double>, const std::int64_t*, const std::int32_t*, const double*,
                              std::size_t, std::size_t, int, int, const InterruptCheck*, Units, Metric);

}  // namespace gio
