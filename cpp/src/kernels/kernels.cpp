#include "kernels.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "gio/constants.hpp"
#include "gio/simd.hpp"

#include "kernel_dispatch.hpp"

namespace gio::kernels {
namespace {

GIO_INLINE double dot_body(const double* a, const double* b, std::size_t d) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (std::size_t j = 0; j < d; ++j) s += a[j] * b[j];
  return s;
}

GIO_INLINE void gradient_block_body(const double* x, const double* sq_norms, std::size_t r0,
                                    std::size_t r1, std::size_t d, const double* v, double v_sq,
                                    const double* min_sq, double eps, double* u, double* phi) {
  double phi_sum = 0;
  for (std::size_t i = r0; i < r1; ++i) {
    const double* xi = x + i * d;
    const double s = sq_norms[i] + v_sq - 2.0 * dot_body(xi, v, d);
    if (!(s > kClipLow && s < kClipHigh)) continue;  // clipped: zero gradient
    if (min_sq && s < min_sq[i]) continue;            // v is this target's discarded nearest
    const double dl = std::sqrt(s);
    const double w = 1.0 / (dl * (dl + eps));
    phi_sum += w;
#pragma omp simd
    for (std::size_t j = 0; j < d; ++j) u[j] += w * xi[j];
  }
  *phi += phi_sum;
}

GIO_INLINE float dot_f32_body(const float* a, const float* b, std::size_t d) {
  float s = 0;
#pragma omp simd reduction(+ : s)
  for (std::size_t j = 0; j < d; ++j) s += a[j] * b[j];
  return s;
}

// Rows [r0, r1) with r1 - r0 <= kMaxBlock. Three passes over the block, each vectorised:
//  1. x_i.v for all rows at once from the column-major copy (a broadcast FMA per column, no
//     horizontal sums);
//  2. the weights, with the clip and the reference's order |x|^2 + (-2 x.v) + |v|^2;
//  3. u += w_i x_i from the row-major copy, eight rows per read-modify-write of u.
constexpr std::size_t kMaxBlock = 64;

// kLen > 0: a full block of compile-time length (the dot products then stay in registers);
// kLen == 0: a tail block of r1 - r0 rows.
template <std::size_t kLen>
GIO_INLINE void gradient_block_f32_body(const float* x, const float* xt, std::size_t n,
                                        const float* sq_norms, std::size_t r0, std::size_t r1,
                                        std::size_t d, const float* v, float v_sq,
                                        const double* min_sq, float eps, float* u, float* phi) {
  const std::size_t len = kLen > 0 ? kLen : r1 - r0;
  alignas(32) float dot[kMaxBlock] = {};
  for (std::size_t j = 0; j < d; ++j) {
    const float vj = v[j];
    const float* col = xt + j * n + r0;
#pragma omp simd
    for (std::size_t i = 0; i < len; ++i) dot[i] += col[i] * vj;
  }
  const float lo = static_cast<float>(kClipLow), hi = static_cast<float>(kClipHigh);
  alignas(32) float w[kMaxBlock];
  float phi_sum = 0;
#pragma omp simd
  for (std::size_t i = 0; i < len; ++i) {
    // Branch-free so that it vectorises: weigh the clipped value, then zero what was clipped.
    const float s = (sq_norms[r0 + i] + -2.0f * dot[i]) + v_sq;
    const float c = s < lo ? lo : (s > hi ? hi : s);
    const float dl = std::sqrt(c);
    const float wi = 1.0f / (dl * (dl + eps));
    w[i] = (s > lo && s < hi) ? wi : 0.0f;
    dot[i] = s;
  }
  if (min_sq)  // discard_nearest: v's term is dropped where v is that target's nearest point
    for (std::size_t i = 0; i < len; ++i)
      if (static_cast<double>(dot[i]) < min_sq[r0 + i]) w[i] = 0.0f;
#pragma omp simd reduction(+ : phi_sum)
  for (std::size_t i = 0; i < len; ++i) phi_sum += w[i];

  std::size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    const float* x0 = x + (r0 + i) * d;
    const float* wi = w + i;
    // a chain of fused multiply-adds: eight per element of u, one load and store of u
#pragma omp simd
    for (std::size_t j = 0; j < d; ++j) {
      float a = u[j];
      a += wi[0] * x0[j];
      a += wi[1] * x0[d + j];
      a += wi[2] * x0[2 * d + j];
      a += wi[3] * x0[3 * d + j];
      a += wi[4] * x0[4 * d + j];
      a += wi[5] * x0[5 * d + j];
      a += wi[6] * x0[6 * d + j];
      a += wi[7] * x0[7 * d + j];
      u[j] = a;
    }
  }
  for (; i < len; ++i) {
    const float* xi = x + (r0 + i) * d;
    const float wi = w[i];
#pragma omp simd
    for (std::size_t j = 0; j < d; ++j) u[j] += wi * xi[j];
  }
  *phi += phi_sum;
}

// Portable builds.
double dot_generic(const double* a, const double* b, std::size_t d) { return dot_body(a, b, d); }
void gradient_block_generic(const double* x, const double* n, std::size_t r0, std::size_t r1,
                            std::size_t d, const double* v, double vs, const double* m, double e,
                            double* u, double* p) {
  gradient_block_body(x, n, r0, r1, d, v, vs, m, e, u, p);
}
void gradient_block_f32_generic(const float* x, const float* xt, std::size_t n, const float* nr,
                                std::size_t r0, std::size_t r1, std::size_t d, const float* v, float vs,
                                const double* m, float e, float* u, float* p) {
  if (r1 - r0 == kMaxBlock) gradient_block_f32_body<kMaxBlock>(x, xt, n, nr, r0, r1, d, v, vs, m, e, u, p);
  else gradient_block_f32_body<0>(x, xt, n, nr, r0, r1, d, v, vs, m, e, u, p);
}

#if GIO_HAVE_AVX2_CLONE
GIO_AVX2 double dot_avx2(const double* a, const double* b, std::size_t d) { return dot_body(a, b, d); }
GIO_AVX2 void gradient_block_avx2(const double* x, const double* n, std::size_t r0, std::size_t r1,
                                  std::size_t d, const double* v, double vs, const double* m,
                                  double e, double* u, double* p) {
  gradient_block_body(x, n, r0, r1, d, v, vs, m, e, u, p);
}
GIO_AVX2 void gradient_block_f32_avx2(const float* x, const float* xt, std::size_t n, const float* nr,
                                      std::size_t r0, std::size_t r1, std::size_t d, const float* v,
                                      float vs, const double* m, float e, float* u, float* p) {
  if (r1 - r0 == kMaxBlock) gradient_block_f32_body<kMaxBlock>(x, xt, n, nr, r0, r1, d, v, vs, m, e, u, p);
  else gradient_block_f32_body<0>(x, xt, n, nr, r0, r1, d, v, vs, m, e, u, p);
}

#endif

}  // namespace

double dot(const double* a, const double* b, std::size_t d) { GIO_DISPATCH(dot, a, b, d); }
void gradient_block(const double* x, const double* sq_norms, std::size_t r0, std::size_t r1,
                    std::size_t d, const double* v, double v_sq, const double* min_sq, double eps,
                    double* u, double* phi) {
  GIO_DISPATCH(gradient_block, x, sq_norms, r0, r1, d, v, v_sq, min_sq, eps, u, phi);
}
void gradient_block_f32(const float* x, const float* xt, std::size_t n, const float* sq_norms,
                        std::size_t r0, std::size_t r1, std::size_t d, const float* v, float v_sq,
                        const double* min_sq, float eps, float* u, float* phi) {
  if (r1 - r0 > kMaxBlock) throw std::invalid_argument("gradient_block_f32: block too large");
  GIO_DISPATCH(gradient_block_f32, x, xt, n, sq_norms, r0, r1, d, v, v_sq, min_sq, eps, u, phi);
}

}  // namespace gio::kernels

const char* gio::simd_kernel() {
#if GIO_HAVE_AVX2_CLONE
  return kernels::use_avx2() ? "avx2+fma" : "generic";
#else
  return "generic";
#endif
}
