#include "gio/options.hpp"

#include <stdexcept>

namespace gio {

StopCriterion parse_stop_criterion(const std::string& name) {
  if (name == "increase") return StopCriterion::Increase;
  if (name == "max_resets") return StopCriterion::MaxResets;
  if (name == "min_difference") return StopCriterion::MinDifference;
  if (name == "sequential_increase_tolerance") return StopCriterion::SequentialIncreaseTolerance;
  if (name == "min_kl") return StopCriterion::MinKL;
  if (name == "data_size") return StopCriterion::DataSize;
  if (name == "none") return StopCriterion::None;
  throw std::invalid_argument("unknown stop_criterion '" + name +
                              "'; expected one of 'increase', 'max_resets', 'min_difference', "
                              "'sequential_increase_tolerance', 'min_kl', 'data_size', 'none'");
}

std::string to_string(StopCriterion c) {
  switch (c) {
    case StopCriterion::Increase: return "increase";
    case StopCriterion::MaxResets: return "max_resets";
    case StopCriterion::MinDifference: return "min_difference";
    case StopCriterion::SequentialIncreaseTolerance: return "sequential_increase_tolerance";
    case StopCriterion::MinKL: return "min_kl";
    case StopCriterion::DataSize: return "data_size";
    case StopCriterion::None: return "none";
  }
  return "?";
}

VInit parse_v_init(const std::string& name) {
  if (name == "mean") return VInit::Mean;
  if (name == "prev_opt") return VInit::PrevOpt;
  if (name == "jump") return VInit::Jump;
  if (name == "worst") return VInit::Worst;
  throw std::invalid_argument("unknown v_init '" + name + "'; expected one of 'mean', 'prev_opt', 'jump', 'worst'");
}

std::string to_string(VInit v) {
  switch (v) {
    case VInit::Mean: return "mean";
    case VInit::PrevOpt: return "prev_opt";
    case VInit::Jump: return "jump";
    case VInit::Worst: return "worst";
  }
  return "?";
}

Estimator parse_estimator(const std::string& name) {
  if (name == "relaxed") return Estimator::Relaxed;
  if (name == "knn") return Estimator::Knn;
  throw std::invalid_argument("unknown estimator '" + name + "'; expected 'relaxed' or 'knn'");
}

std::string to_string(Estimator e) { return e == Estimator::Knn ? "knn" : "relaxed"; }

Search parse_search(const std::string& name) {
  if (name == "descent") return Search::Descent;
  if (name == "greedy") return Search::Greedy;
  throw std::invalid_argument("unknown search '" + name + "'; expected 'descent' or 'greedy'");
}

std::string to_string(Search s) { return s == Search::Greedy ? "greedy" : "descent"; }

}  // namespace gio
