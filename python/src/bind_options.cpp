// Options of a run, grouped as in gio/options.hpp. Enum-valued options are strings here; their
// names come from the core's one table per enum (parse / to_string / names).
#include "gio/options.hpp"

#include "bindings.hpp"

namespace gio::py {
namespace {

template <class Owner, class E>
void enum_property(pyb::class_<Owner>& cls, const char* name, E Owner::*field, const char* doc) {
  cls.def_property(
      name, [field](const Owner& o) { return to_string(o.*field); },
      [field](Owner& o, const std::string& s) { o.*field = parse<E>(s); }, doc);
}

// The accepted names of an enum-valued option (a function, so that the stub does not repeat them).
std::vector<std::string> option_names(const std::string& option) {
  if (option == "objective") return names<Objective>();
  if (option == "search") return names<Search>();
  if (option == "stop_criterion") return names<StopCriterion>();
  if (option == "v_init") return names<VInit>();
  if (option == "projection") return names<Projection>();
  if (option == "metric") return names<Metric>();
  throw std::invalid_argument("'" + option + "' is not an enum-valued option; expected one of 'objective', "
                              "'search', 'stop_criterion', 'v_init', 'projection', 'metric'");
}

}  // namespace

void init_options(pyb::module_& m) {
  m.def("option_names", &option_names, "The accepted names of an enum-valued option, from the core's table.",
        pyb::arg("option"));

  pyb::class_<ObjectiveOptions> objective(m, "ObjectiveOptions", "Which KL estimate a run minimises.");
  objective.def(pyb::init<>());
  enum_property(objective, "kind", &ObjectiveOptions::kind, "'relaxed' or 'knn'");
  objective.def_readwrite("k", &ObjectiveOptions::k, "neighbour rank of rho_k and nu_k")
      .def_readwrite("eps", &ObjectiveOptions::eps, "relaxed: epsilon inside log(distance + eps)")
      .def_readwrite("discard_nearest_for_xy", &ObjectiveOptions::discard_nearest_for_xy,
                     "relaxed: drop each target's nearest selected point");

  pyb::class_<SearchOptions> search(m, "SearchOptions", "How each pick is found.");
  search.def(pyb::init<>());
  enum_property(search, "kind", &SearchOptions::kind, "'descent', 'greedy', 'nearest' or 'spread'");
  search.def_readwrite("n_candidates", &SearchOptions::n_candidates, "descent: re-rank this many nearest rows")
      .def_readwrite("batch_size", &SearchOptions::batch_size, "knn descent: picks per round")
      .def_readwrite("spread_threshold", &SearchOptions::spread_threshold,
                     "spread: in-domain when the density ratio is >= this times the target's median")
      .def_readwrite("spread_cell_rows", &SearchOptions::spread_cell_rows,
                     "spread: in-domain rows nearest each target that enter the balanced phase (0: all)");

  pyb::class_<StopOptions> stop(m, "StopOptions", "Budgets and stopping criteria.");
  stop.def(pyb::init<>());
  enum_property(stop, "criterion", &StopOptions::criterion, "a stopping criterion's name");
  stop.def_readwrite("max_picks", &StopOptions::max_picks, "most picks; < 0: unlimited")
      .def_readwrite("n_select", &StopOptions::n_select, "exactly this many picks (criteria off); < 0: none")
      .def_readwrite("min_difference", &StopOptions::min_difference, "'min_difference': smallest improvement")
      .def_readwrite("min_kl", &StopOptions::min_kl, "'min_kl': stop below this KL")
      .def_readwrite("max_data_size", &StopOptions::max_data_size, "'data_size': largest fraction of the pool")
      .def_readwrite("max_sequential_increases", &StopOptions::max_sequential_increases,
                     "'sequential_increase_tolerance': increases in a row that stop the run")
      .def_readwrite("resets_allowed", &StopOptions::resets_allowed, "descent: refill the pool instead of stopping")
      .def_readwrite("max_resets", &StopOptions::max_resets, "most refills of the pool");

  pyb::class_<DescentOptions> descent(m, "DescentOptions", "The gradient descent of the descent search.");
  descent.def(pyb::init<>());
  enum_property(descent, "v_init", &DescentOptions::v_init, "where each descent starts");
  descent.def_readwrite("grad_desc_iter", &DescentOptions::grad_desc_iter, "steps per pick (3x on long descents)")
      .def_readwrite("lr", &DescentOptions::lr, "learning rate")
      .def_readwrite("scale_auto", &DescentOptions::scale_auto, "True: derive the gradient scale ('auto')")
      .def_readwrite("scale_factor", &DescentOptions::scale_factor, "gradient scale when scale_auto is False")
      .def_readwrite("random_restart_prob", &DescentOptions::random_restart_prob,
                     "probability of a long descent on an ordinary pick");

  pyb::class_<ProjectionOptions> projection(m, "ProjectionOptions", "How a descent's end point becomes a pool row.");
  projection.def(pyb::init<>());
  enum_property(projection, "mode", &ProjectionOptions::mode, "'auto', 'exact' or 'hnsw'");
  projection.def_readwrite("exact_below", &ProjectionOptions::exact_below, "auto: brute force while at most this many rows remain")
      .def_readwrite("hnsw_m", &ProjectionOptions::hnsw_m, "HNSW graph degree")
      .def_readwrite("ef_construction", &ProjectionOptions::ef_construction, "HNSW build breadth")
      .def_readwrite("ef_search", &ProjectionOptions::ef_search, "HNSW search breadth")
      .def_readwrite("rerank", &ProjectionOptions::rerank, "HNSW candidates re-scored exactly")
      .def_readwrite("seed", &ProjectionOptions::seed, "HNSW level generator seed")
      .def_readwrite("audit", &ProjectionOptions::audit, "HNSW: also run brute force and count agreements");

  pyb::class_<Options> options(m, "Options", "Every option of a run, grouped by the component that reads it.");
  enum_property(options, "metric", &Options::metric, "'euclidean' or 'cosine' (rows scaled to unit length)");
  options.def(pyb::init<>())
      .def_readwrite("objective", &Options::objective, "ObjectiveOptions")
      .def_readwrite("search", &Options::search, "SearchOptions")
      .def_readwrite("stop", &Options::stop, "StopOptions")
      .def_readwrite("descent", &Options::descent, "DescentOptions")
      .def_readwrite("projection", &Options::projection, "ProjectionOptions")
      .def_readwrite("reference_semantics", &Options::reference_semantics,
                     "True: grad-info-opt 0.1.2's stopping rules, literally")
      .def_readwrite("seed", &Options::seed, "seed of the run's random draws")
      .def_readwrite("n_threads", &Options::n_threads, "threads; <= 0: OpenMP's default");
}

}  // namespace gio::py
