// Single-threaded kernels over a range of rows; callers split rows across OpenMP threads.
// Each has a portable build and, on x86-64, an AVX2+FMA build chosen once at run time.
#pragma once
#include <cstddef>
#include <cstdint>

namespace gio::kernels {

double dot(const double* a, const double* b, std::size_t d);

// Gradient pieces over rows [r0, r1): phi += sum_i phi_i and u += sum_i phi_i x_i, where
// phi_i = 1/(delta_i (delta_i + eps)) for rows whose squared distance to v is inside the clip
// and, when min_sq is given, not below min_sq[i] (discard_nearest: v's term is dropped where v
// is that target's nearest point).
void gradient_block(const double* x, const double* sq_norms, std::size_t r0, std::size_t r1,
                    std::size_t d, const double* v, double v_sq, const double* min_sq, double eps,
                    double* u, double* phi);

// The descent's kernel, in float32 like the reference (whose float32 cancellation in
// |x|^2 - 2x.v + |v|^2 floors distances near target points and so tames the log singularity):
// u += sum_i phi_i x_i and phi += sum_i phi_i over rows [r0, r1) (at most 64), same row rules
// as above. x is row-major (n x d), xt the same rows column-major (d x n). The caller forms the
// gradient phi * v - u, the same split the reference's autodiff makes.
void gradient_block_f32(const float* x, const float* xt, std::size_t n, const float* sq_norms,
                        std::size_t r0, std::size_t r1, std::size_t d, const float* v, float v_sq,
                        const double* min_sq, float eps, float* u, float* phi);

// Squared Euclidean distance sum_j (a_j - b_j)^2 with a stored as T (float or double).
// row_scale (optional, here and in the row kernels below): a is read as a * *row_scale (the row
// kernels: row i as row_i * row_scale[i - r0]); metric='cosine' passes 1 / |row|.
double sq_diff_f(const float* a, const double* b, std::size_t d, const double* row_scale = nullptr);
double sq_diff_d(const double* a, const double* b, std::size_t d, const double* row_scale = nullptr);

}  // namespace gio::kernels

namespace gio::kernels {

// kBatch descents at once (for descents of different picks that do not depend on W): over rows
// [r0, r1) (at most 64), for every b: u_b += sum_i phi_bi x_i and phi_b += sum_i phi_bi, with the
// same weights as gradient_block_f32 (no discard). v and u are kBatch x d, row-major. Each
// column of x is loaded once for all descents, which makes the step compute-bound.
constexpr int kBatch = 4;
void gradient_block_f32_batch(const float* x, const float* xt, std::size_t n, const float* sq_norms,
                              std::size_t r0, std::size_t r1, std::size_t d, const float* v,
                              const float* v_sq, float eps, float* u, float* phi);

}  // namespace gio::kernels

namespace gio::kernels {

// Dot products against many rows at once from a column-major copy xt (d x n) of a matrix:
// vectorised across rows, so no horizontal sums. out[i] = x_i . w for i < n.
void dots_colmajor(const double* xt, std::size_t n, std::size_t d, const double* w, double* out);
// out[r * n + i] = x_{i0 + r} . x_i for r < rows (at most 4) and every i < n.
void dots_rows_colmajor(const double* x, const double* xt, std::size_t n, std::size_t d, std::size_t i0,
                        std::size_t rows, double* out);

}  // namespace gio::kernels

namespace gio::kernels {

// Nearest available row of a row-major matrix (rows [r0, r1), d columns, float or double) to v:
// squared Euclidean distances in double; updates (*best, *best_row) on a smaller distance, or an
// equal one at a lower row. Rows with taken[i] != 0 are skipped.
void nearest_rows(const float* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                  const double* v, double* best, std::int64_t* best_row, const double* row_scale = nullptr);
void nearest_rows(const double* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                  const double* v, double* best, std::int64_t* best_row, const double* row_scale = nullptr);

}  // namespace gio::kernels

namespace gio::kernels {

// out[i - r0] = squared Euclidean distance from row i to v (double), +inf for taken rows.
void sq_dists_rows(const float* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                   const double* v, double* out, const double* row_scale = nullptr);
void sq_dists_rows(const double* a, std::size_t d, std::size_t r0, std::size_t r1, const std::uint8_t* taken,
                   const double* v, double* out, const double* row_scale = nullptr);

}  // namespace gio::kernels
