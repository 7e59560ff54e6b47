// gio::PoolIndex (the projection step) against a brute-force argmin in the test.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "../src/kernels/kernels.hpp"
#include "check.hpp"
#include "gio/frame.hpp"
#include "gio/pool_index.hpp"
#include "naive.hpp"

namespace {

// argmin over available rows of sum_j (double(pool_j) - v_j)^2; ties to the lowest row; -1 if none.
template <class T>
std::int64_t brute(const std::vector<T>& pool, std::size_t rows, std::size_t d, const std::vector<std::uint8_t>& taken,
                   const std::vector<double>& v) {
  double best = std::numeric_limits<double>::infinity();
  std::int64_t arg = -1;
  for (std::size_t i = 0; i < rows; ++i) {
    if (taken[i]) continue;
    double s = 0;
    for (std::size_t j = 0; j < d; ++j) {
      const double t = static_cast<double>(pool[i * d + j]) - v[j];
      s += t * t;
    }
    if (s < best) { best = s; arg = static_cast<std::int64_t>(i); }
  }
  return arg;
}

std::vector<double> row_of(const std::vector<float>& pool, std::size_t i, std::size_t d) {
  return std::vector<double>(pool.begin() + static_cast<std::ptrdiff_t>(i * d),
                             pool.begin() + static_cast<std::ptrdiff_t>((i + 1) * d));
}

// A float32 pool of Gaussian rows in which rows [dup_at, dup_at + dups) repeat rows [0, dups) of
// `from`, and an index over it with brute-force auditing on.
struct Fixture {
  Fixture(std::size_t rows, std::size_t d, std::uint64_t seed, std::size_t dup_at, std::size_t from,
          std::size_t dups, gio::Projection mode)
      : rows(rows), d(d), rng(seed) {
    std::vector<double> p = testdata::gaussian(rows, d, rng);
    for (std::size_t i = 0; i < dups; ++i) testdata::copy_row(p, dup_at + i, p, from + i, d);
    pool = testdata::cast<float>(p);
    gio::ProjectionOptions io;
    io.mode = mode;
    io.audit = true;
    index = std::make_unique<gio::PoolIndex<float>>(gio::MatrixView<float>(pool.data(), rows, d), io, 2);
  }
  std::size_t rows, d;
  gio::Rng rng;
  std::vector<float> pool;
  std::unique_ptr<gio::PoolIndex<float>> index;
};

void modes(gio::Projection mode) {
  const bool hnsw = mode == gio::Projection::Hnsw;
  Fixture f(3000, 16, hnsw ? 2 : 1, 2000, 10, 10, mode);  // duplicates: ties
  const std::size_t rows = f.rows, d = f.d;
  gio::Rng& rng = f.rng;
  const std::vector<float>& pool = f.pool;
  gio::PoolIndex<float>& index = *f.index;
  std::vector<std::uint8_t> taken(rows, 0);
  CHECK(index.available() == rows);

  // Ties go to the lowest row: row 10 and row 2000 are the same point.
  const std::vector<double> q10 = row_of(pool, 10, d);
  CHECK(index.nearest(q10.data()) == 10);
  CHECK(index.exact_nearest(q10.data()) == 10);
  index.take(10);
  taken[10] = 1;
  CHECK(index.nearest(q10.data()) == 2000);
  CHECK(!index.is_available(10) && index.is_available(2000));

  for (int t = 0; t < 700; ++t) {
    const auto r = static_cast<std::int64_t>(rng.below(rows));
    index.take(r);
    index.take(r);  // taking twice is harmless
    taken[static_cast<std::size_t>(r)] = 1;
  }
  std::size_t avail = 0;
  for (auto t : taken) avail += !t;
  CHECK(index.available() == avail);

  const int queries = 400;
  int agree = 0;
  for (int qi = 0; qi < queries; ++qi) {
    const std::vector<double> q = testdata::gaussian(1, d, rng, 0.0, 0.9);
    const std::int64_t want = brute(pool, rows, d, taken, q);
    const std::int64_t got = index.nearest(q.data());
    CHECK(got >= 0 && got < static_cast<std::int64_t>(rows) && !taken[static_cast<std::size_t>(got)]);
    CHECK(index.exact_nearest(q.data()) == want);
    if (got == want) ++agree;
    else if (!hnsw) CHECK(got == want);
  }
  std::printf("%s: %d / %d queries agree with brute force\n", hnsw ? "hnsw" : "exact", agree, queries);
  CHECK(agree >= (hnsw ? queries * 95 / 100 : queries));
  if (hnsw) {
    CHECK(index.hnsw_queries() == static_cast<std::size_t>(queries) + 2);
    CHECK(index.audit_agreements() >= static_cast<std::size_t>(agree));  // +2 tie queries
  } else {
    CHECK(index.hnsw_queries() == 0);
  }

  // Refill: every row is back.
  index.refill();
  std::fill(taken.begin(), taken.end(), 0);
  CHECK(index.available() == rows);
  bool all = true;
  for (std::size_t i = 0; i < rows; ++i) all = all && index.is_available(static_cast<std::int64_t>(i));
  CHECK(all);
  CHECK(index.nearest(q10.data()) == 10);

  // All but 3 rows taken: hnswlib is asked for min(rerank, 3) rows and must not throw.
  const std::int64_t keep[3] = {17, 1234, 2999};
  for (std::size_t i = 0; i < rows; ++i) {
    const auto r = static_cast<std::int64_t>(i);
    if (r != keep[0] && r != keep[1] && r != keep[2]) { index.take(r); taken[i] = 1; }
  }
  CHECK(index.available() == 3);
  for (int left = 3; left > 0; --left) {
    const std::vector<double> q = testdata::gaussian(1, d, rng);
    std::int64_t got = -2;
    try {
      got = index.nearest(q.data());
    } catch (...) {
      check::fail(__FILE__, __LINE__, "nearest() threw with fewer rows left than rerank");
    }
    CHECK(got == brute(pool, rows, d, taken, q));
    if (got < 0) break;
    index.take(got);
    taken[static_cast<std::size_t>(got)] = 1;
  }
  CHECK(index.available() == 0);
  const std::vector<double> q = testdata::gaussian(1, d, rng);
  CHECK(index.nearest(q.data()) == -1);
  CHECK(index.exact_nearest(q.data()) == -1);
  CHECK_THROWS(index.take(-1), std::out_of_range);
  CHECK_THROWS(index.take(static_cast<std::int64_t>(rows)), std::out_of_range);
}

// Exact ties that are not duplicates: four rows at distance exactly 1 from the query.
void exact_ties() {
  const std::vector<double> pool = {1, 1, 0, 0, 2, 0, 1, -1, 5, 5};
  for (auto mode : {gio::Projection::Exact, gio::Projection::Hnsw}) {
    gio::ProjectionOptions io;
    io.mode = mode;
    gio::PoolIndex<double> index(gio::MatrixView<double>(pool.data(), 5, 2), io, 0);
    const double q[2] = {1, 0};
    const std::int64_t order[5] = {0, 1, 2, 3, 4};
    for (std::int64_t want : order) {
      CHECK(index.nearest(q) == want);
      index.take(want);
    }
    CHECK(index.nearest(q) == -1);
  }
}

// A pool large enough that exact search runs on several threads: ties still go to the lowest row.
void parallel_exact() {
  const std::size_t rows = 70000, d = 16;  // rows * d > 2^20
  gio::Rng rng(3);
  std::vector<double> p = testdata::gaussian(rows, d, rng);
  testdata::copy_row(p, 69000, p, 5, d);
  testdata::copy_row(p, 40000, p, 5, d);
  const std::vector<float> pool = testdata::cast<float>(p);
  gio::ProjectionOptions io;
  io.mode = gio::Projection::Auto;  // exact while at most exact_below rows remain
  io.exact_below = rows;
  gio::PoolIndex<float> index(gio::MatrixView<float>(pool.data(), rows, d), io, 2);
  std::vector<std::uint8_t> taken(rows, 0);
  const std::vector<double> q5 = row_of(pool, 5, d);
  for (std::int64_t want : {5, 40000, 69000}) {
    CHECK(index.nearest(q5.data()) == want);
    index.take(want);
    taken[static_cast<std::size_t>(want)] = 1;
  }
  for (int t = 0; t < 20; ++t) {
    const std::vector<double> q = testdata::gaussian(1, d, rng);
    CHECK(index.nearest(q.data()) == brute(pool, rows, d, taken, q));
  }
  CHECK(index.hnsw_queries() == 0);
}

}  // namespace

// Slowly drifting queries (as successive GIO descents are) are mostly answered by the certified
// cache; every answer must still equal brute force, through takes and a refill.
void certified_cache(gio::Projection mode) {
  Fixture f(5000, 8, 7, 4000, 100, 20, mode);  // exact ties
  const std::size_t rows = f.rows, d = f.d;
  gio::Rng& rng = f.rng;
  const std::vector<float>& pool = f.pool;
  gio::PoolIndex<float>& index = *f.index;
  std::vector<std::uint8_t> taken(rows, 0);
  std::vector<double> q(d, 0.0);
  for (int t = 0; t < 400; ++t) {
    for (double& x : q) x += 0.002 * (rng.uniform() - 0.5);
    if (t == 250) {
      index.refill();
      std::fill(taken.begin(), taken.end(), 0);
    }
    const std::int64_t got = index.nearest(q.data());
    CHECK(got == brute(pool, rows, d, taken, q));
    index.take(got);
    taken[static_cast<std::size_t>(got)] = 1;
  }
  CHECK(index.cache_hits() > 300);
  // a query exactly on a duplicated row: ties go to the lowest row through the cache too
  index.refill();
  const std::vector<double> dup = row_of(pool, 4005, d);
  CHECK(index.nearest(dup.data()) == 105);
  CHECK(index.nearest(dup.data()) == 105);
  if (mode == gio::Projection::Hnsw) CHECK(index.audit_agreements() == index.hnsw_queries());
}

// nearest_k: the c nearest available rows, nearest first, ties to the lowest row; HNSW re-scores.
void nearest_k(gio::Projection mode) {
  const std::size_t rows = 2000, d = 6, c = 7;
  gio::Rng rng(9);
  std::vector<double> p = testdata::gaussian(rows, d, rng);
  for (std::size_t i = 0; i < 5; ++i) testdata::copy_row(p, 1500 + i, p, 20 + i, d);  // ties
  const std::vector<float> pool = testdata::cast<float>(p);
  gio::ProjectionOptions io;
  io.mode = mode;
  io.ef_search = 256;
  gio::PoolIndex<float> index(gio::MatrixView<float>(pool.data(), rows, d), io, 0);
  for (std::size_t r = 0; r < 300; r += 3) index.take(static_cast<std::int64_t>(r));
  int agree = 0;
  for (int t = 0; t < 50; ++t) {
    const std::vector<double> q = testdata::gaussian(1, d, rng);
    std::vector<std::pair<double, std::int64_t>> all;
    for (std::size_t i = 0; i < rows; ++i) {
      if (!index.is_available(static_cast<std::int64_t>(i))) continue;
      double s = 0;
      for (std::size_t j = 0; j < d; ++j) s += (static_cast<double>(pool[i * d + j]) - q[j]) * (static_cast<double>(pool[i * d + j]) - q[j]);
      all.emplace_back(s, static_cast<std::int64_t>(i));
    }
    std::sort(all.begin(), all.end());
    const std::vector<std::int64_t> got = index.nearest_k(q.data(), c);
    CHECK(got.size() == c);
    bool same = true;
    for (std::size_t i = 0; i < c && i < got.size(); ++i) same = same && got[i] == all[i].second;
    agree += same;
  }
  CHECK(mode == gio::Projection::Exact ? agree == 50 : agree >= 45);
}

// nearest_k along a path of close queries (a batch of descents' ends), with takes, ties and a
// refill: the certified cache answers most of them, each the exact c nearest (distance, row).
void nearest_k_from_the_cache() {
  Fixture f(3000, 8, 11, 2000, 50, 30, gio::Projection::Exact);  // rows 2000.. repeat rows 50..: ties
  gio::PoolIndex<float>& index = *f.index;
  std::vector<double> q = row_of(f.pool, 60, f.d);
  int exact = 0, queries = 0;
  for (int t = 0; t < 300; ++t) {
    for (double& x : q) x += 0.002 * (f.rng.uniform() - 0.5);
    if (t == 200) index.refill();
    const std::size_t c = 1 + static_cast<std::size_t>(t % 40);  // up to 40 of the cache's 64 rows
    std::vector<std::pair<double, std::int64_t>> all;
    for (std::size_t i = 0; i < f.rows; ++i)
      if (index.is_available(static_cast<std::int64_t>(i)))
        all.emplace_back(index.sq_dist(static_cast<std::int64_t>(i), q.data()), static_cast<std::int64_t>(i));
    std::sort(all.begin(), all.end());
    const std::vector<std::int64_t> got = index.nearest_k(q.data(), c);
    bool same = got.size() == c;
    for (std::size_t i = 0; same && i < c; ++i) same = got[i] == all[i].second;
    exact += same;
    ++queries;
    index.take(got[0]);
  }
  CHECK(exact == queries);
  CHECK(index.cache_k_hits() > 200);
  // nearest_k_batch: every query's list is nearest_k's (one pass over the rows, on 2 threads)
  std::vector<double> points;
  std::vector<std::size_t> ks;
  for (std::size_t j = 0; j < 33; ++j) {
    for (double& x : q) x += 0.01 * (f.rng.uniform() - 0.5);
    points.insert(points.end(), q.begin(), q.end());
    ks.push_back(j % 9 == 8 ? 0 : 1 + j);  // a zero, and lists longer than the cache
  }
  const auto lists = index.nearest_k_batch(points.data(), ks.size(), ks);
  bool same = lists.size() == ks.size();
  for (std::size_t j = 0; same && j < ks.size(); ++j) {
    std::vector<std::int64_t> rows;
    for (const auto& [sq, r] : lists[j]) {
      rows.push_back(r);
      same = same && sq == index.sq_dist(r, points.data() + j * f.d);  // the distances sq_dist gives
    }
    same = same && rows == index.nearest_k(points.data() + j * f.d, ks[j]);
  }
  CHECK(same);
  CHECK(index.cache_hits() == 0);  // nearest()'s counts: nearest_k leaves them alone
}

// A row's squared distance is a function of the row and v alone: the same bits from the scan's
// four-row tiles (wherever a tile starts: thread slices and pool shards start anywhere), from its
// one-row tail, from a tile broken by a taken row, and from sq_diff (the certified cache and
// PoolIndex::sq_dist). A sharded pool's projection (docs/dask.md) is exact only because of this.
template <class T>
void row_distances_do_not_depend_on_tiles(std::size_t d, bool scaled) {
  const std::size_t rows = 23;
  gio::Rng rng(40 + d);
  const std::vector<T> pool = testdata::cast<T>(testdata::gaussian(rows, d, rng, 3.0, 2.0));
  const std::vector<double> v = testdata::gaussian(1, d, rng);
  std::vector<double> scale(rows, 1.0);
  for (std::size_t i = 0; i < rows; ++i) scale[i] = gio::Frame::inverse_norm(pool.data() + i * d, d);
  const double* sc = scaled ? scale.data() : nullptr;
  std::vector<double> one(rows);
  for (std::size_t i = 0; i < rows; ++i)
    one[i] = std::is_same_v<T, float>
        ? gio::kernels::sq_diff_f(reinterpret_cast<const float*>(pool.data()) + i * d, v.data(), d, sc ? sc + i : nullptr)
        : gio::kernels::sq_diff_d(reinterpret_cast<const double*>(pool.data()) + i * d, v.data(), d, sc ? sc + i : nullptr);
  bool same = true;
  for (std::size_t r0 = 0; r0 < 5; ++r0) {
    for (int broken = -1; broken < 8; broken += 3) {  // a taken row breaks its tile
      std::vector<std::uint8_t> taken(rows, 0);
      if (broken >= 0) taken[r0 + static_cast<std::size_t>(broken)] = 1;
      std::vector<double> out(rows - r0);
      gio::kernels::sq_dists_rows(pool.data(), d, r0, rows, taken.data(), v.data(), out.data(), sc ? sc + r0 : nullptr);
      for (std::size_t i = r0; i < rows; ++i)
        if (!taken[i]) same = same && out[i - r0] == one[i];
    }
  }
  CHECK(same);
}

int main() {
  for (std::size_t d : {1, 3, 4, 7, 8, 16, 33, 64, 100}) {
    row_distances_do_not_depend_on_tiles<float>(d, false);
    row_distances_do_not_depend_on_tiles<float>(d, true);
    row_distances_do_not_depend_on_tiles<double>(d, false);
    row_distances_do_not_depend_on_tiles<double>(d, true);
  }
  nearest_k(gio::Projection::Exact);
  nearest_k(gio::Projection::Hnsw);
  nearest_k_from_the_cache();
  certified_cache(gio::Projection::Exact);
  certified_cache(gio::Projection::Hnsw);
  modes(gio::Projection::Exact);
  modes(gio::Projection::Hnsw);
  exact_ties();
  parallel_exact();
  return check::report("test_pool_index");
}
