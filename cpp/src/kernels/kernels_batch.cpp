#include <cmath>
#include <stdexcept>

#include "gio/constants.hpp"
#include "kernel_dispatch.hpp"
#include "kernels.hpp"
#include "simd_vectors.hpp"

namespace gio::kernels {
namespace {

constexpr std::size_t kMaxBlock = 64;
constexpr int B = kBatch;

GIO_INLINE void batch_body(const float* x, const float* xt, std::size_t n, const float* sq_norms,
                           std::size_t r0, std::size_t r1, std::size_t d, const float* v,
                           const float* v_sq, float eps, float* u, float* phi) {
  const std::size_t len = r1 - r0;
  alignas(32) float s[B][kMaxBlock];

  // 1. x_i . v_b: sixteen rows at a time from the column-major copy, 2 x B accumulators.
  std::size_t i = 0;
#if GIO_HAVE_VECTORS
  for (; i + 16 <= len; i += 16) {
    v8f a[B][2] = {};
    for (std::size_t j = 0; j < d; ++j) {
      const float* col = xt + j * n + r0 + i;
      const v8f c0 = load_vec<v8f>(col), c1 = load_vec<v8f>(col + 8);
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) {
        const float vb = v[b * d + j];
        a[b][0] += c0 * vb;
        a[b][1] += c1 * vb;
      }
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      store_vec(&s[b][i], a[b][0]);
      store_vec(&s[b][i + 8], a[b][1]);
    }
  }
#endif
  for (; i < len; ++i)
    for (int b = 0; b < B; ++b) {
      float t = 0;
      for (std::size_t j = 0; j < d; ++j) t += x[(r0 + i) * d + j] * v[b * d + j];
      s[b][i] = t;
    }

  // 2. weights, as in gradient_block_f32 (reference order, zero where clipped).
  const float lo = static_cast<float>(kClipLow), hi = static_cast<float>(kClipHigh);
  alignas(32) float w[B][kMaxBlock];
  for (int b = 0; b < B; ++b) {
    float sum = 0;
#pragma omp simd reduction(+ : sum)
    for (std::size_t r = 0; r < len; ++r) {
      const float sq = (sq_norms[r0 + r] + -2.0f * s[b][r]) + v_sq[b];
      const float c = sq < lo ? lo : (sq > hi ? hi : sq);
      const float dl = std::sqrt(c);
      const float wr = (sq > lo && sq < hi) ? 1.0f / (dl * (dl + eps)) : 0.0f;
      w[b][r] = wr;
      sum += wr;
    }
    phi[b] += sum;
  }

  // 3. u_b += sum_r w_br x_r: sixteen columns at a time (2 x B accumulators: enough independent
  // chains to keep both FMA units busy), each chunk of an x row loaded once for all descents.
  std::size_t j = 0;
#if GIO_HAVE_VECTORS
  for (; j + 16 <= d; j += 16) {
    v8f acc[B][2];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      acc[b][0] = load_vec<v8f>(u + b * d + j);
      acc[b][1] = load_vec<v8f>(u + b * d + j + 8);
    }
    for (std::size_t r = 0; r < len; ++r) {
      const float* xr = x + (r0 + r) * d + j;
      const v8f x0 = load_vec<v8f>(xr), x1 = load_vec<v8f>(xr + 8);
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) {
        acc[b][0] += x0 * w[b][r];
        acc[b][1] += x1 * w[b][r];
      }
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) {
      store_vec(u + b * d + j, acc[b][0]);
      store_vec(u + b * d + j + 8, acc[b][1]);
    }
  }
  for (; j + 8 <= d; j += 8) {
    v8f acc[B];
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) acc[b] = load_vec<v8f>(u + b * d + j);
    for (std::size_t r = 0; r < len; ++r) {
      const v8f xr = load_vec<v8f>(x + (r0 + r) * d + j);
#pragma GCC unroll 4
      for (int b = 0; b < B; ++b) acc[b] += xr * w[b][r];
    }
#pragma GCC unroll 4
    for (int b = 0; b < B; ++b) store_vec(u + b * d + j, acc[b]);
  }
#endif
  for (; j < d; ++j)
    for (int b = 0; b < B; ++b) {
      float t = u[b * d + j];
      for (std::size_t r = 0; r < len; ++r) t += w[b][r] * x[(r0 + r) * d + j];
      u[b * d + j] = t;
    }
}

void batch_generic(const float* x, const float* xt, std::size_t n, const float* nr, std::size_t r0,
                   std::size_t r1, std::size_t d, const float* v, const float* vs, float e, float* u,
                   float* p) {
  batch_body(x, xt, n, nr, r0, r1, d, v, vs, e, u, p);
}
#if GIO_HAVE_AVX2_CLONE
GIO_AVX2 void batch_avx2(const float* x, const float* xt, std::size_t n, const float* nr, std::size_t r0,
                         std::size_t r1, std::size_t d, const float* v, const float* vs, float e, float* u,
                         float* p) {
  batch_body(x, xt, n, nr, r0, r1, d, v, vs, e, u, p);
}
#endif

}  // namespace

void gradient_block_f32_batch(const float* x, const float* xt, std::size_t n, const float* sq_norms,
                              std::size_t r0, std::size_t r1, std::size_t d, const float* v,
                              const float* v_sq, float eps, float* u, float* phi) {
  if (r1 - r0 > kMaxBlock) throw std::invalid_argument("gradient_block_f32_batch: block too large");
  GIO_DISPATCH(batch, x, xt, n, sq_norms, r0, r1, d, v, v_sq, eps, u, phi);
}

}  // namespace gio::kernels
