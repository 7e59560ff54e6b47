// How many pool rows are target-like: the size search='spread' stops at (internal to the core).
//
// Every pool row g has t_g, the targets among its K nearest rows of the reference (the target
// plus a pool sample S); spread_order.hpp. The pool is a mixture: a share pi of rows from the
// target's distribution and the rest from elsewhere. A target-like pool row's t follows the
// target rows' own leave-one-out counts, so with P_c(tau) = share of target rows with t >= tau
// and P_G(tau) = share of pool rows with t >= tau,
//     P_G(tau) = pi * P_c(tau) + (1 - pi) * P_other(tau) >= pi * P_c(tau).
// The share: pi = min P_G(tau) / P_c(tau) over the counts tau that keep at least 90% of the
// target rows (low enough that the k-NN noise of the count loses few target-like rows, high enough
// that few other rows reach them). The level t's estimated purity is then pi * f_c(t) / f_G(t), and
// the stop keeps the counts t >= tau* that maximise (target-like rows) - (other rows):
//     tau* = argmax over tau of 2 pi P_c(tau) - P_G(tau)
// (a level enters when more than half its rows are estimated target-like). Against the ratio bar
// alone (spread_threshold times the target's median ratio), this undoes the count's noise where K is
// small (it missed a sixth of the clean rows on a 1,097-row pool) and its optimism where the other
// rows overlap the target (it kept 1.1 times the clean rows there): README, "Which mode".
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace gio::detail {

struct DomainEstimate {
  double share = 0;             // pi: the estimated share of target-like rows in the pool
  std::size_t min_targets = 0;  // tau*: rows with at least this many targets among their K are in the domain
};

// pool_targets[g], target_targets[i]: targets among the K nearest of pool row g and of target row
// i (leave-one-out), each in 0..k.
DomainEstimate estimate_domain(const std::vector<std::uint32_t>& pool_targets,
                               const std::vector<std::uint32_t>& target_targets, std::size_t k);

// The share of target rows that the counts defining the share must keep.
inline constexpr double kShareTargetMass = 0.9;

}  // namespace gio::detail
