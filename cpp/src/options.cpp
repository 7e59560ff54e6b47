// The one name table of each option enum: parse, to_string and names (used by the bindings).
#include "gio/options.hpp"

#include <array>
#include <stdexcept>
#include <utility>

namespace gio {
namespace {

template <class E>
struct Table;  // option: the parameter's name in messages; entries: every value with its name

template <>
struct Table<Objective> {
  static constexpr const char* option = "objective";
  static constexpr std::array<std::pair<Objective, const char*>, 2> entries{
      {{Objective::Relaxed, "relaxed"}, {Objective::Knn, "knn"}}};
};
template <>
struct Table<Search> {
  static constexpr const char* option = "search";
  static constexpr std::array<std::pair<Search, const char*>, 4> entries{
      {{Search::Descent, "descent"}, {Search::Greedy, "greedy"}, {Search::Nearest, "nearest"}, {Search::Spread, "spread"}}};
};
template <>
struct Table<StopCriterion> {
  static constexpr const char* option = "stop_criterion";
  static constexpr std::array<std::pair<StopCriterion, const char*>, 7> entries{
      {{StopCriterion::Increase, "increase"},
       {StopCriterion::MaxResets, "max_resets"},
       {StopCriterion::MinDifference, "min_difference"},
       {StopCriterion::SequentialIncreaseTolerance, "sequential_increase_tolerance"},
       {StopCriterion::MinKL, "min_kl"},
       {StopCriterion::DataSize, "data_size"},
       {StopCriterion::InDomain, "in_domain"}}};
};
template <>
struct Table<VInit> {
  static constexpr const char* option = "v_init";
  static constexpr std::array<std::pair<VInit, const char*>, 4> entries{
      {{VInit::Mean, "mean"}, {VInit::PrevOpt, "prev_opt"}, {VInit::Jump, "jump"}, {VInit::Worst, "worst"}}};
};
template <>
struct Table<Projection> {
  static constexpr const char* option = "projection";
  static constexpr std::array<std::pair<Projection, const char*>, 3> entries{
      {{Projection::Auto, "auto"}, {Projection::Exact, "exact"}, {Projection::Hnsw, "hnsw"}}};
};

template <>
struct Table<Metric> {
  static constexpr const char* option = "metric";
  static constexpr std::array<std::pair<Metric, const char*>, 2> entries{
      {{Metric::Euclidean, "euclidean"}, {Metric::Cosine, "cosine"}}};
};

// A table lists every enumerator once, in declaration order (the enums count from 0).
template <class E>
constexpr bool complete() {
  const auto& e = Table<E>::entries;
  for (std::size_t i = 0; i < e.size(); ++i)
    if (static_cast<std::size_t>(e[i].first) != i) return false;
  return true;
}
static_assert(complete<Objective>() && complete<Search>() && complete<StopCriterion>() && complete<VInit>() &&
              complete<Projection>() && complete<Metric>());

}  // namespace

template <class E>
std::vector<std::string> names() {
  std::vector<std::string> out;
  for (const auto& [value, name] : Table<E>::entries) out.emplace_back(name);
  return out;
}

template <class E>
E parse(const std::string& name) {
  for (const auto& [value, n] : Table<E>::entries)
    if (name == n) return value;
  std::string expected;
  for (const auto& n : names<E>()) expected += (expected.empty() ? "'" : ", '") + n + "'";
  throw std::invalid_argument("unknown " + std::string(Table<E>::option) + " '" + name + "'; expected one of " +
                              expected);
}

template <class E>
std::string to_string(E value) {
  const auto& e = Table<E>::entries;
  const auto i = static_cast<std::size_t>(value);
  if (i >= e.size()) throw std::invalid_argument(std::string("invalid ") + Table<E>::option + " value");
  return e[i].second;
}

#define GIO_ENUM_NAMES(E)                            \
  template E parse<E>(const std::string&);           \
  template std::string to_string<E>(E);              \
  template std::vector<std::string> names<E>();
GIO_ENUM_NAMES(Objective)
GIO_ENUM_NAMES(Search)
GIO_ENUM_NAMES(StopCriterion)
GIO_ENUM_NAMES(VInit)
GIO_ENUM_NAMES(Projection)
GIO_ENUM_NAMES(Metric)
#undef GIO_ENUM_NAMES

}  // namespace gio
