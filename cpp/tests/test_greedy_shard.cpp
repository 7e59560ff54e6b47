// GreedyShard (gio/greedy_source.hpp): a pool cut into shards, whose candidates, counts and
// rankings a C++ GreedySource merges by the core's rules, gives select()'s greedy run bit for bit
// (picks, trace, remaining, selection_kl), for the knn and the relaxed objective, float and double,
// with duplicates and near ties on a coarse grid, shards at any offset (an empty one included) and
// 1 or 2 threads; and greedy_pick's tie rule.
#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "check.hpp"
#include "gio/greedy_source.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"
#include "naive.hpp"

namespace {

// The client's half over shards in this process (what gioselect._greedy_shards does in Python).
template <class T>
class Shards final : public gio::GreedySource<T> {
 public:
  Shards(const std::vector<T>& pool, std::size_t d, const std::vector<std::size_t>& bounds,
         const std::vector<T>& target, int k, int threads)
      : pool_(pool), d_(d), taken_(pool.size() / d, 0) {
    for (std::size_t s = 0; s + 1 < bounds.size(); ++s)
      shards_.push_back(std::make_unique<gio::GreedyShard<T>>(
          gio::MatrixView<T>(pool.data() + bounds[s] * d, bounds[s + 1] - bounds[s], d),
          static_cast<std::int64_t>(bounds[s]), static_cast<std::int64_t>(taken_.size()),
          gio::MatrixView<T>(target.data(), target.size() / d, d), k, gio::Metric::Euclidean, threads));
  }
  std::size_t rows() const override { return taken_.size(); }
  const T* row(std::int64_t r) override { return pool_.data() + static_cast<std::size_t>(r) * d_; }
  bool is_available(std::int64_t r) const override { return !taken_[static_cast<std::size_t>(r)]; }

  void start(const gio::TargetStats& ts, const gio::KnnKL* knn, const std::vector<std::int64_t>& taken) override {
    for (std::int64_t r : taken) take_everywhere(r);
    n_ = ts.n();
    knn_ = knn != nullptr;
    if (!knn_) {
      for (auto& s : shards_) s->relaxed_rank(1e-8);
      next_.assign(shards_.size(), 0);
      return;
    }
    std::vector<double> a(n_), b(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      a[i] = knn->nu_k_minus_1(i);
      b[i] = knn->nu_k(i);
    }
    for (auto& s : shards_) s->knn_start(a, b);
    gather();
  }
  std::int64_t best() override {
    if (!knn_) {  // the shards' rankings merged by (value, row)
      std::int64_t best = -1;
      double value = 0;
      std::size_t from = 0;
      for (std::size_t s = 0; s < shards_.size(); ++s) {
        std::vector<double> v;
        std::vector<std::int64_t> r;
        for (;; ++next_[s]) {
          shards_[s]->relaxed_ranked(next_[s], 1, v, r);
          if (r.empty() || !taken_[static_cast<std::size_t>(r[0])]) break;
        }
        if (!r.empty() && (best < 0 || v[0] < value || (v[0] == value && r[0] < best))) {
          best = r[0];
          value = v[0];
          from = s;
        }
      }
      if (best >= 0) ++next_[from];
      return best;
    }
    return gio::greedy_pick(scores_.data(), rows_.data(), rows_.size());
  }
  void take(std::int64_t row, const gio::PickChange& change) override {
    take_everywhere(row);
    if (!knn_) return;
    for (auto& s : shards_) s->knn_step(due_, change);
    gather();
  }

 private:
  void take_everywhere(std::int64_t r) {
    taken_[static_cast<std::size_t>(r)] = 1;
    for (auto& s : shards_)
      if (r >= s->first_row() && r < s->first_row() + static_cast<std::int64_t>(s->rows())) s->take(r);
  }
  void gather() {
    scores_.clear();
    rows_.clear();
    std::vector<std::uint64_t> sum(shards_[0]->knn_counted().size(), 0);
    for (auto& s : shards_) {
      CHECK(s->knn_counted() == shards_[0]->knn_counted());
      const auto c = s->knn_counts();
      for (std::size_t j = 0; j < sum.size(); ++j) sum[j] += c[j];
      std::vector<double> sc;
      std::vector<std::int64_t> r;
      s->knn_candidates(sc, r);
      scores_.insert(scores_.end(), sc.begin(), sc.end());
      rows_.insert(rows_.end(), r.begin(), r.end());
    }
    due_ = gio::greedy_lists_due(shards_[0]->knn_counted(), sum, n_);
  }

  const std::vector<T>& pool_;
  std::size_t d_, n_ = 0;
  bool knn_ = false;
  std::vector<std::uint8_t> taken_;
  std::vector<std::unique_ptr<gio::GreedyShard<T>>> shards_;
  std::vector<double> scores_;
  std::vector<std::int64_t> rows_;
  std::vector<std::size_t> due_, next_;
};

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0);
}

template <class T>
void shards_give_the_one_process_run(gio::Objective objective, int k, bool grid, int threads) {
  const std::size_t m = 403, n = 90, d = 6, n_init = 6;  // 403 = 4 * 100 + 3: a partial last tile
  gio::Rng rng(11);
  std::vector<double> pool = testdata::gaussian(m, d, rng), x = testdata::gaussian(n, d, rng, 0.3, 0.8);
  for (std::size_t i = 0; i < 20; ++i) testdata::copy_row(pool, 300 + i, pool, i, d);  // duplicates, other shards
  if (grid) {  // a coarse grid: many equal distances, near-tied scores
    for (auto& v : pool) v = std::round(v * 4) / 4;
    for (auto& v : x) v = std::round(v * 4) / 4;
  }
  const std::vector<double> init = gio::uniform_start(n_init, d, {-3.0}, {3.0}, false, rng);
  const auto pool_t = testdata::cast<T>(pool), x_t = testdata::cast<T>(x), init_t = testdata::cast<T>(init);
  gio::Options o;
  o.objective.kind = objective;
  o.objective.k = k;
  o.search.kind = gio::Search::Greedy;
  o.stop.n_select = 150;
  o.n_threads = threads;
  const gio::MatrixView<T> tv(x_t.data(), n, d), iv(init_t.data(), n_init, d);
  const gio::Result one = gio::select<T>({pool_t.data(), m, d}, tv, iv, o);
  for (const std::vector<std::size_t>& bounds : {std::vector<std::size_t>{0, m}, {0, 1, 6, 6, 203, 401, m},
                                                 {0, 2, 3, 250, m}}) {
    Shards<T> src(pool_t, d, bounds, x_t, k, threads);
    const gio::Result r = gio::select_greedy<T>(src, tv, iv, o);
    CHECK(r.selected == one.selected);
    CHECK(same_bits(r.kl_trace, one.kl_trace));
    CHECK(r.remaining == one.remaining);
    CHECK(r.stop_reason == one.stop_reason);
    CHECK(std::memcmp(&r.selection_kl, &one.selection_kl, sizeof(double)) == 0);
  }
}

void the_tie_rule() {
  const double lo = -10.0, limit = gio::greedy_tie_limit(lo);
  CHECK(limit > lo && limit - lo < 1.2e-8);
  const std::vector<double> scores{-10.0 + 5e-9, lo, -10.0 + 2e-8};
  const std::vector<std::int64_t> rows{7, 9, 3};
  CHECK(gio::greedy_pick(scores.data(), rows.data(), 3) == 7);  // within the limit, lower than 9; 3 is beyond it
  CHECK(gio::greedy_pick(scores.data(), rows.data(), 0) == -1);
  CHECK(gio::greedy_lists_due({4, 8, 9}, {10, 1u << 30, 512}, 100000) == (std::vector<std::size_t>{4, 9}));
  CHECK(check::throws_naming([] { gio::greedy_lists_due({1}, {}, 10); }, "0 counts for 1 targets"));
}

}  // namespace

int main() {
  for (int threads : {1, 2})
    for (bool grid : {false, true}) {
      shards_give_the_one_process_run<float>(gio::Objective::Knn, 3, grid, threads);
      shards_give_the_one_process_run<double>(gio::Objective::Knn, 1, grid, threads);
      shards_give_the_one_process_run<float>(gio::Objective::Relaxed, 5, grid, threads);
    }
  shards_give_the_one_process_run<double>(gio::Objective::Knn, 5, true, 2);
  the_tie_rule();
  return check::report("test_greedy_shard");
}
