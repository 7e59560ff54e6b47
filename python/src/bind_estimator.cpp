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
        const InterruptCheck interrupted = python_interrupt_check();
        double kl = 0;
        try {
          pyb::gil_scoped_release nogil;
          kl = knn_kl(xv, wv, k, n_threads, &interrupted, Units::Target, how);
        } catch (Interrupted&) {
          raise_pending_interrupt();  // with the GIL held again
        }
        return kl;
      },
      "Exact k-NN estimate of KL(x || w) (Wang, Kulkarni & Verdu 2009; DESIGN.md 2b), with distances in units "
      "of x's spread about its mean (scaling or shifting x and w together changes nothing); metric='cosine': "
      "between rows scaled to unit length, on the sphere's d - 1 dimensions.",
      data_arg<T>("x"), data_arg<T>("w"), pyb::arg("k") = 5, pyb::arg("n_threads") = 0, pyb::arg("metric") = "euclidean");
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
}

}  // namespace gio::py
