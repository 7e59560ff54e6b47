#include "gio/knn_kl.hpp"
#include "gio/relaxed_kl.hpp"

#include "bindings.hpp"

namespace gio::py {
namespace {

template <class T>
void register_dtype(pyb::module_& m) {
  m.def(
      "relaxed_kl",
      [](const CArray<T>& x, const CArray<T>& w, int k, double eps, bool discard, int n_threads) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        pyb::gil_scoped_release nogil;
        return relaxed_kl(xv, wv, k, eps, discard, n_threads);
      },
      pyb::arg("x"), pyb::arg("w"), pyb::arg("k") = 5, pyb::arg("eps") = 1e-8,
      pyb::arg("discard_nearest_for_xy") = false, pyb::arg("n_threads") = 0);
  m.def(
      "knn_kl",
      [](const CArray<T>& x, const CArray<T>& w, int k, int n_threads) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        pyb::gil_scoped_release nogil;
        return knn_kl(xv, wv, k, n_threads);
      },
      pyb::arg("x"), pyb::arg("w"), pyb::arg("k") = 5, pyb::arg("n_threads") = 0);
  m.def(
      "relaxed_kl_gradient",
      [](const CArray<T>& x, const CArray<T>& w, const CArray<double>& v, int k, double eps, bool discard,
         int n_threads) {
        auto xv = view2d(x, "X"), wv = view2d(w, "W");
        auto vv = vector1d(v, xv.cols, "v");
        std::vector<double> g;
        {
          pyb::gil_scoped_release nogil;
          g = relaxed_kl_gradient(xv, wv, vv.data(), k, eps, discard, n_threads);
        }
        return to_numpy(g);
      },
      pyb::arg("x"), pyb::arg("w"), pyb::arg("v"), pyb::arg("k") = 5, pyb::arg("eps") = 1e-8,
      pyb::arg("discard_nearest_for_xy") = false, pyb::arg("n_threads") = 0);
}

}  // namespace

void init_estimator(pyb::module_& m) {
  register_dtype<float>(m);
  register_dtype<double>(m);
}

}  // namespace gio::py
