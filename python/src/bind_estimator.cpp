#include "gio/knn_kl.hpp"
#include "gio/options.hpp"
#include "gio/relaxed_kl.hpp"

#include <type_traits>

#include "bindings.hpp"

namespace gio::py {
namespace {

// float32 is registered first and takes only float32 arrays (noconvert): anything else, lists
// included, goes to the float64 overload instead of being rounded to float32.
template <class T>
pyb::arg data_arg(const char* name) {
  pyb::arg a(name);
  return std::is_same_v<T, float> ? a.noconvert() : a;
}

Units units_of(bool absolute_clip) { return absolute_clip ? Units::Absolute : Units::Target; }

// f(&interrupted) without the GIL; Ctrl-C in it is raised as KeyboardInterrupt with the GIL held.
template <class F>
auto interruptible(F&& f) {
  const InterruptCheck interrupted = python_interrupt_check();
  try {
    pyb::gil_scoped_release nogil;
    return f(&interrupted);
  } catch (Interrupted&) {
    raise_pending_interrupt();
  }
}

template <class T>
CArray<T> vector_arg(const CArray<T>& a, std::size_t n, const char* name) {
  if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != n)
    throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(n) + ",), got " +
                                std::to_string(a.ndim()) + "-D of " + std::to_string(a.size()) + " values");
  return a;
}

template <class T>
void register_dtype(pyb::module_& m) {
  m.def(
      "relaxed_kl",
      [](const CArray<T>& x, const CArray<T>& w, int k, double eps, bool discard, int n_threads, bool absolute_clip,
         const std::string& metric) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        const auto how = parse<Metric>(metric);
        pyb::gil_scoped_release nogil;
        return relaxed_kl(xv, wv, k, eps, discard, n_threads, units_of(absolute_clip), how);
      },
      "Relaxed k-NN estimate of KL(x || w), as grad-info-opt computes it (DESIGN.md 2a): distances clipped "
      "and eps added in the data's own units. absolute_clip=False measures them in units of x's spread about "
      "its mean, as a fit does (gioselect.relaxed_kl), so that scaling or shifting x and w changes nothing. metric='cosine': between rows scaled to unit length.",
      data_arg<T>("x"), data_arg<T>("w"), pyb::arg("k") = 5, pyb::arg("eps") = 1e-8,
      pyb::arg("discard_nearest_for_xy") = false, pyb::arg("n_threads") = 0, pyb::arg("absolute_clip") = true,
      pyb::arg("metric") = "euclidean");
  m.def(
      "knn_kl",
      [](const CArray<T>& x, const CArray<T>& w, int k, int n_threads, const std::string& metric) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        const auto how = parse<Metric>(metric);
        return interruptible([&](const InterruptCheck* i) { return knn_kl(xv, wv, k, n_threads, i, Units::Target, how); });
      },
      "Exact k-NN estimate of KL(x || w) (Wang, Kulkarni & Verdu 2009; DESIGN.md 2b), with distances in units "
      "of x's spread about its mean (scaling or shifting x and w together changes nothing); metric='cosine': "
      "between rows scaled to unit length, on the sphere's d - 1 dimensions.",
      data_arg<T>("x"), data_arg<T>("w"), pyb::arg("k") = 5, pyb::arg("n_threads") = 0, pyb::arg("metric") = "euclidean");
  m.def(
      "knn_kl_events",
      [](const CArray<T>& x, const CArray<T>& rows, int k, int n_threads, const std::string& metric) {
        auto xv = view2d(x, "X"), rv = view2d(rows, "rows");
        const auto how = parse<Metric>(metric);
        KnnEvents ev = interruptible(
            [&](const InterruptCheck* i) { return knn_kl_events(xv, rv, k, n_threads, i, Units::Target, how); });
        return pyb::make_tuple(to_numpy(ev.counts), to_numpy(ev.target), to_numpy(ev.distance));
      },
      "selection_kl_ on a Dask worker: for rows (one chunk's selected rows, in pick order) added one by one, "
      "every change of the targets' k-NN lists within these rows, as (counts: per row, how many; target, distance: "
      "per change, targets ascending within a row). knn_kl_replay turns the chunks' changes into knn_kl(x, W, k).",
      data_arg<T>("x"), data_arg<T>("rows"), pyb::arg("k") = 5, pyb::arg("n_threads") = 0,
      pyb::arg("metric") = "euclidean");
  m.def(
      "knn_kl_replay",
      [](const CArray<T>& x, const CArray<std::int64_t>& position, const CArray<std::int32_t>& target,
         const CArray<double>& distance, std::int64_t n_rows, int k, int n_threads, const std::string& metric) {
        auto xv = view2d(x, "X");
        const auto count = static_cast<std::size_t>(position.size());
        vector_arg(position, count, "position");
        vector_arg(target, count, "target");
        vector_arg(distance, count, "distance");
        if (n_rows < 0) throw std::invalid_argument("n_rows must be >= 0, got " + std::to_string(n_rows));
        const auto how = parse<Metric>(metric);
        return interruptible([&](const InterruptCheck* i) {
          return knn_kl_replay(xv, position.data(), target.data(), distance.data(), count,
                               static_cast<std::size_t>(n_rows), k, n_threads, i, Units::Target, how);
        });
      },
      "knn_kl(x, W, k) of W's n_rows rows from the changes knn_kl_events reported for W's chunks, merged in "
      "(position in W, target) order: the same value bit for bit (the same float operations, in order).",
      data_arg<T>("x"), pyb::arg("position"), pyb::arg("target"), pyb::arg("distance"), pyb::arg("n_rows"),
      pyb::arg("k") = 5, pyb::arg("n_threads") = 0, pyb::arg("metric") = "euclidean");
  m.def(
      "relaxed_kl_gradient",
      [](const CArray<T>& x, const CArray<T>& w, const CArray<double>& v, int k, double eps, bool discard,
         int n_threads, bool absolute_clip) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        auto vv = vector1d(v, xv.cols, "v");
        std::vector<double> g;
        {
          pyb::gil_scoped_release nogil;
          g = relaxed_kl_gradient(xv, wv, vv.data(), k, eps, discard, n_threads, units_of(absolute_clip));
        }
        return to_numpy(g);
      },
      "Gradient of the relaxed estimate KL(x || w + {v}) with respect to v (absolute_clip: as relaxed_kl).",
      data_arg<T>("x"), data_arg<T>("w"), pyb::arg("v"), pyb::arg("k") = 5, pyb::arg("eps") = 1e-8,
      pyb::arg("discard_nearest_for_xy") = false, pyb::arg("n_threads") = 0, pyb::arg("absolute_clip") = true);
}

}  // namespace

void init_estimator(pyb::module_& m) {
  register_dtype<float>(m);
  register_dtype<double>(m);
  m.def(
      "knn_kl_merge",
      [](std::int64_t n_targets, int k, const CArray<std::int64_t>& position, const CArray<std::int32_t>& target,
         const CArray<double>& distance) {
        const auto count = static_cast<std::size_t>(position.size());
        vector_arg(position, count, "position");
        vector_arg(target, count, "target");
        vector_arg(distance, count, "distance");
        if (n_targets < 1) throw std::invalid_argument("n_targets must be >= 1, got " + std::to_string(n_targets));
        std::vector<std::uint8_t> keep;
        {
          pyb::gil_scoped_release nogil;
          keep = knn_kl_merge(static_cast<std::size_t>(n_targets), k, position.data(), target.data(), distance.data(),
                              count);
        }
        return to_numpy(keep);
      },
      "Of some chunks' knn_kl_events merged in (position, target) order, those the k-NN lists within all their "
      "rows accept (1) or reject (0): the events of those rows as one chunk, for a merge tree on the workers.",
      pyb::arg("n_targets"), pyb::arg("k"), pyb::arg("position"), pyb::arg("target"), pyb::arg("distance"));
}

}  // namespace gio::py
