#include "ordered.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include "nearest_lists.hpp"
#include "run.hpp"
#include "spread_order.hpp"

namespace gio::detail {
namespace {

// The next row of either order, given the rows taken so far; -1 when none is left.
template <class T>
class NextRow {
 public:
  NextRow(MatrixView<T> pool, const TargetStats& ts, const Options& o, std::int64_t cap, int nt,
          const InterruptCheck* interrupted, const std::vector<std::int64_t>& done) {
    if (o.search.kind == Search::Spread) {
      spread_ = spread_order(pool, ts, o.search, o.seed, nt, interrupted);
      if (!std::equal(done.begin(), done.end(), spread_.rows.begin()))
        throw std::invalid_argument("the state to resume does not match this run: its picks are not the spread "
                                    "order of this pool, target and seed");
      pos_ = done.size();
    } else {
      // Room per target for its share of the budget and for collisions with other targets' picks.
      const std::size_t share = cap > 0 ? static_cast<std::size_t>(cap) / ts.n() + 1 : 1;
      const std::size_t budget = cap > 0 ? static_cast<std::size_t>(cap) : 0;
      nearest_ = std::make_unique<NearestRoundRobin<T>>(pool, ts, o.seed, std::max<std::size_t>(64, 4 * share + 32),
                                                        budget, nt, interrupted);
      nearest_->skip(done.size());
    }
  }

  std::int64_t next(const std::vector<std::uint8_t>& taken) {
    if (nearest_) return nearest_->next(taken);
    return pos_ < spread_.rows.size() ? spread_.rows[pos_++] : -1;
  }
  std::size_t domain_end() const { return spread_.domain_end; }
  double domain_share() const { return spread_.domain_share; }

 private:
  std::unique_ptr<NearestRoundRobin<T>> nearest_;
  SpreadOrder spread_;
  std::size_t pos_ = 0;
};

}  // namespace

template <class T, class Est>
Result ordered_select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume) {
  Run<T, Est> run(pool, target, init, o, hooks, resume);
  Result& res = run.result();
  std::vector<std::uint8_t> taken(pool.rows, 0);
  for (std::int64_t r : res.selected) taken[static_cast<std::size_t>(r)] = 1;
  const std::int64_t cap = pick_cap(o.stop, pool.rows);
  NextRow<T> order(pool, run.ts(), o, cap, run.n_threads(), run.interrupt_check(), res.selected);
  res.stats.domain_end = order.domain_end();
  res.stats.domain_share = order.domain_share();
  const bool in_domain_stop = o.search.kind == Search::Spread && o.stop.n_select < 0 &&
                              o.stop.criterion == StopCriterion::InDomain;

  while (!run.between_iterations() && !run.budget_reached()) {
    if (in_domain_stop && res.selected.size() >= order.domain_end()) {
      res.stop_reason = "in_domain";
      break;
    }
    std::int64_t row = -1;
    try {
      row = order.next(taken);
    } catch (const Interrupted&) {  // in a list's refill: the state at this iteration's boundary
      run.throw_interrupted_run();
    }
    if (row < 0) {
      res.stop_reason = "pool exhausted";
      break;
    }
    const double kl = run.score(row);
    if (run.take_scored(row, kl, [&] {
          run.est().commit();
          taken[static_cast<std::size_t>(row)] = 1;
        }))
      break;
  }
  run.finish([&](std::int64_t r) { return taken[static_cast<std::size_t>(r)] == 0; });
  return std::move(res);
}

GIO_SEARCH_INSTANCES(ordered_select)

}  // namespace gio::detail
