// The extension module gioselect._core: a thin layer over the C++ core (cpp/).
#include <pybind11/pybind11.h>

#include "gio/simd.hpp"

#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "gioselect C++ core (GIO estimators, descent, projection, selection loop)";
  gio::py::init_estimator(m);
  gio::py::init_options(m);
  gio::py::init_selector(m);
  gio::py::init_projection(m);
  gio::py::init_greedy(m);
  m.def("simd_kernel", &gio::simd_kernel,
        "The kernels' build this process runs ('avx2+fma' or 'generic'; GIOSELECT_SIMD=generic forces the "
        "portable one), chosen once at the first call: distances may differ in the last bits between builds.");
}
