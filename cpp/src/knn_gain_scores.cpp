#include "knn_gain_scores.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "kernels/kernels.hpp"
#include "parallel.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace gio::detail {
namespace {

constexpr std::size_t kTileRows = 4;    // kernels::dots_rows_colmajor's register tile: 4 rows x 8 columns
constexpr std::size_t kMinColumns = 8;

// A sum of logs taken as the log of products, one log per kFactors factors: logs, not the
// distances, dominate a pass. Factors are ratios of squared distances (clipped to [1e-10,
// 1e20]), so kFactors of them stay far inside double's range; the sum rounds differently from
// term-by-term logs by ~1e-15, far below KnnGainScores::kTieTolerance.
class LogOfProducts {
 public:
  void times(double factor) {
    prod_ *= factor;
    if (++count_ == kFactors) flush();
  }
  // The sum of the logs so far, halved (the factors were squared ratios).
  double half_log() {
    flush();
    return 0.5 * sum_;
  }

 private:
  static constexpr int kFactors = 8;
  void flush() {
    sum_ += std::log(prod_);
    prod_ = 1;
    count_ = 0;
  }
  double prod_ = 1, sum_ = 0;
  int count_ = 0;
};

int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace

template <class T>
KnnGainScores<T>::KnnGainScores(MatrixView<T> pool, const TargetStats& ts, const std::vector<double>& nu_k1,
                                const std::vector<double>& nu_k, int n_threads, const InterruptCheck* interrupted,
                                std::int64_t first_row, std::int64_t pool_rows)
    : pool_(pool), ts_(ts), nt_(n_threads),
      tail_from_((pool_rows < 0 ? static_cast<std::int64_t>(pool.rows) : pool_rows) / kTileRows * kTileRows - first_row),
      pool_sq_(pool.rows), score_(pool.rows, 0.0), tree_(pool.rows),
      list_rows_(ts.n()), list_dists_(ts.n()), has_list_(ts.n(), 0) {
  const std::size_t d = pool.cols;
#pragma omp parallel num_threads(nt_)
  {
    std::vector<double> row(d);
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(pool.rows); ++r) {
      ts.frame().map(pool.row(static_cast<std::size_t>(r)), d, row.data());  // the target's frame, as KnnKL
      pool_sq_[static_cast<std::size_t>(r)] = kernels::dot(row.data(), row.data(), d);
    }
  }
  std::vector<std::size_t> all(ts.n());
  std::iota(all.begin(), all.end(), std::size_t{0});
  std::vector<std::vector<std::uint32_t>> counts(static_cast<std::size_t>(nt_), std::vector<std::uint32_t>(all.size()));
  std::vector<double> a2(all.size()), b2(all.size());  // nu_{k-1}^2 and nu_k^2
  for (std::size_t i : all) {
    a2[i] = nu_k1[i] * nu_k1[i];
    b2[i] = nu_k[i] * nu_k[i];
  }
  Stopper stopper(interrupted);
  pass(all, [&](int t, std::size_t r, const double* sq) {
    LogOfProducts sum;  // of KnnKL::term over the targets, as squared ratios
    auto& count = counts[static_cast<std::size_t>(t)];
    for (std::size_t i = 0; i < all.size(); ++i)
      if (sq[i] < b2[i]) {
        sum.times(std::max(a2[i], sq[i]) / b2[i]);
        ++count[i];
      }
    score_[r] = sum.half_log();
  }, &stopper);
  stopper.throw_if_stopped();
  pass_updates_ += pool.rows * all.size();
  set_counted(all, nu_k, counts);
  tree_.build(score_);
}

template <class T>
void KnnGainScores<T>::set_counted(const std::vector<std::size_t>& targets, const std::vector<double>& nu_k,
                                   const std::vector<std::vector<std::uint32_t>>& per_thread) {
  counted_ = targets;
  counted_nu_k_ = nu_k;
  counts_.assign(targets.size(), 0);
  for (std::size_t j = 0; j < targets.size(); ++j)
    for (const auto& mine : per_thread) counts_[j] += mine[targets[j]];
}

template <class T>
template <class F>
void KnnGainScores<T>::pass(const std::vector<std::size_t>& targets, F&& f, Stopper* stopper) const {
  const std::size_t s = targets.size(), d = pool_.cols, m = pool_.rows;
  if (s == 0) return;
  std::vector<double> xt(d * s), tsq(s);  // the targets, column-major
  for (std::size_t j = 0; j < s; ++j) {
    const double* x = ts_.row(targets[j]);
    for (std::size_t c = 0; c < d; ++c) xt[c * s + j] = x[c];
    tsq[j] = ts_.sq_norms()[targets[j]];
  }
  const std::size_t tiles = (m + kTileRows - 1) / kTileRows;
  FirstError err;
#pragma omp parallel num_threads(nt_)
  {
    std::vector<double> rows, dots;
    err.run([&] {
      rows.resize(kTileRows * d);
      dots.resize(kTileRows * s);
    });
    const int t = thread_id();
#pragma omp for schedule(static)
    for (std::ptrdiff_t tile = 0; tile < static_cast<std::ptrdiff_t>(tiles); ++tile) {
      if (dots.size() != kTileRows * s || (stopper != nullptr && stopper->stop())) continue;
      const std::size_t r0 = static_cast<std::size_t>(tile) * kTileRows, nr = std::min(kTileRows, m - r0);
      for (std::size_t r = 0; r < nr; ++r) ts_.frame().map(pool_.row(r0 + r), d, rows.data() + r * d);
      if (s >= kMinColumns) {
        // rows [0, split) as the whole pool's full tiles (the register tile, padded with stale rows),
        // the rest as its partial last tile
        const std::int64_t local_split = std::clamp<std::int64_t>(tail_from_ - static_cast<std::int64_t>(r0), 0,
                                                                  static_cast<std::int64_t>(nr));
        const auto split = static_cast<std::size_t>(local_split);
        if (split > 0) kernels::dots_rows_colmajor(rows.data(), xt.data(), s, d, 0, kTileRows, dots.data());
        if (split < nr) kernels::dots_rows_colmajor(rows.data(), xt.data(), s, d, split, nr - split, dots.data() + split * s);
      } else {  // too few targets to vectorise across: one (vectorised) dot product per pair
        for (std::size_t r = 0; r < nr; ++r)
          for (std::size_t j = 0; j < s; ++j) dots[r * s + j] = kernels::dot(rows.data() + r * d, ts_.row(targets[j]), d);
      }
      err.run([&] {
        for (std::size_t r = 0; r < nr; ++r) {
          double* sq = dots.data() + r * s;
          for (std::size_t j = 0; j < s; ++j) sq[j] = clipped_sq_dist(tsq[j], pool_sq_[r0 + r], sq[j]);
          f(t, r0 + r, static_cast<const double*>(sq));
        }
      });
    }
  }
  err.rethrow();
}

template <class T>
void KnnGainScores<T>::build_lists(const std::vector<std::size_t>& targets) {
  if (targets.empty()) return;
  std::vector<double> b2(targets.size());
  for (std::size_t j = 0, c = 0; j < targets.size(); ++j, ++c) {  // both in counted_'s order
    while (c < counted_.size() && counted_[c] != targets[j]) ++c;
    if (c == counted_.size())
      throw std::invalid_argument("build_lists: target " + std::to_string(targets[j]) +
                                  " was not counted by the last pass (or is out of order)");
    b2[j] = counted_nu_k_[c] * counted_nu_k_[c];
  }
  using Entries = std::vector<std::pair<double, std::uint32_t>>;
  std::vector<std::vector<Entries>> found(static_cast<std::size_t>(nt_), std::vector<Entries>(targets.size()));
  pass(targets, [&](int t, std::size_t r, const double* sq) {
    auto& mine = found[static_cast<std::size_t>(t)];
    for (std::size_t j = 0; j < targets.size(); ++j)
      if (sq[j] < b2[j]) mine[j].emplace_back(std::sqrt(sq[j]), static_cast<std::uint32_t>(r));
  });
  for (std::size_t j = 0; j < targets.size(); ++j) {
    Entries all;
    for (auto& per_thread : found) all.insert(all.end(), per_thread[j].begin(), per_thread[j].end());
    std::sort(all.begin(), all.end());
    const std::size_t i = targets[j];
    list_rows_[i].resize(all.size());
    list_dists_[i].resize(all.size());
    for (std::size_t e = 0; e < all.size(); ++e) {
      list_dists_[i][e] = all[e].first;
      list_rows_[i][e] = all[e].second;
    }
    has_list_[i] = 1;
  }
}

template <class T>
std::int64_t KnnGainScores<T>::best() const {
  return tree_.pick(score_, greedy_tie_limit);
}

template <class T>
void KnnGainScores<T>::candidates(std::vector<double>& scores, std::vector<std::int64_t>& rows) const {
  // The pool's limit greedy_tie_limit(lo') for any lo' <= lo is below this one (the limit grows
  // with lo; the factor 2 leaves room far beyond its rounding), so the pool's pick, if here, is
  // the first of these rows within it.
  tree_.candidates(score_, [](double lo) { return lo + 2 * kTieTolerance * (1.0 + std::fabs(lo)); }, scores, rows);
}

template <class T>
void KnnGainScores<T>::update(const PickChange& change) {
  // The tree is rebuilt (O(rows)) after a pass (a target without a list changes every row), and
  // when the lists change so many rows that marking them would mark most blocks anyway (then the
  // marks cost more than they save: bench/results/greedy_tree*.json); else their blocks are marked.
  bool rebuild = false;
  std::size_t listed = 0;  // the list rows this pick changes
  for (std::size_t c = 0; c < change.targets.size(); ++c) {
    const auto& dists = list_dists_[change.targets[c]];
    rebuild = rebuild || !has_list_[change.targets[c]];
    listed += static_cast<std::size_t>(std::lower_bound(dists.begin(), dists.end(), change.old_nu_k[c]) - dists.begin());
  }
  rebuild = rebuild || listed > score_.size() / 8;
  std::vector<std::size_t> unlisted;
  std::vector<double> a2_old, b2_old, a2_new, b2_new, nu_k_new;  // squared nu_{k-1}, nu_k before and after
  for (std::size_t c = 0; c < change.targets.size(); ++c) {
    const std::size_t i = change.targets[c];
    const double b = change.old_nu_k[c], a = change.old_nu_k1[c];
    const double a_new = change.new_nu_k1[c], b_new = change.new_nu_k[c];
    if (!has_list_[i]) {
      unlisted.push_back(i);
      a2_old.push_back(a * a);
      b2_old.push_back(b * b);
      a2_new.push_back(a_new * a_new);
      b2_new.push_back(b_new * b_new);
      nu_k_new.push_back(b_new);
      continue;
    }
    const auto& dists = list_dists_[i];
    const auto& rows = list_rows_[i];
    std::size_t e = 0;
    for (; e < dists.size() && dists[e] < b; ++e) {
      const std::uint32_t r = rows[e];
      score_[r] += KnnKL::term_of(a_new, b_new, dists[e]) - KnnKL::term_of(a, b, dists[e]);
      if (!rebuild) tree_.changed(r);
    }
    list_updates_ += e;
  }
  std::vector<std::vector<std::uint32_t>> counts(static_cast<std::size_t>(nt_), std::vector<std::uint32_t>(ts_.n()));
  if (!unlisted.empty()) {
    pass(unlisted, [&](int t, std::size_t r, const double* sq) {
      LogOfProducts change;  // new term / old term, as squared ratios (nu_k only shrinks: new needs old)
      auto& count = counts[static_cast<std::size_t>(t)];
      for (std::size_t j = 0; j < unlisted.size(); ++j) {
        if (!(sq[j] < b2_old[j])) continue;
        const double old_ratio = std::max(a2_old[j], sq[j]) / b2_old[j];
        const double new_ratio = sq[j] < b2_new[j] ? std::max(a2_new[j], sq[j]) / b2_new[j] : 1.0;
        change.times(new_ratio / old_ratio);
        if (sq[j] < b2_new[j]) ++count[unlisted[j]];
      }
      score_[r] += change.half_log();
    });
    pass_updates_ += pool_.rows * unlisted.size();
  }
  if (rebuild)
    tree_.build(score_);
  else
    tree_.refresh(score_);
  set_counted(unlisted, nu_k_new, counts);
}

template class KnnGainScores<float>;
template class KnnGainScores<double>;

}  // namespace gio::detail
