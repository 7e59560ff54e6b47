// Which build of the kernels this process runs (src/kernels/kernel_dispatch.hpp): chosen once, at
// the first kernel call, from the CPU and GIOSELECT_SIMD. Builds may differ in a distance's last
// bits, so processes that must agree bit for bit (a Dask client and its workers) compare it.
#pragma once

namespace gio {
const char* simd_kernel();  // "avx2+fma" or "generic"
}  // namespace gio
