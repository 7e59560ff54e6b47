// Selecting training data with gioselect from C++ (no Python): link the `gio::core` target.
//
// The pool holds two Gaussian clusters, A around +2 and B around -2 (rows interleaved at
// random); the target sample comes from cluster A only. GIO should pick (almost) only A rows.
// Exits non-zero when it does not, so ctest runs this program as a test.
#include <cstdio>
#include <random>
#include <vector>

#include "gio/options.hpp"
#include "gio/rng.hpp"
#include "gio/selector.hpp"
#include "gio/start.hpp"

int main() {
  const std::size_t d = 8, n_pool = 2000, n_target = 200;
  std::mt19937_64 gen(42);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  std::bernoulli_distribution coin(0.5);

  // Row-major float32 arrays owned by the caller; gio::MatrixView only points at them.
  std::vector<float> pool(n_pool * d), target(n_target * d);
  std::vector<char> from_a(n_pool);
  for (std::size_t i = 0; i < n_pool; ++i) {
    from_a[i] = coin(gen);
    for (std::size_t j = 0; j < d; ++j) pool[i * d + j] = (from_a[i] ? 2.0f : -2.0f) + noise(gen);
  }
  for (float& x : target) x = 2.0f + noise(gen);

  // Start set W_0: the reference's "uniform start", 10 points uniform in [-1, 1]^d.
  gio::Rng rng(7);
  const std::vector<double> w0d = gio::uniform_start(10, d, {-1.0}, {1.0}, false, rng);
  const std::vector<float> w0(w0d.begin(), w0d.end());

  gio::Options opts;  // k = 5, stop when a pick would raise the KL, exact projection
  opts.stop.max_picks = 300;
  opts.seed = 1;
  const gio::Result res = gio::select<float>(gio::MatrixView<float>(pool.data(), n_pool, d),
                                             gio::MatrixView<float>(target.data(), n_target, d),
                                             gio::MatrixView<float>(w0.data(), w0.size() / d, d), opts);

  std::printf("KL(target || start) = %.4f\n", res.kl_start);
  std::printf("selected %zu rows, stop: %s\n", res.selected.size(), res.stop_reason.c_str());
  std::size_t hits = 0;
  for (std::size_t t = 0; t < res.selected.size(); ++t) {
    const std::int64_t row = res.selected[t];
    hits += from_a[static_cast<std::size_t>(row)] ? 1 : 0;
    if (t < 20 || t + 5 >= res.selected.size())
      std::printf("  pick %3zu: row %5lld (cluster %c)  KL = %.4f\n", t + 1, static_cast<long long>(row),
                  from_a[static_cast<std::size_t>(row)] ? 'A' : 'B', res.kl_trace[t]);
    else if (t == 20)
      std::printf("  ...\n");
  }
  const double frac = res.selected.empty() ? 0.0 : static_cast<double>(hits) / static_cast<double>(res.selected.size());
  std::printf("%zu of %zu picks (%.1f%%) come from the target's cluster A\n", hits, res.selected.size(), 100 * frac);

  // The exact greedy step on the k-NN estimate: 100 picks, each the row that lowers it the most.
  gio::Options greedy;
  greedy.objective.kind = gio::Objective::Knn;
  greedy.search.kind = gio::Search::Greedy;
  greedy.stop.n_select = 100;
  const gio::Result g = gio::select<float>(gio::MatrixView<float>(pool.data(), n_pool, d),
                                           gio::MatrixView<float>(target.data(), n_target, d),
                                           gio::MatrixView<float>(w0.data(), w0.size() / d, d), greedy);
  std::size_t g_hits = 0;
  for (std::int64_t row : g.selected) g_hits += from_a[static_cast<std::size_t>(row)] ? 1 : 0;
  std::printf("greedy (knn): %zu picks, %zu from cluster A, k-NN KL %.4f -> %.4f\n", g.selected.size(), g_hits,
              g.kl_start, g.kl_trace.back());

  const bool ok = res.selected.size() >= 10 && frac >= 0.9 && res.kl_trace.back() < res.kl_start &&
                  g.selected.size() == 100 && g_hits >= 90 && g.kl_trace.back() < g.kl_start;
  if (!ok) std::fprintf(stderr, "unexpected selection\n");
  return ok ? 0 : 1;
}
