// The one seeded random generator of a run. Same seed, same draws, on every platform
// (std::mt19937_64 is fully specified; the distributions below are written out, not std's).
#pragma once
#include <cstdint>
#include <random>

namespace gio {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : eng_(seed) {}
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    std::uint64_t r;
    do r = next(); while (r >= limit);
    return r % n;
  }
  // Engine outputs used so far, and a jump to a given count (to resume a run).
  std::uint64_t draws() const { return draws_; }
  void skip_to(std::uint64_t draws) {
    if (draws > draws_) eng_.discard(draws - draws_);
    draws_ = draws;
  }

 private:
  std::uint64_t next() {
    ++draws_;
    return eng_();
  }
  std::mt19937_64 eng_;
  std::uint64_t draws_ = 0;
};

}  // namespace gio
