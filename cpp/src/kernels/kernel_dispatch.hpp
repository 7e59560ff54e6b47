// How kernels get a portable build and an AVX2+FMA build from one body (internal).
#pragma once

// The bodies are written once as always-inline templates and instantiated in two wrappers: a
// portable one and, on x86-64 GCC/Clang, one compiled for AVX2+FMA. Wheels stay portable (no
// -march=native) while machines that have AVX2 run the fast build.
#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define GIO_HAVE_AVX2_CLONE 1
#define GIO_AVX2 __attribute__((target("avx2,fma")))
#else
#define GIO_HAVE_AVX2_CLONE 0
#define GIO_AVX2
#endif

#if defined(__GNUC__) || defined(__clang__)
#define GIO_INLINE inline __attribute__((always_inline))
#else
#define GIO_INLINE inline
#endif

#include <cstdlib>
#include <string>

namespace gio::kernels {
#if GIO_HAVE_AVX2_CLONE
// GIOSELECT_SIMD=generic forces the portable build (the tests run both builds on AVX2 machines).
inline bool use_avx2() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                         !(std::getenv("GIOSELECT_SIMD") && std::string(std::getenv("GIOSELECT_SIMD")) == "generic");
  return ok;
}
#define GIO_DISPATCH(name, ...) return use_avx2() ? name##_avx2(__VA_ARGS__) : name##_generic(__VA_ARGS__)
#else
#define GIO_DISPATCH(name, ...) return name##_generic(__VA_ARGS__)
#endif
}  // namespace gio::kernels
