// A tiny test harness: CHECK* macros count failures, `return check::report("name");` from main
// makes ctest fail when any check failed. No framework dependency.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>

namespace check {
inline int checks = 0, failures = 0;
inline void fail(const char* file, int line, const char* what) {
  ++failures;
  std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
}
// |a - b| <= tol * max(1, |a|, |b|): relative, with an absolute floor of tol. NaN never passes.
inline bool near(double a, double b, double tol) {
  return std::fabs(a - b) <= tol * std::max({1.0, std::fabs(a), std::fabs(b)});
}
// f() throws std::invalid_argument whose message contains `words` (else prints the message).
inline bool throws_naming(const std::function<void()>& f, const std::string& words) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    const bool ok = std::string(e.what()).find(words) != std::string::npos;
    if (!ok) std::fprintf(stderr, "    message: %s\n", e.what());
    return ok;
  }
  return false;
}
inline int report(const char* name) {
  std::printf("%s: %d checks, %d failed\n", name, checks, failures);
  return failures == 0 ? 0 : 1;
}
}  // namespace check

#define CHECK(cond) \
  do { ++check::checks; if (!(cond)) check::fail(__FILE__, __LINE__, #cond); } while (0)
#define CHECK_NEAR(a, b, tol)                                                             \
  do {                                                                                    \
    ++check::checks;                                                                      \
    const double ca_ = (a), cb_ = (b);                                                    \
    if (!check::near(ca_, cb_, (tol))) {                                                  \
      check::fail(__FILE__, __LINE__, "CHECK_NEAR(" #a ", " #b ", " #tol ")");            \
      std::fprintf(stderr, "    %.17g vs %.17g (diff %.3g)\n", ca_, cb_, std::fabs(ca_ - cb_)); \
    }                                                                                     \
  } while (0)
#define CHECK_THROWS(expr, Exc)                                                                  \
  do {                                                                                           \
    ++check::checks;                                                                             \
    try { (void)(expr); check::fail(__FILE__, __LINE__, #expr " did not throw " #Exc); }         \
    catch (const Exc&) {}                                                                        \
    catch (...) { check::fail(__FILE__, __LINE__, #expr " threw something other than " #Exc); }  \
  } while (0)
