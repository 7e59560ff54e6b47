// search='greedy' with a source of best rows written in Python (select_greedy), and GreedyShard:
// one shard's part of a greedy run, with global row numbers (gioselect._greedy_shards merges the
// shards' answers; gioselect._dask_greedy runs one per Dask chunk; docs/dask.md).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gio/greedy_source.hpp"
#include "gio/options.hpp"
#include "gio/selector.hpp"

#include "bindings.hpp"

namespace gio::py {
namespace {

using I64 = pyb::array_t<std::int64_t, pyb::array::c_style | pyb::array::forcecast>;
using F64 = pyb::array_t<double, pyb::array::c_style | pyb::array::forcecast>;

template <class T>
pyb::array_t<T> to_array(const std::vector<T>& v) {
  return to_numpy(v);
}
pyb::array_t<std::int64_t> to_array(const std::vector<std::size_t>& v) {
  return to_numpy(std::vector<std::int64_t>(v.begin(), v.end()));
}

// A Python object as the greedy search's source of best rows. The knn objective:
//   source.start(nu_k1, nu_k, taken) -> answer, once (every shard scores its rows against W);
//   source.step(taken, build, targets, old_nu_k1, old_nu_k, new_nu_k1, new_nu_k) -> answer, for
//   each kept pick (sent lazily, with the next pick's question): the lists decided from the last
//   answer's counts, the row taken, the pick's changed targets with their nu_{k-1}, nu_k before
//   and after; answer = (counted, counts, scores, rows, values): the last pass's counted targets
//   and their rows within nu_k summed over the pool, and the shards' candidates
//   (GreedyShard.knn_candidates concatenated) with their values.
// The relaxed objective: source.start(None, None, taken) once, then source.next() -> (row, values)
// the next row of the ranking by (value, row) ((-1, None) at the end).
// On resume, source.rows(rows) -> values of those rows.
// Errors raised in Python come out of the run unchanged; KeyboardInterrupt is the run's interrupt.
template <class T>
class PyGreedySource final : public GreedySource<T> {
 public:
  PyGreedySource(pyb::object obj, std::size_t rows, std::size_t cols) : obj_(std::move(obj)), cols_(cols), taken_(rows, 0) {}

  std::size_t rows() const override { return taken_.size(); }
  bool is_available(std::int64_t row) const override { return !taken_[static_cast<std::size_t>(row)]; }

  void start(const TargetStats& ts, const KnnKL* knn, const std::vector<std::int64_t>& taken) override {
    n_targets_ = ts.n();
    knn_ = knn != nullptr;
    for (std::int64_t r : taken) {
      check_row(r, "start");
      taken_[static_cast<std::size_t>(r)] = 1;
    }
    pyb::gil_scoped_acquire gil;
    if (!knn_) {
      call_python([&] { return obj_.attr("start")(pyb::none(), pyb::none(), to_numpy(taken)); });
      return;
    }
    std::vector<double> nu_k1(ts.n()), nu_k(ts.n());
    for (std::size_t i = 0; i < ts.n(); ++i) {
      nu_k1[i] = knn->nu_k_minus_1(i);
      nu_k[i] = knn->nu_k(i);
    }
    read_answer(call_python([&] { return obj_.attr("start")(to_numpy(nu_k1), to_numpy(nu_k), to_numpy(taken)); }));
  }

  std::int64_t best() override { return knn_ ? best_knn() : best_relaxed(); }

  void take(std::int64_t row, const PickChange& change) override {
    check_row(row, "take");
    taken_[static_cast<std::size_t>(row)] = 1;
    if (auto hit = answered_.find(row); hit != answered_.end()) kept_[row] = hit->second;  // score_selection reads it
    if (knn_) {
      pending_row_ = row;
      pending_ = change;
      has_pending_ = true;
    }
  }

  const T* row(std::int64_t r) override {
    if (auto hit = answered_.find(r); hit != answered_.end()) return hit->second.data();
    if (auto hit = kept_.find(r); hit != kept_.end()) return hit->second.data();
    check_row(r, "row");
    pyb::gil_scoped_acquire gil;
    auto values = call_python([&] { return obj_.attr("rows")(to_numpy(std::vector<std::int64_t>{r})); });
    const CArray<T> a = returned_values<T>(values, 1, cols_, "source");
    std::vector<T>& kept = kept_[r];
    kept.assign(a.data(), a.data() + cols_);
    return kept.data();
  }

 private:
  std::int64_t best_knn() {
    if (has_pending_) {
      pyb::gil_scoped_acquire gil;
      const PickChange& c = pending_;
      read_answer(call_python([&] {
        return obj_.attr("step")(to_numpy(std::vector<std::int64_t>{pending_row_}), to_array(due_),
                                 to_array(c.targets), to_numpy(c.old_nu_k1), to_numpy(c.old_nu_k),
                                 to_numpy(c.new_nu_k1), to_numpy(c.new_nu_k));
      }));
      has_pending_ = false;
    }
    return greedy_pick(scores_.data(), cand_rows_.data(), cand_rows_.size());
  }

  std::int64_t best_relaxed() {
    while (current_ < 0 || taken_[static_cast<std::size_t>(current_)]) {
      pyb::gil_scoped_acquire gil;
      auto pair = call_python([&] { return obj_.attr("next")(); }).template cast<std::pair<std::int64_t, pyb::object>>();
      answered_.clear();
      current_ = pair.first;
      if (current_ < 0) return -1;
      check_row(current_, "next");
      const CArray<T> a = returned_values<T>(pair.second, 1, cols_, "source");
      answered_[current_].assign(a.data(), a.data() + cols_);
    }
    return current_;
  }

  // (counted, counts, scores, rows, values): the next lists due and the candidates.
  void read_answer(const pyb::object& answer) {
    const auto t = answer.cast<pyb::tuple>();
    if (t.size() != 5)
      throw pyb::type_error("source.start/step must return (counted, counts, scores, rows, values)");
    const I64 counted = t[0].cast<I64>(), counts = t[1].cast<I64>(), rows = t[3].cast<I64>();
    const F64 scores = t[2].cast<F64>();
    if (counted.ndim() != 1 || counts.ndim() != 1 || counted.shape(0) != counts.shape(0))
      throw std::invalid_argument("source answer: counted and counts must be 1-D of one length");
    if (scores.ndim() != 1 || rows.ndim() != 1 || scores.shape(0) != rows.shape(0))
      throw std::invalid_argument("source answer: scores and rows must be 1-D of one length");
    std::vector<std::size_t> ids(static_cast<std::size_t>(counted.shape(0)));
    std::vector<std::uint64_t> sums(ids.size());
    for (std::size_t j = 0; j < ids.size(); ++j) {
      if (counted.data()[j] < 0 || static_cast<std::size_t>(counted.data()[j]) >= n_targets_ || counts.data()[j] < 0)
        throw std::out_of_range("source answer: a counted target or count out of range");
      ids[j] = static_cast<std::size_t>(counted.data()[j]);
      sums[j] = static_cast<std::uint64_t>(counts.data()[j]);
    }
    due_ = greedy_lists_due(ids, sums, n_targets_);
    const std::size_t n = static_cast<std::size_t>(rows.shape(0));
    const CArray<T> values = returned_values<T>(t[4], n, cols_, "source");
    scores_.assign(scores.data(), scores.data() + n);
    cand_rows_.assign(rows.data(), rows.data() + n);
    answered_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      check_row(cand_rows_[i], "candidates");
      if (taken_[static_cast<std::size_t>(cand_rows_[i])])
        throw std::invalid_argument("source answered row " + std::to_string(cand_rows_[i]) + ", which is taken");
      answered_[cand_rows_[i]].assign(values.data() + i * cols_, values.data() + (i + 1) * cols_);
    }
  }


  void check_row(std::int64_t row, const char* where) const {
    if (row < 0 || static_cast<std::size_t>(row) >= taken_.size())
      throw std::out_of_range(std::string("greedy source ") + where + ": pool row " + std::to_string(row) +
                              " out of range (" + std::to_string(taken_.size()) + " rows)");
  }

  pyb::object obj_;
  std::size_t cols_, n_targets_ = 0;
  bool knn_ = false;
  std::vector<std::uint8_t> taken_;
  std::vector<double> scores_;          // the last answer's candidates
  std::vector<std::int64_t> cand_rows_;
  std::vector<std::size_t> due_;        // lists to build with the next step
  std::int64_t pending_row_ = -1, current_ = -1;
  PickChange pending_;
  bool has_pending_ = false;
  std::unordered_map<std::int64_t, std::vector<T>> answered_;  // the last answer's rows
  std::unordered_map<std::int64_t, std::vector<T>> kept_;      // rows taken (read again by selection_kl)
};

template <class T>
Result run_greedy(const pyb::object& source, std::size_t n_rows, const CArray<T>& target, const CArray<T>& init,
                  const Options& opts, const pyb::object& on_step, const pyb::object& on_checkpoint,
                  const Result* resume) {
  auto tv = view2d(target, "target"), iv = view2d(init, "init");
  PyGreedySource<T> src(source, n_rows, tv.cols);
  return run_hooked([&](const Hooks& hooks) { return select_greedy(src, tv, iv, opts, hooks, resume); }, on_step,
                    on_checkpoint);
}

// One shard of a greedy run over rows [first_row, first_row + len) of a pool, kept as the given
// array (no copy), with the run's target statistics built from the same target.
template <class T>
class PyGreedyShard {
 public:
  PyGreedyShard(CArray<T> rows, std::int64_t first_row, std::int64_t pool_rows, const CArray<T>& target, int k,
                const std::string& metric, int n_threads)
      : rows_(std::move(rows)) {
    const MatrixView<T> view = view2d(rows_, "shard rows"), tv = view2d(target, "target");
    const Metric m = parse<Metric>(metric);
    // the target's statistics are O(n^2 d): without the GIL, so the worker's heartbeats go on
    pyb::gil_scoped_release nogil;
    shard_ = std::make_unique<GreedyShard<T>>(view, first_row, pool_rows, tv, k, m, n_threads);
  }

  pyb::tuple knn_start(const CArray<double>& nu_k1, const CArray<double>& nu_k, const I64& taken) {
    const std::size_t n = static_cast<std::size_t>(nu_k.size());
    std::vector<double> a = vector1d(nu_k1, n, "nu_k1"), b = vector1d(nu_k, n, "nu_k");
    {
      pyb::gil_scoped_release nogil;
      take_all(taken);
      shard_->knn_start(a, b);
    }
    return answer();
  }

  pyb::tuple knn_step(const I64& taken, const I64& build, const I64& targets, const CArray<double>& old_nu_k1,
                      const CArray<double>& old_nu_k, const CArray<double>& new_nu_k1, const CArray<double>& new_nu_k) {
    const std::size_t n = static_cast<std::size_t>(targets.size());
    PickChange c;
    for (pyb::ssize_t j = 0; j < targets.size(); ++j) c.targets.push_back(index(targets.data()[j], "targets"));
    c.old_nu_k1 = vector1d(old_nu_k1, n, "old_nu_k1");
    c.old_nu_k = vector1d(old_nu_k, n, "old_nu_k");
    c.new_nu_k1 = vector1d(new_nu_k1, n, "new_nu_k1");
    c.new_nu_k = vector1d(new_nu_k, n, "new_nu_k");
    std::vector<std::size_t> lists;
    for (pyb::ssize_t j = 0; j < build.size(); ++j) lists.push_back(index(build.data()[j], "build"));
    {
      pyb::gil_scoped_release nogil;
      take_all(taken);
      shard_->knn_step(lists, c);
    }
    return answer();
  }

  void relaxed_rank(double eps) {
    pyb::gil_scoped_release nogil;
    shard_->relaxed_rank(eps);
  }
  // (values, global rows, row values) of ranked rows [from, from + count).
  pyb::tuple relaxed_ranked(std::size_t from, std::size_t count) const {
    std::vector<double> values;
    std::vector<std::int64_t> rows;
    shard_->relaxed_ranked(from, count, values, rows);
    return pyb::make_tuple(to_numpy(values), to_numpy(rows), row_values(rows));
  }

  pyb::array_t<T> rows(const I64& global) const {
    return row_values(std::vector<std::int64_t>(global.data(), global.data() + global.size()));
  }
  pyb::array_t<double> knn_scores() const { return to_numpy(shard_->knn_scores()); }
  std::size_t list_updates() const { return shard_->list_updates(); }
  std::size_t pool_pass_updates() const { return shard_->pool_pass_updates(); }

 private:
  static std::size_t index(std::int64_t i, const char* name) {
    if (i < 0) throw std::out_of_range(std::string(name) + ": negative target " + std::to_string(i));
    return static_cast<std::size_t>(i);
  }
  // Rows of this shard among `taken` (global rows of any shard).
  void take_all(const I64& taken) {
    const std::int64_t lo = shard_->first_row(), hi = lo + static_cast<std::int64_t>(shard_->rows());
    for (pyb::ssize_t j = 0; j < taken.size(); ++j)
      if (taken.data()[j] >= lo && taken.data()[j] < hi) shard_->take(taken.data()[j]);
  }
  pyb::tuple answer() const {
    std::vector<double> scores;
    std::vector<std::int64_t> rows;
    shard_->knn_candidates(scores, rows);
    const auto counts = shard_->knn_counts();
    return pyb::make_tuple(to_array(shard_->knn_counted()), to_numpy(std::vector<std::int64_t>(counts.begin(), counts.end())),
                           to_numpy(scores), to_numpy(rows), row_values(rows));
  }
  pyb::array_t<T> row_values(const std::vector<std::int64_t>& rows) const {
    const std::size_t d = static_cast<std::size_t>(rows_.shape(1));
    pyb::array_t<T> out({static_cast<pyb::ssize_t>(rows.size()), static_cast<pyb::ssize_t>(d)});
    for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(shard_->row(rows[i]), d, out.mutable_data() + i * d);
    return out;
  }

  CArray<T> rows_;
  std::unique_ptr<GreedyShard<T>> shard_;
};

template <class T>
void bind_shard(pyb::module_& m, const char* name) {
  pyb::class_<PyGreedyShard<T>>(m, name, "One shard of a greedy run (global row numbers; docs/dask.md).")
      .def(pyb::init<CArray<T>, std::int64_t, std::int64_t, const CArray<T>&, int, const std::string&, int>(),
           pyb::arg("rows").noconvert(), pyb::arg("first_row"), pyb::arg("pool_rows"), pyb::arg("target").noconvert(),
           pyb::arg("k"),
           pyb::arg("metric"), pyb::arg("n_threads"))
      .def("knn_start", &PyGreedyShard<T>::knn_start,
           "Takes `taken`, scores every row against a W with these nu_k1, nu_k; returns (counted, counts, "
           "scores, rows, values): every target with its rows here within nu_k, and the candidates",
           pyb::arg("nu_k1"), pyb::arg("nu_k"), pyb::arg("taken"))
      .def("knn_step", &PyGreedyShard<T>::knn_step,
           "Builds the lists `build`, takes `taken`, applies a kept pick's change; the answer of knn_start",
           pyb::arg("taken"), pyb::arg("build"), pyb::arg("targets"), pyb::arg("old_nu_k1"), pyb::arg("old_nu_k"),
           pyb::arg("new_nu_k1"), pyb::arg("new_nu_k"))
      .def("relaxed_rank", &PyGreedyShard<T>::relaxed_rank, "Ranks the rows by (relaxed value, row)", pyb::arg("eps"))
      .def("relaxed_ranked", &PyGreedyShard<T>::relaxed_ranked,
           "(values, global rows, row values) of ranked rows [start, start + count)", pyb::arg("start"),
           pyb::arg("count"))
      .def("rows", &PyGreedyShard<T>::rows, "The values of these global rows of the shard", pyb::arg("rows"))
      .def("knn_scores", &PyGreedyShard<T>::knn_scores, "Every row's score (taken rows' are stale)")
      .def_property_readonly("list_updates", &PyGreedyShard<T>::list_updates)
      .def_property_readonly("pool_pass_updates", &PyGreedyShard<T>::pool_pass_updates);
}

}  // namespace

void init_greedy(pyb::module_& m) {
  constexpr const char* doc =
      "Run search='greedy' with a source of best rows written in Python instead of a pool in memory "
      "(the protocol: python/src/bind_greedy.cpp; gioselect._greedy_shards). n_rows: the pool's row count. "
      "Otherwise as select().";
  m.def("select_greedy", &run_greedy<float>, doc, pyb::arg("source"), pyb::arg("n_rows"),
        pyb::arg("target").noconvert(), pyb::arg("init").noconvert(), pyb::arg("options"),
        pyb::arg("on_step") = pyb::none(), pyb::arg("on_checkpoint") = pyb::none(), pyb::arg("resume") = nullptr);
  m.def("select_greedy", &run_greedy<double>, doc, pyb::arg("source"), pyb::arg("n_rows"), pyb::arg("target"),
        pyb::arg("init"), pyb::arg("options"), pyb::arg("on_step") = pyb::none(),
        pyb::arg("on_checkpoint") = pyb::none(), pyb::arg("resume") = nullptr);
  bind_shard<float>(m, "GreedyShardF32");
  bind_shard<double>(m, "GreedyShardF64");
}

}  // namespace gio::py
