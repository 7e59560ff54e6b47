// Vector values for the kernels (internal): GCC/Clang vector extensions, which become AVX
// registers in the AVX2 build and pairs of SSE registers in the portable one.
#pragma once
#include <cstring>

#include "kernel_dispatch.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define GIO_HAVE_VECTORS 1
#pragma GCC diagnostic ignored "-Wpsabi"  // the helpers are always inlined: no ABI is crossed

namespace gio::kernels {
typedef float v8f __attribute__((vector_size(32)));
typedef double v4d __attribute__((vector_size(32)));

template <class V, class S>
GIO_INLINE V load_vec(const S* p) {
  V r;
  std::memcpy(&r, p, sizeof r);
  return r;
}
template <class V, class S>
GIO_INLINE void store_vec(S* p, V a) {
  std::memcpy(p, &a, sizeof a);
}
}  // namespace gio::kernels
#else
#define GIO_HAVE_VECTORS 0
#endif
