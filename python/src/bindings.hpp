// Shared helpers of the binding files: one init_<area>(m) per area.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gio/hooks.hpp"
#include "gio/interrupt.hpp"
#include "gio/matrix.hpp"
#include "gio/result.hpp"

namespace gio::py {
namespace pyb = pybind11;

void init_estimator(pyb::module_& m);
void init_options(pyb::module_& m);
void init_selector(pyb::module_& m);
void init_projection(pyb::module_& m);
void init_greedy(pyb::module_& m);

// Runs select_fn(hooks) with the GIL released (bind_selector.cpp). on_step(n_iter, n_selected,
// kl, kl_start) -> 0 go on, 1 stop, 2 hand the state to on_checkpoint; an interrupt (Ctrl-C)
// hands the last state to on_checkpoint, then raises KeyboardInterrupt.
Result run_hooked(const std::function<Result(const Hooks&)>& select_fn, const pyb::object& on_step,
                  const pyb::object& on_checkpoint);

template <class T>
using CArray = pyb::array_t<T, pyb::array::c_style>;

// A 2-D C-contiguous view (checked with the GIL held); `name` goes into the error message.
template <class T>
MatrixView<T> view2d(const CArray<T>& a, const char* name) {
  if (a.ndim() != 2)
    throw std::invalid_argument(std::string(name) + " must be 2-D, got " + std::to_string(a.ndim()) + "-D");
  return MatrixView<T>(a.data(), static_cast<std::size_t>(a.shape(0)), static_cast<std::size_t>(a.shape(1)));
}

inline std::vector<double> vector1d(const CArray<double>& a, std::size_t d, const char* name) {
  if (a.ndim() != 1 || static_cast<std::size_t>(a.shape(0)) != d)
    throw std::invalid_argument(std::string(name) + " must have shape (" + std::to_string(d) + ",)");
  return std::vector<double>(a.data(), a.data() + d);
}

template <class T>
pyb::array_t<T> to_numpy(const std::vector<T>& v) {
  pyb::array_t<T> out(static_cast<pyb::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), out.mutable_data());
  return out;
}

// Polls Python's signal handlers at most every 50 ms; true once Ctrl-C (or any handler) raised.
// A call into Python from inside a run (the GIL held): Ctrl-C inside it is the run's interrupt
// (left pending, raised again when the run returns); any other Python error propagates as it is.
template <class F>
pyb::object call_python(F&& f) {
  try {
    return f();
  } catch (pyb::error_already_set& e) {
    if (!e.matches(PyExc_KeyboardInterrupt)) throw;
    e.restore();
    throw Interrupted();
  }
}

// The (n, cols) row values a caller's projection or source returned, in the pool's dtype (no
// conversion: other bits would be other picks). who: what returned them, for the error.
template <class T>
CArray<T> returned_values(const pyb::object& values, std::size_t n, std::size_t cols, const char* who) {
  if (!pyb::isinstance<CArray<T>>(values))
    throw pyb::type_error(std::string(who) + " values must be a C-contiguous " +
                          (std::is_same_v<T, float> ? "float32" : "float64") + " array (the pool's dtype)");
  CArray<T> a = values.cast<CArray<T>>();
  if (a.ndim() != 2 || static_cast<std::size_t>(a.shape(0)) != n || static_cast<std::size_t>(a.shape(1)) != cols)
    throw std::invalid_argument(std::string(who) + " values must have shape (" + std::to_string(n) + ", " +
                                std::to_string(cols) + ")");
  return a;
}

inline InterruptCheck python_interrupt_check() {
  auto last = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  return [last]() {
    const auto now = std::chrono::steady_clock::now();
    if (now - *last < std::chrono::milliseconds(50)) return false;
    *last = now;
    pyb::gil_scoped_acquire gil;
    return PyErr_CheckSignals() != 0;
  };
}

// After the core stopped on an interrupt: raise the KeyboardInterrupt that the signal check
// left pending (or, if none is, a RuntimeError saying the run was interrupted).
[[noreturn]] inline void raise_pending_interrupt() {
  if (PyErr_Occurred()) throw pyb::error_already_set();
  throw std::runtime_error("gioselect run interrupted");
}

}  // namespace gio::py
