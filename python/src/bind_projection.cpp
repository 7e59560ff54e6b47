// The descent with a projection written in Python (select_descent), and ShardIndex: the exact
// PoolIndex over one shard of a pool, with global row numbers (gioselect._dask_descent runs one
// per Dask worker; docs/dask.md).
#include <algorithm>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gio/frame.hpp"
#include "gio/options.hpp"
#include "gio/pool_index.hpp"
#include "gio/pool_projection.hpp"
#include "gio/selector.hpp"

#include "bindings.hpp"

namespace gio::py {
namespace {

// A Python object as the descent's projection. One call per projection:
//   projection.nearest(v, c, taken, refilled) -> (rows, values)
// first makes every row available again if `refilled`, then takes the rows `taken` (int64, in
// pick order), then answers with the c nearest available rows to v (float64, the pool's own
// coordinates: the run's frame mapped back), nearest first, ties to the lowest row, and their
// values ((len, d), the pool's dtype). On resume, projection.rows(rows) -> values of those rows.
// A projection with an int attribute `lookahead` > 0 is also told the run's next queries when
// the run knows them: projection.upcoming(points, c, taken, refilled) ((count, d) float64, in
// the order they will be asked), which first applies the refill and the takes as nearest does.
// The taken bitset is kept here too: is_available and available() need no call.
// Errors raised in Python come out of the run unchanged; KeyboardInterrupt is the run's interrupt.
template <class T>
class PyProjection final : public PoolProjection<T> {
 public:
  PyProjection(pyb::object obj, std::size_t rows, std::size_t cols)
      : obj_(std::move(obj)), cols_(cols), taken_(rows, 0), available_(rows) {
    const pyb::object ahead = pyb::getattr(obj_, "lookahead", pyb::int_(0));
    const long n = ahead.cast<long>();
    if (n < 0) throw std::invalid_argument("projection.lookahead must be >= 0, got " + std::to_string(n));
    lookahead_ = static_cast<std::size_t>(n);
  }

  void use_frame(const Frame& frame) override { frame_ = &frame; }
  std::size_t rows() const override { return taken_.size(); }
  std::size_t available() const override { return available_; }
  bool is_available(std::int64_t row) const override { return !taken_[static_cast<std::size_t>(row)]; }

  std::int64_t nearest(const double* v) override {
    const std::vector<std::int64_t> rows = ask(v, 1);
    return rows.empty() ? -1 : rows[0];
  }
  std::vector<std::int64_t> nearest_k(const double* v, std::size_t c) override { return ask(v, c); }
  std::size_t lookahead() const override { return lookahead_; }

  void upcoming(const double* points, std::size_t count, std::size_t c) override {
    if (lookahead_ == 0 || count == 0 || available_ == 0) return;
    if (!frame_) throw std::logic_error("PyProjection: no frame (use_frame) before the first query");
    pyb::gil_scoped_acquire gil;
    pyb::array_t<double> raw({static_cast<pyb::ssize_t>(count), static_cast<pyb::ssize_t>(cols_)});
    for (std::size_t i = 0; i < count; ++i) frame_->unmap(points + i * cols_, cols_, raw.mutable_data() + i * cols_);
    const pyb::array_t<std::int64_t> sent = to_numpy(to_send_);
    call_python([&] { return obj_.attr("upcoming")(raw, c, sent, refilled_); });
    to_send_.clear();
    refilled_ = false;
  }

  void take(std::int64_t row) override {
    check_row(row, "take");
    auto r = static_cast<std::size_t>(row);
    if (taken_[r]) return;
    taken_[r] = 1;
    --available_;
    to_send_.push_back(row);
    const auto hit = answered_.find(row);
    if (hit != answered_.end()) kept_.emplace(row, hit->second);  // a selected row: score_selection reads it
  }

  void refill() override {
    std::fill(taken_.begin(), taken_.end(), 0);
    available_ = taken_.size();
    to_send_.clear();
    refilled_ = true;
  }

  // A resumed run reads every row of its state's selection, one at a time: one call reads them all.
  void preload(std::vector<std::int64_t> rows) {
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    if (rows.empty()) return;
    for (std::int64_t r : rows) check_row(r, "rows");
    pyb::gil_scoped_acquire gil;
    auto values = call_python([&] { return obj_.attr("rows")(to_numpy(rows)); });
    const CArray<T> a = returned_values<T>(values, rows.size(), cols_, "projection");
    for (std::size_t i = 0; i < rows.size(); ++i) kept_[rows[i]].assign(a.data() + i * cols_, a.data() + (i + 1) * cols_);
  }

  const T* row(std::int64_t r) override {
    if (auto hit = answered_.find(r); hit != answered_.end()) return hit->second.data();
    if (auto hit = kept_.find(r); hit != kept_.end()) return hit->second.data();
    check_row(r, "row");
    pyb::gil_scoped_acquire gil;
    auto values = call_python([&] { return obj_.attr("rows")(to_numpy(std::vector<std::int64_t>{r})); });
    const CArray<T> a = returned_values<T>(values, 1, cols_, "projection");
    std::vector<T>& kept = kept_[r];
    kept.assign(a.data(), a.data() + cols_);
    return kept.data();
  }

 private:
  std::vector<std::int64_t> ask(const double* v, std::size_t c) {
    if (available_ == 0) return {};
    if (!frame_) throw std::logic_error("PyProjection: no frame (use_frame) before the first query");
    pyb::gil_scoped_acquire gil;
    pyb::array_t<double> raw(static_cast<pyb::ssize_t>(cols_));
    frame_->unmap(v, cols_, raw.mutable_data());
    const pyb::array_t<std::int64_t> sent = to_numpy(to_send_);
    pyb::object answer = call_python([&] { return obj_.attr("nearest")(raw, c, sent, refilled_); });
    to_send_.clear();
    refilled_ = false;
    auto pair = answer.cast<std::pair<pyb::object, pyb::object>>();
    const auto rows = pyb::array_t<std::int64_t, pyb::array::c_style | pyb::array::forcecast>::ensure(pair.first);
    if (!rows || rows.ndim() != 1)
      throw pyb::type_error("projection.nearest must return (rows, values) with rows a 1-D integer array");
    const std::size_t n = static_cast<std::size_t>(rows.shape(0)), want = std::min(c, available_);
    if (n != want)
      throw std::invalid_argument("projection.nearest returned " + std::to_string(n) + " rows for c=" +
                                  std::to_string(c) + " with " + std::to_string(available_) + " rows available");
    const CArray<T> values = returned_values<T>(pair.second, n, cols_, "projection");
    answered_.clear();
    std::vector<std::int64_t> out(rows.data(), rows.data() + n);
    for (std::size_t i = 0; i < n; ++i) {
      check_row(out[i], "nearest");
      if (taken_[static_cast<std::size_t>(out[i])])
        throw std::invalid_argument("projection.nearest returned row " + std::to_string(out[i]) +
                                    ", which is taken");
      const T* src = values.data() + i * cols_;
      answered_[out[i]].assign(src, src + cols_);
    }
    if (answered_.size() != n) throw std::invalid_argument("projection.nearest returned a row twice");
    return out;
  }


  void check_row(std::int64_t row, const char* where) const {
    if (row < 0 || static_cast<std::size_t>(row) >= taken_.size())
      throw std::out_of_range(std::string("projection ") + where + ": pool row " + std::to_string(row) +
                              " out of range (" + std::to_string(taken_.size()) + " rows)");
  }

  pyb::object obj_;
  std::size_t cols_;
  std::size_t lookahead_ = 0;
  const Frame* frame_ = nullptr;
  std::vector<std::uint8_t> taken_;
  std::size_t available_;
  std::vector<std::int64_t> to_send_;  // taken since the last call
  bool refilled_ = false;             // refilled since the last call
  std::unordered_map<std::int64_t, std::vector<T>> answered_;  // the last answer's rows
  std::unordered_map<std::int64_t, std::vector<T>> kept_;      // rows taken (read again by selection_kl)
};

template <class T>
Result run_descent(const pyb::object& projection, std::size_t n_rows, const CArray<T>& target, const CArray<T>& init,
                   const Options& opts, const pyb::object& on_step, const pyb::object& on_checkpoint,
                   const Result* resume) {
  auto tv = view2d(target, "target"), iv = view2d(init, "init");
  PyProjection<T> proj(projection, n_rows, tv.cols);
  if (resume) proj.preload(resume->selected);
  Result r = run_hooked([&](const Hooks& hooks) { return select_descent(proj, tv, iv, opts, hooks, resume); },
                        on_step, on_checkpoint);
  return r;
}

// The exact projection of one shard: rows [first_row, first_row + len) of a pool, kept as the
// given array (no copy). Query points are in the pool's coordinates (PyProjection sends them so),
// and distances are PoolIndex's, so the minimum over shards of (distance, row) is one process's.
template <class T>
class ShardIndex {
 public:
  // projection: exact (the default), or an HNSW index over the shard's rows (approximate; with
  // audit, each answer also carries the shard's exact nearest row, for the run's recall).
  ShardIndex(CArray<T> rows, std::int64_t first_row, const std::string& metric, int n_threads,
             const ProjectionOptions& projection)
      : rows_(std::move(rows)), view_(view2d(rows_, "shard rows")), first_(first_row),
        frame_(MatrixView<T>(), Units::Absolute, parse<Metric>(metric)),
        index_(view_, checked(projection), n_threads, nullptr, &frame_),
        audit_(projection.mode == Projection::Hnsw && projection.audit) {
    pyb::gil_scoped_release nogil;
    index_.prepare();  // an HNSW shard's graph is part of its build, not of its first answer
  }

  // (squared distances, global rows, values) of the c nearest available rows to v, after
  // `refilled` and the takes `taken` (global rows of this shard).
  pyb::tuple nearest(const CArray<double>& v, std::size_t c, const CArray<std::int64_t>& taken, bool refilled) {
    if (v.ndim() != 1 || static_cast<std::size_t>(v.shape(0)) != view_.cols)
      throw std::invalid_argument("v must have shape (" + std::to_string(view_.cols) + ",)");
    std::vector<std::int64_t> local;
    {
      pyb::gil_scoped_release nogil;
      if (refilled) index_.refill();
      for (pyb::ssize_t i = 0; i < taken.size(); ++i) take(taken.data()[i]);
      local = c == 1 ? std::vector<std::int64_t>{index_.nearest(v.data())} : index_.nearest_k(v.data(), c);
      if (!local.empty() && local[0] < 0) local.clear();
    }
    pyb::array_t<double> dist(static_cast<pyb::ssize_t>(local.size()));
    pyb::array_t<std::int64_t> global(static_cast<pyb::ssize_t>(local.size()));
    pyb::array_t<T> values({static_cast<pyb::ssize_t>(local.size()), static_cast<pyb::ssize_t>(view_.cols)});
    for (std::size_t i = 0; i < local.size(); ++i) {
      dist.mutable_data()[i] = index_.sq_dist(local[i], v.data());
      global.mutable_data()[i] = first_ + local[i];
      std::copy_n(view_.row(static_cast<std::size_t>(local[i])), view_.cols, values.mutable_data() + i * view_.cols);
    }
    if (!audit_) return pyb::make_tuple(dist, global, values);
    std::vector<double> exact_dist;  // the audit: the shard's exact nearest, (distance, global row)
    std::vector<std::int64_t> exact_row;
    if (const std::int64_t r = index_.exact_nearest(v.data()); r >= 0) {
      exact_dist.push_back(index_.sq_dist(r, v.data()));
      exact_row.push_back(first_ + r);
    }
    return pyb::make_tuple(dist, global, values, to_numpy(exact_dist), to_numpy(exact_row));
  }

  // For a batch of queries the client will ask in order, each followed by one take: for query j,
  // the c + j nearest available rows (after `refilled` and the takes), enough to answer it
  // exactly after the j takes before it. Returns (squared distances, global rows, each query's
  // count, the distinct rows among them (sorted), their values).
  pyb::tuple nearest_batch(const CArray<double>& points, std::size_t c, const CArray<std::int64_t>& taken,
                           bool refilled) {
    if (points.ndim() != 2 || static_cast<std::size_t>(points.shape(1)) != view_.cols)
      throw std::invalid_argument("points must have shape (count, " + std::to_string(view_.cols) + ")");
    const std::size_t count = static_cast<std::size_t>(points.shape(0));
    std::vector<std::int64_t> local, counts(count), distinct;
    std::vector<double> dist;
    {
      pyb::gil_scoped_release nogil;
      if (refilled) index_.refill();
      for (pyb::ssize_t i = 0; i < taken.size(); ++i) take(taken.data()[i]);
      std::vector<std::size_t> ks(count);
      for (std::size_t j = 0; j < count; ++j) ks[j] = c + j;
      const auto lists = index_.nearest_k_batch(points.data(), count, ks);
      for (std::size_t j = 0; j < count; ++j) {
        counts[j] = static_cast<std::int64_t>(lists[j].size());
        for (const auto& [sq, r] : lists[j]) {
          local.push_back(r);
          dist.push_back(sq);
        }
      }
      distinct = local;
      std::sort(distinct.begin(), distinct.end());
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    }
    std::vector<std::int64_t> global(local.size()), distinct_global(distinct.size());
    for (std::size_t i = 0; i < local.size(); ++i) global[i] = first_ + local[i];
    pyb::array_t<T> values({static_cast<pyb::ssize_t>(distinct.size()), static_cast<pyb::ssize_t>(view_.cols)});
    for (std::size_t i = 0; i < distinct.size(); ++i) {
      distinct_global[i] = first_ + distinct[i];
      std::copy_n(view_.row(static_cast<std::size_t>(distinct[i])), view_.cols, values.mutable_data() + i * view_.cols);
    }
    return pyb::make_tuple(to_numpy(dist), to_numpy(global), to_numpy(counts), to_numpy(distinct_global), values);
  }

  void take(std::int64_t global_row) {
    const std::int64_t r = global_row - first_;
    if (r < 0 || static_cast<std::size_t>(r) >= view_.rows)
      throw std::out_of_range("row " + std::to_string(global_row) + " is not in this shard (rows " +
                              std::to_string(first_) + "-" + std::to_string(first_ + static_cast<std::int64_t>(view_.rows) - 1) + ")");
    index_.take(r);
  }
  std::size_t available() const { return index_.available(); }
  std::size_t cache_hits() const { return index_.cache_hits(); }

 private:
  static ProjectionOptions checked(const ProjectionOptions& o) {
    if (o.mode == Projection::Auto)
      throw std::invalid_argument("a shard's projection is 'exact' or 'hnsw' ('auto' switches on the whole pool's rows)");
    return o;
  }

  CArray<T> rows_;
  MatrixView<T> view_;
  std::int64_t first_;
  Frame frame_;  // no centring (v comes in the pool's coordinates); rows on the sphere under cosine
  PoolIndex<T> index_;
  bool audit_;
};

template <class T>
void bind_shard(pyb::module_& m, const char* name) {
  pyb::class_<ShardIndex<T>>(m, name, "The exact projection over one shard of a pool (global row numbers).")
      .def(pyb::init<CArray<T>, std::int64_t, const std::string&, int, const ProjectionOptions&>(),
           pyb::arg("rows").noconvert(), pyb::arg("first_row"), pyb::arg("metric"), pyb::arg("n_threads"),
           pyb::arg("projection"))
      .def("nearest", &ShardIndex<T>::nearest,
           "(squared distances, global rows, values) of the c nearest available rows to v (the pool's "
           "coordinates), nearest first, ties to the lowest row; after a refill if refilled, then the takes. "
           "HNSW with audit: also (distance, global row) of the shard's exact nearest",
           pyb::arg("v"), pyb::arg("c"), pyb::arg("taken"), pyb::arg("refilled"))
      .def("nearest_batch", &ShardIndex<T>::nearest_batch,
           "For queries the client will ask in order (each followed by one take): (squared distances, "
           "global rows, each query's count, the distinct rows, their values), query j's c + j nearest "
           "available rows first to last; after a refill if refilled, then the takes",
           pyb::arg("points"), pyb::arg("c"), pyb::arg("taken"), pyb::arg("refilled"))
      .def("take", &ShardIndex<T>::take, pyb::arg("row"))
      .def_property_readonly("available", &ShardIndex<T>::available)
      .def_property_readonly("cache_hits", &ShardIndex<T>::cache_hits);
}

}  // namespace

void init_projection(pyb::module_& m) {
  constexpr const char* doc =
      "Run search='descent' with a projection written in Python instead of a pool in memory: "
      "projection.nearest(v, c, taken, refilled) -> (rows, values) applies the refill and the takes "
      "since its last call, then returns the c nearest available rows to v (the pool's coordinates), "
      "nearest first, ties to the lowest row, and their values (the target's dtype); "
      "projection.rows(rows) -> values (resume only). A projection with lookahead > 0 (an int attribute) "
      "is also told the next queries when the run knows them: projection.upcoming(points, c, taken, refilled), "
      "points (count, d) in the order they will be asked. n_rows: the pool's row count. Otherwise as select().";
  m.def("select_descent", &run_descent<float>, doc, pyb::arg("projection"), pyb::arg("n_rows"),
        pyb::arg("target").noconvert(), pyb::arg("init").noconvert(), pyb::arg("options"),
        pyb::arg("on_step") = pyb::none(), pyb::arg("on_checkpoint") = pyb::none(), pyb::arg("resume") = nullptr);
  m.def("select_descent", &run_descent<double>, doc, pyb::arg("projection"), pyb::arg("n_rows"), pyb::arg("target"),
        pyb::arg("init"), pyb::arg("options"), pyb::arg("on_step") = pyb::none(),
        pyb::arg("on_checkpoint") = pyb::none(), pyb::arg("resume") = nullptr);
  bind_shard<float>(m, "ShardIndexF32");
  bind_shard<double>(m, "ShardIndexF64");
}

}  // namespace gio::py
