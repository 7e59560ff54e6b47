#include "domain_estimate.hpp"

#include <algorithm>
#include <stdexcept>

namespace gio::detail {
namespace {

// tail[tau] = rows with count >= tau, for tau = 0..k+1.
std::vector<double> tail_counts(const std::vector<std::uint32_t>& counts, std::size_t k) {
  std::vector<double> tail(k + 2, 0.0);
  for (std::uint32_t t : counts) {
    if (t > k) throw std::logic_error("a neighbour count exceeds K");
    tail[t] += 1;
  }
  for (std::size_t tau = k + 1; tau-- > 0;) tail[tau] += tail[tau + 1];
  return tail;
}

}  // namespace

DomainEstimate estimate_domain(const std::vector<std::uint32_t>& pool_targets,
                               const std::vector<std::uint32_t>& target_targets, std::size_t k) {
  DomainEstimate out;
  if (pool_targets.empty() || target_targets.empty()) return out;
  const auto m = static_cast<double>(pool_targets.size()), n = static_cast<double>(target_targets.size());
  const std::vector<double> pool_tail = tail_counts(pool_targets, k), target_tail = tail_counts(target_targets, k);
  out.share = 1.0;  // tau = 0 keeps every row of both
  for (std::size_t tau = 1; tau <= k && target_tail[tau] >= kShareTargetMass * n; ++tau)
    out.share = std::min(out.share, (pool_tail[tau] / m) / (target_tail[tau] / n));
  double best = 0;  // tau = k + 1: the empty domain
  out.min_targets = k + 1;
  for (std::size_t tau = k + 1; tau-- > 0;) {  // from the top, so a tie keeps the larger domain
    const double value = 2 * out.share * target_tail[tau] / n - pool_tail[tau] / m;
    if (value >= best) best = value, out.min_targets = tau;
  }
  return out;
}

}  // namespace gio::detail
