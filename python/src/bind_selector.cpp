#include "gio/hooks.hpp"
#include "gio/options.hpp"
#include "gio/result.hpp"
#include "gio/rng.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"

#include "bindings.hpp"

namespace gio::py {

Result run_hooked(const std::function<Result(const Hooks&)>& select_fn, const pyb::object& on_step,
                  const pyb::object& on_checkpoint) {
  Hooks hooks;
  hooks.interrupted = python_interrupt_check();
  if (!on_step.is_none()) {
    hooks.on_step = [&](const Result& r) {
      pyb::gil_scoped_acquire gil;
      const double kl = r.kl_trace.empty() ? r.kl_start : r.kl_trace.back();
      int action = 0;
      try {
        action = on_step(r.n_iter, r.selected.size(), kl, r.kl_start).template cast<int>();
      } catch (pyb::error_already_set& e) {
        // Ctrl-C lands in Python code, i.e. often in this hook: it is the run's interrupt, at this
        // iteration boundary (r), not an error. Leave it pending for run() to raise again.
        if (!e.matches(PyExc_KeyboardInterrupt)) throw;
        e.restore();
        throw InterruptedRun(r);
      }
      if (action == 2 && !on_checkpoint.is_none()) on_checkpoint(r);
      return action == 1;
    };
  }
  Result r;
  std::unique_ptr<Result> interrupted;
  bool interrupted_in_setup = false;  // before the first iteration: no state to hand out
  {
    pyb::gil_scoped_release nogil;
    try {
      r = select_fn(hooks);
    } catch (InterruptedRun& e) {
      interrupted = std::make_unique<Result>(std::move(e.state));
    } catch (Interrupted&) {
      interrupted_in_setup = true;
    }
  }
  if (interrupted_in_setup) raise_pending_interrupt();
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

namespace {

template <class T>
Result run(const CArray<T>& pool, const CArray<T>& target, const CArray<T>& init, const Options& opts,
           const pyb::object& on_step, const pyb::object& on_checkpoint, const Result* resume) {
  auto pv = view2d(pool, "pool"), tv = view2d(target, "target"), iv = view2d(init, "init");
  return run_hooked([&](const Hooks& hooks) { return select(pv, tv, iv, opts, hooks, resume); }, on_step,
                    on_checkpoint);
}

}  // namespace

void init_selector(pyb::module_& m) {
  pyb::class_<LoopState>(m, "LoopState", "Where a run stands between two iterations (for checkpoints).")
      .def(pyb::init<>())
      .def_readwrite("i", &LoopState::i, "the reference's pick counter")
      .def_readwrite("total", &LoopState::total, "the reference's total counter")
      .def_readwrite("increases", &LoopState::increases, "the reference's increase counter")
      .def_readwrite("just_reset", &LoopState::just_reset, "the last iteration refilled the pool")
      .def_readwrite("run_of_increases", &LoopState::run_of_increases, "consecutive kept picks that raised the KL")
      .def_readwrite("kl_prev", &LoopState::kl_prev, "KL before the next pick")
      .def_readwrite("reset_marks", &LoopState::reset_marks, "number of picks at each refill")
      .def_readwrite("rng_draws", &LoopState::rng_draws, "random engine outputs used")
      .def_readwrite("jump_rows", &LoopState::jump_rows, "target rows drawn for v_init='jump'")
      .def_readwrite("v", &LoopState::v, "v at the start of the next iteration");

  pyb::class_<RunStats>(m, "RunStats", "How a run got there (nothing here changes the selection).")
      .def(pyb::init<>())
      .def_readonly("index_build_seconds", &RunStats::index_build_seconds, "HNSW build time")
      .def_readonly("hnsw_queries", &RunStats::hnsw_queries, "projections made in HNSW mode")
      .def_readonly("hnsw_searches", &RunStats::hnsw_searches, "... of which went to the graph")
      .def_readonly("audit_agreements", &RunStats::audit_agreements, "HNSW answers equal to brute force")
      .def_readonly("cache_hits", &RunStats::cache_hits, "exact projections answered by the certified cache")
      .def_readonly("greedy_list_updates", &RunStats::greedy_list_updates, "knn greedy: updates from lists")
      .def_readonly("greedy_pool_pass_updates", &RunStats::greedy_pool_pass_updates,
                    "knn greedy: updates from pool passes")
      .def_readonly("greedy_changed_targets", &RunStats::greedy_changed_targets,
                    "knn greedy: targets whose nu_k a pick lowered, summed")
      .def_readonly("domain_end", &RunStats::domain_end, "spread: picks up to the end of the in-domain set")
      .def_readonly("domain_share", &RunStats::domain_share,
                    "spread: the pool's estimated share of target-like rows");

  pyb::class_<Result>(m, "Result", "What a run returns: the selection, its loop state and statistics.")
      .def(pyb::init<>())
      .def_property(
          "selected", [](const Result& r) { return to_numpy(r.selected); },
          [](Result& r, std::vector<std::int64_t> v) { r.selected = std::move(v); },
          "pool rows in selection order")
      .def_property(
          "kl_trace", [](const Result& r) { return to_numpy(r.kl_trace); },
          [](Result& r, std::vector<double> v) { r.kl_trace = std::move(v); }, "KL after each kept pick")
      .def_readwrite("kl_start", &Result::kl_start, "KL of the start rows alone")
      .def_readwrite("selection_kl", &Result::selection_kl,
                     "k-NN estimate of KL(target || the selected rows), the run's k (NaN: not computed)")
      .def_readwrite("stop_reason", &Result::stop_reason, "why the run ended ('' while under way)")
      .def_readwrite("n_iter", &Result::n_iter, "loop iterations, rejected picks and resets included")
      .def_readwrite("n_resets", &Result::n_resets, "refills of the pool")
      .def_readwrite("scale_factor", &Result::scale_factor, "the gradient scale used")
      .def_readwrite("loop", &Result::loop, "LoopState")
      .def_property_readonly("v", [](const Result& r) { return to_numpy(r.v); }, "v at the end")
      .def_property_readonly("remaining", [](const Result& r) { return to_numpy(r.remaining); },
                             "rows still available at the end")
      .def_readonly("stats", &Result::stats, "RunStats");

  m.def("check_resumable", &check_resumable,
        "Raise ValueError naming the damage when no run on a pool of pool_rows and a target of "
        "target_rows rows could have reached this state (a checkpoint is input).",
        pyb::arg("state"), pyb::arg("pool_rows"), pyb::arg("target_rows"));
  constexpr const char* select_doc =
      "Run GIO: pool, target and init share one dtype (float32 or float64), C-contiguous. "
      "on_step(n_iter, n_selected, kl, kl_start) after each iteration returns 0 to go on, 1 to stop, "
      "2 to have on_checkpoint(state) called; an interrupt calls on_checkpoint(state), then raises. "
      "resume: a state from on_checkpoint of a run with the same inputs and options.";
  // float32 first and without conversion: float64 input must not be rounded to float32.
  m.def("select", &run<float>, select_doc, pyb::arg("pool").noconvert(), pyb::arg("target").noconvert(),
        pyb::arg("init").noconvert(), pyb::arg("options"), pyb::arg("on_step") = pyb::none(),
        pyb::arg("on_checkpoint") = pyb::none(), pyb::arg("resume") = nullptr);
  m.def("select", &run<double>, select_doc, pyb::arg("pool"), pyb::arg("target"), pyb::arg("init"),
        pyb::arg("options"), pyb::arg("on_step") = pyb::none(), pyb::arg("on_checkpoint") = pyb::none(),
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
      "size uniform points in [low, high] per column (1 or d bounds), unit norm with normalize",
      pyb::arg("size"), pyb::arg("d"), pyb::arg("low"), pyb::arg("high"), pyb::arg("normalize"), pyb::arg("seed"));
  m.def(
      "random_pool_rows",
      [](std::size_t n_pool, double fraction, std::uint64_t seed) {
        Rng rng(seed);
        return to_numpy(random_pool_rows(n_pool, fraction, rng));
      },
      "int(fraction * n_pool) distinct pool rows, drawn without replacement",
      pyb::arg("n_pool"), pyb::arg("fraction"), pyb::arg("seed"));
}

}  // namespace gio::py
