#include "gio/options.hpp"
#include "gio/rng.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"

#include "bindings.hpp"

namespace gio::py {
namespace {

// on_step(n_iter, n_selected, kl) -> 0 go on, 1 stop, 2 hand the state to on_checkpoint.
// An interrupt (Ctrl-C) hands the last state to on_checkpoint, then raises KeyboardInterrupt.
template <class T>
Result run(const CArray<T>& pool, const CArray<T>& target, const CArray<T>& init, const Options& opts,
           const pyb::object& on_step, const pyb::object& on_checkpoint, const Result* resume) {
  auto pv = view2d(pool, "pool"), tv = view2d(target, "target"), iv = view2d(init, "init");
  Hooks hooks;
  hooks.interrupted = python_interrupt_check();
  if (!on_step.is_none()) {
    hooks.on_step = [&](const Result& r) {
      pyb::gil_scoped_acquire gil;
      const double kl = r.kl_trace.empty() ? r.kl_start : r.kl_trace.back();
      const int action = on_step(r.n_iter, r.selected.size(), kl).template cast<int>();
      if (action == 2 && !on_checkpoint.is_none()) on_checkpoint(r);
      return action == 1;
    };
  }
  Result r;
  std::unique_ptr<Result> interrupted;
  {
    pyb::gil_scoped_release nogil;
    try {
      r = select(pv, tv, iv, opts, hooks, resume);
    } catch (InterruptedRun& e) {
      interrupted = std::make_unique<Result>(std::move(e.state));
    }
  }
  if (interrupted) {
    // Fetch (and clear) the KeyboardInterrupt the signal handler raised, so that Python can run
    // the checkpoint; then raise it again.
    std::unique_ptr<pyb::error_already_set> pending;
    if (PyErr_Occurred()) pending = std::make_unique<pyb::error_already_set>();
    if (!on_checkpoint.is_none()) on_checkpoint(*interrupted);
    if (pending) throw *pending;
    throw std::runtime_error("gioselect run interrupted");
  }
  return r;
}

}  // namespace

void init_selector(pyb::module_& m) {
  pyb::class_<IndexOptions>(m, "IndexOptions")
      .def(pyb::init<>())
      .def_property(
          "mode",
          [](const IndexOptions& o) {
            return o.mode == SearchMode::Exact ? "exact" : (o.mode == SearchMode::Hnsw ? "hnsw" : "auto");
          },
          [](IndexOptions& o, const std::string& s) {
            if (s == "auto") o.mode = SearchMode::Auto;
            else if (s == "exact") o.mode = SearchMode::Exact;
            else if (s == "hnsw") o.mode = SearchMode::Hnsw;
            else throw std::invalid_argument("unknown search mode '" + s + "'; expected 'auto', 'exact' or 'hnsw'");
          })
      .def_readwrite("exact_below", &IndexOptions::exact_below)
      .def_readwrite("hnsw_m", &IndexOptions::hnsw_m)
      .def_readwrite("ef_construction", &IndexOptions::ef_construction)
      .def_readwrite("ef_search", &IndexOptions::ef_search)
      .def_readwrite("rerank", &IndexOptions::rerank)
      .def_readwrite("seed", &IndexOptions::seed)
      .def_readwrite("audit", &IndexOptions::audit);

  pyb::class_<Options>(m, "Options")
      .def(pyb::init<>())
      .def_property(
          "estimator", [](const Options& o) { return to_string(o.estimator); },
          [](Options& o, const std::string& s) { o.estimator = parse_estimator(s); })
      .def_property(
          "search", [](const Options& o) { return to_string(o.search); },
          [](Options& o, const std::string& s) { o.search = parse_search(s); })
      .def_readwrite("batch_size", &Options::batch_size)
      .def_readwrite("k", &Options::k)
      .def_readwrite("eps", &Options::eps)
      .def_readwrite("discard_nearest_for_xy", &Options::discard_nearest_for_xy)
      .def_readwrite("max_picks", &Options::max_picks)
      .def_readwrite("n_select", &Options::n_select)
      .def_property(
          "stop_criterion", [](const Options& o) { return to_string(o.stop_criterion); },
          [](Options& o, const std::string& s) { o.stop_criterion = parse_stop_criterion(s); })
      .def_readwrite("min_difference", &Options::min_difference)
      .def_readwrite("min_kl", &Options::min_kl)
      .def_readwrite("max_data_size", &Options::max_data_size)
      .def_readwrite("max_sequential_increases", &Options::max_sequential_increases)
      .def_readwrite("resets_allowed", &Options::resets_allowed)
      .def_readwrite("max_resets", &Options::max_resets)
      .def_readwrite("n_candidates", &Options::n_candidates)
      .def_property(
          "v_init",
          [](const Options& o) { return to_string(o.v_init); },
          [](Options& o, const std::string& s) { o.v_init = parse_v_init(s); })
      .def_readwrite("grad_desc_iter", &Options::grad_desc_iter)
      .def_readwrite("lr", &Options::lr)
      .def_readwrite("scale_auto", &Options::scale_auto)
      .def_readwrite("scale_factor", &Options::scale_factor)
      .def_readwrite("random_restart_prob", &Options::random_restart_prob)
      .def_readwrite("reference_semantics", &Options::reference_semantics)
      .def_readwrite("seed", &Options::seed)
      .def_readwrite("n_threads", &Options::n_threads)
      .def_readwrite("index", &Options::index);

  pyb::class_<LoopState>(m, "LoopState")
      .def(pyb::init<>())
      .def_readwrite("i", &LoopState::i)
      .def_readwrite("total", &LoopState::total)
      .def_readwrite("run_of_increases", &LoopState::run_of_increases)
      .def_readwrite("kl_prev", &LoopState::kl_prev)
      .def_readwrite("reset_marks", &LoopState::reset_marks)
      .def_readwrite("rng_draws", &LoopState::rng_draws)
      .def_readwrite("jump_rows", &LoopState::jump_rows)
      .def_readwrite("v", &LoopState::v);

  pyb::class_<Result>(m, "Result")
      .def(pyb::init<>())
      .def_property(
          "selected", [](const Result& r) { return to_numpy(r.selected); },
          [](Result& r, std::vector<std::int64_t> v) { r.selected = std::move(v); })
      .def_property(
          "kl_trace", [](const Result& r) { return to_numpy(r.kl_trace); },
          [](Result& r, std::vector<double> v) { r.kl_trace = std::move(v); })
      .def_readwrite("kl_start", &Result::kl_start)
      .def_readwrite("stop_reason", &Result::stop_reason)
      .def_readwrite("n_iter", &Result::n_iter)
      .def_readwrite("n_resets", &Result::n_resets)
      .def_readwrite("increases", &Result::increases)
      .def_readwrite("just_reset", &Result::just_reset)
      .def_readwrite("scale_factor", &Result::scale_factor)
      .def_readwrite("loop", &Result::loop)
      .def_property_readonly("v", [](const Result& r) { return to_numpy(r.v); })
      .def_property_readonly("remaining", [](const Result& r) { return to_numpy(r.remaining); })
      .def_readonly("index_build_seconds", &Result::index_build_seconds)
      .def_readonly("hnsw_queries", &Result::hnsw_queries)
      .def_readonly("hnsw_searches", &Result::hnsw_searches)
      .def_readonly("audit_agreements", &Result::audit_agreements)
      .def_readonly("cache_hits", &Result::cache_hits)
      .def_readonly("greedy_list_updates", &Result::greedy_list_updates)
      .def_readonly("greedy_pool_pass_updates", &Result::greedy_pool_pass_updates)
      .def_readonly("greedy_changed_targets", &Result::greedy_changed_targets);

  m.def("select", &run<float>, pyb::arg("pool"), pyb::arg("target"), pyb::arg("init"), pyb::arg("options"),
        pyb::arg("on_step") = pyb::none(), pyb::arg("on_checkpoint") = pyb::none(),
        pyb::arg("resume") = nullptr);
  m.def("select", &run<double>, pyb::arg("pool"), pyb::arg("target"), pyb::arg("init"), pyb::arg("options"),
        pyb::arg("on_step") = pyb::none(), pyb::arg("on_checkpoint") = pyb::none(),
        pyb::arg("resume") = nullptr);

  m.def(
      "uniform_start",
      [](std::size_t size, std::size_t d, std::vector<double> low, std::vector<double> high, bool normalize,
         std::uint64_t seed) {
        Rng rng(seed);
        auto w = uniform_start(size, d, low, high, normalize, rng);
        pyb::array_t<double> out({static_cast<pyb::ssize_t>(size), static_cast<pyb::ssize_t>(d)});
        std::copy(w.begin(), w.end(), out.mutable_data());
        return out;
      },
      pyb::arg("size"), pyb::arg("d"), pyb::arg("low"), pyb::arg("high"), pyb::arg("normalize"), pyb::arg("seed"));
  m.def(
      "random_pool_rows",
      [](std::size_t n_pool, double fraction, std::uint64_t seed) {
        Rng rng(seed);
        return to_numpy(random_pool_rows(n_pool, fraction, rng));
      },
      pyb::arg("n_pool"), pyb::arg("fraction"), pyb::arg("seed"));
}

}  // namespace gio::py
