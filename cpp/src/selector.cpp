// select(): checks the inputs, then hands the run to its search mode (descent.cpp, greedy.cpp,
// ordered.cpp).
#include "gio/selector.hpp"

#include "gio/knn_kl.hpp"
#include "gio/relaxed_kl.hpp"
#include "descent.hpp"
#include "greedy.hpp"
#include "ordered.hpp"
#include "validate.hpp"

namespace gio {
namespace {

template <class T, class Est>
Result run_search(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
                  const Result* resume) {
  switch (o.search.kind) {
    case Search::Descent: return detail::descent_select<T, Est>(pool, target, init, o, hooks, resume);
    case Search::Greedy: return detail::greedy_select<T, Est>(pool, target, init, o, hooks, resume);
    case Search::Nearest:
    case Search::Spread: return detail::ordered_select<T, Est>(pool, target, init, o, hooks, resume);
  }
  throw std::invalid_argument("invalid search value");
}

}  // namespace

template <class T>
Result select(MatrixView<T> pool, MatrixView<T> target, MatrixView<T> init, const Options& o, const Hooks& hooks,
              const Result* resume) {
  detail::validate(pool, target, init, o);
  switch (o.objective.kind) {
    case Objective::Relaxed: return run_search<T, RelaxedKL>(pool, target, init, o, hooks, resume);
    case Objective::Knn: return run_search<T, KnnKL>(pool, target, init, o, hooks, resume);
  }
  throw std::invalid_argument("invalid objective value");
}

template <class T>
Result select_descent(PoolProjection<T>& projection, MatrixView<T> target, MatrixView<T> init, const Options& o,
                      const Hooks& hooks, const Result* resume) {
  if (o.search.kind != Search::Descent)
    throw std::invalid_argument("a caller's projection runs search='descent' only, got search='" +
                                to_string(o.search.kind) + "'");
  detail::validate(MatrixView<T>(nullptr, projection.rows(), target.cols), target, init, o);
  switch (o.objective.kind) {
    case Objective::Relaxed: return detail::descent_select<T, RelaxedKL>(projection, target, init, o, hooks, resume);
    case Objective::Knn: return detail::descent_select<T, KnnKL>(projection, target, init, o, hooks, resume);
  }
  throw std::invalid_argument("invalid objective value");
}

template <class T>
Result select_greedy(GreedySource<T>& source, MatrixView<T> target, MatrixView<T> init, const Options& o,
                     const Hooks& hooks, const Result* resume) {
  if (o.search.kind != Search::Greedy)
    throw std::invalid_argument("a caller's greedy source runs search='greedy' only, got search='" +
                                to_string(o.search.kind) + "'");
  detail::validate(MatrixView<T>(nullptr, source.rows(), target.cols), target, init, o);
  switch (o.objective.kind) {
    case Objective::Relaxed: return detail::greedy_select<T, RelaxedKL>(source, target, init, o, hooks, resume);
    case Objective::Knn: return detail::greedy_select<T, KnnKL>(source, target, init, o, hooks, resume);
  }
  throw std::invalid_argument("invalid objective value");
}

template Result select_greedy(GreedySource<float>&, MatrixView<float>, MatrixView<float>, const Options&,
                              const Hooks&, const Result*);
template Result select_greedy(GreedySource<double>&, MatrixView<double>, MatrixView<double>, const Options&,
                              const Hooks&, const Result*);

template Result select_descent(PoolProjection<float>&, MatrixView<float>, MatrixView<float>, const Options&,
                               const Hooks&, const Result*);
template Result select_descent(PoolProjection<double>&, MatrixView<double>, MatrixView<double>, const Options&,
                               const Hooks&, const Result*);

template Result select(MatrixView<float>, MatrixView<float>, MatrixView<float>, const Options&, const Hooks&,
                       const Result*);
template Result select(MatrixView<double>, MatrixView<double>, MatrixView<double>, const Options&, const Hooks&,
                       const Result*);

}  // namespace gio
