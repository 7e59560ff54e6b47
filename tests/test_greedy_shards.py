"""search='greedy' with a caller's source (_core.select_greedy, cpp/include/gio/greedy_source.hpp):
a pool cut into greedy shards in this process (gioselect._greedy_shards) gives the one-process run
bit for bit, for the relaxed and the knn greedy, ties across shards, exhaustion, budgets, the
automatic stop and resume; a row's score is the same bits in any shard and on any thread count;
the source's Python errors come out unchanged, Ctrl-C inside it is the run's interrupt, and its
bad answers are refused by name."""

import numpy as np
import pytest

from gioselect import _core, _engine, _greedy_shards


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1, (700, 6)) for c in (0, 3, 6)]).astype(np.float32)
    X[1500:1520] = X[100:120]  # duplicates in other shards: tied scores
    T = rng.normal(2, 1, (150, 6)).astype(np.float32)
    return X, T, X[:5].copy()


def options(**kw):
    kw.setdefault("n_threads", 2)
    return _engine.make_options(search="greedy", **kw)


def assert_same_run(a, b):
    for name in ("selected", "kl_trace", "remaining"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("stop_reason", "n_iter", "kl_start"):
        assert getattr(a, name) == getattr(b, name), name
    np.testing.assert_array_equal(a.selection_kl, b.selection_kl)
    assert a.stats.greedy_changed_targets == b.stats.greedy_changed_targets
    assert len(a.selected) > 0


MODES = {
    "relaxed": dict(n_select=500),
    "knn": dict(objective="knn", n_select=500),
    "knn k=1": dict(objective="knn", k=1, n_select=300),
    "knn, automatic stop": dict(objective="knn"),
    "knn, max_data_size": dict(objective="knn", stop_criterion="data_size", max_data_size=0.1),
    "knn cosine": dict(objective="knn", metric="cosine", n_select=300),
}
BOUNDS = {"1 shard": [0, 2100], "2 shards": [0, 1000, 2100], "4 uneven, one empty": [0, 1, 1501, 1501, 2100],
          "odd offsets": [0, 3, 7, 1002, 2100]}


@pytest.mark.parametrize("bounds", BOUNDS.values(), ids=BOUNDS.keys())
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_shards_give_the_one_process_run(problem, mode, bounds):
    X, T, W = problem
    o = options(**mode)
    run = _core.select_greedy(_greedy_shards.local_greedy(X, bounds, T, o), len(X), T, W, o)
    assert_same_run(_engine.run(X, T, W, o), run)


def test_float64_and_ties_across_shards(problem):
    X, T, W = problem
    X2 = np.vstack([X, X]).astype(np.float64)  # every row twice, one copy in each shard
    T2, W2 = T.astype(np.float64), W.astype(np.float64)
    for objective in ("knn", "relaxed"):
        o = options(objective=objective, n_select=400)
        one = _engine.run(X2, T2, W2, o)
        run = _core.select_greedy(_greedy_shards.local_greedy(X2, [0, 1000, len(X), len(X2)], T2, o), len(X2), T2,
                                  W2, o)
        assert_same_run(one, run)
        copies = run.selected >= len(X)
        if objective == "relaxed":  # tied values: the lower copy comes first in the ranking
            assert copies.any()
            first = {r: i for i, r in reversed(list(enumerate(run.selected)))}
            assert all(first[r - len(X)] < first[r] for r in run.selected[copies])


def test_a_row_s_score_is_the_same_bits_in_any_shard(problem):
    """The knn scores after 60 picks (every kind of update: passes and lists) and the relaxed
    values, per row, whatever the shard's first row (the kernels' 4-row tiles start there) and
    its thread count. (Before KnnGainScores computed each row as the whole pool's tiles do, a
    shard's last rows, alone in a tile, differed in their last bits.)"""
    X, T, W = problem
    X = X[:2099]  # a partial last tile of 3 rows, which shards [1003, 2097) and [2097, 2099) split
    for objective in ("knn", "relaxed"):
        o = options(objective=objective, n_select=60)
        scores = {}
        for bounds, threads in (([0, len(X)], 1), ([0, 1, 6, 1003, 2097, len(X)], 2), ([0, 2, 3, 1001, len(X)], 1)):
            shards = [_greedy_shards.greedy_shard(X[lo:hi], lo, len(X), T, o.objective.k, o.metric, threads, "X")
                      for lo, hi in zip(bounds[:-1], bounds[1:])]
            src = _greedy_shards.ShardedGreedy(
                bounds, lambda method, calls: {s: getattr(shards[s], method)(*a) for s, a in calls.items()},
                X.dtype, o.objective.eps)
            _core.select_greedy(src, len(X), T, W, o)
            if objective == "knn":
                scores[tuple(bounds)] = np.concatenate([s.knn_scores() for s in shards])
            else:
                ranked = [s.relaxed_ranked(0, len(X)) for s in shards]
                by_row = np.empty(len(X))
                for values, rows, _ in ranked:
                    by_row[rows] = values
                scores[tuple(bounds)] = by_row
        first, *others = scores.values()
        for other in others:
            np.testing.assert_array_equal(first.view(np.int64), other.view(np.int64))


def test_exhaustion_through_the_shards(problem):
    X, T, W = problem
    small = np.ascontiguousarray(X[::50])  # 42 rows
    for objective in ("knn", "relaxed"):
        o = options(objective=objective, stop_criterion="sequential_increase_tolerance", max_sequential_increases=100)
        one = _engine.run(small, T, W, o)
        assert one.stop_reason == "pool exhausted"
        assert_same_run(one, _core.select_greedy(_greedy_shards.local_greedy(small, [0, 10, 11, 42], T, o),
                                                 len(small), T, W, o))


def test_resume_reads_the_selection_through_the_source(problem):
    X, T, W = problem
    for objective in ("knn", "relaxed"):
        o = options(objective=objective, n_select=60)
        states = []
        full = _engine.run(X, T, W, o, on_step=lambda n_iter, *_: 2 if n_iter == 20 else 0,
                           on_checkpoint=states.append)
        src = _greedy_shards.local_greedy(X, [0, 900, 2100], T, o)  # its rows() reads X
        assert_same_run(full, _core.select_greedy(src, len(X), T, W, o, resume=states[0]))


def test_a_python_error_in_the_source_comes_out_unchanged(problem):
    X, T, W = problem

    class ShardLost(RuntimeError):
        pass

    error = ShardLost("shard 1 is gone")
    inner = _greedy_shards.local_greedy(X, [0, 1000, len(X)], T, options(objective="knn"))

    class Failing:
        def start(self, *a):
            return inner.start(*a)

        def step(self, *a):
            if inner.calls == 5:
                raise error
            return inner.step(*a)

    with pytest.raises(ShardLost) as caught:
        _core.select_greedy(Failing(), len(X), T, W, options(objective="knn", n_select=20))
    assert caught.value is error


def test_ctrl_c_in_the_source_is_the_run_s_interrupt(problem):
    X, T, W = problem
    o = options(objective="knn", n_select=20)
    full = _engine.run(X, T, W, o)
    inner = _greedy_shards.local_greedy(X, [0, 1000, len(X)], T, o)

    class Interrupted:
        def start(self, *a):
            return inner.start(*a)

        def step(self, *a):  # the step of pick 7, sent when pick 8 is asked for
            if inner.calls == 7:
                raise KeyboardInterrupt
            return inner.step(*a)

    states = []
    with pytest.raises(KeyboardInterrupt):
        _core.select_greedy(Interrupted(), len(X), T, W, o, on_checkpoint=states.append)
    assert states[0].stop_reason == "" and len(states[0].selected) == 7  # the state at the last iteration boundary
    np.testing.assert_array_equal(states[0].selected, full.selected[:7])


@pytest.mark.parametrize("answer, message", [
    (lambda a: (a[0], a[1], a[2], a[3] + 10**6, a[4]), "out of range"),
    (lambda a: (a[0], a[1], a[2], a[3], a[4].astype(np.float64)), "float32 array (the pool's dtype)"),
    (lambda a: (a[0], a[1], a[2], a[3], a[4][:, :2]), "must have shape"),
    (lambda a: (a[0], np.append(a[1], 0), a[2], a[3], a[4]), "counted and counts"),
    (lambda a: a[:4], "must return (counted, counts, scores, rows, values)"),
])
def test_a_source_s_bad_answers_are_refused_by_name(problem, answer, message):
    X, T, W = problem
    o = options(objective="knn", n_select=20, n_threads=1)
    inner = _greedy_shards.local_greedy(X, [0, len(X)], T, o)

    class Bad:
        def start(self, *a):
            return inner.start(*a)

        def step(self, *a):
            got = inner.step(*a)
            return answer(got) if inner.calls == 7 else got

    with pytest.raises((ValueError, TypeError, IndexError)) as caught:
        _core.select_greedy(Bad(), len(X), T, W, o)
    assert message in str(caught.value)


def test_a_taken_row_answered_again_is_refused(problem):
    X, T, W = problem
    o = options(objective="knn", n_select=20, n_threads=1)
    inner = _greedy_shards.local_greedy(X, [0, len(X)], T, o)
    first = []

    class Stale:
        def start(self, *a):
            got = inner.start(*a)
            first.append(got)
            return got

        def step(self, *a):
            inner.step(*a)
            return first[0]  # the first answer again: its pick is taken

    with pytest.raises(ValueError, match="which is taken"):
        _core.select_greedy(Stale(), len(X), T, W, o)


def test_only_greedy_takes_a_greedy_source(problem):
    X, T, W = problem
    o = _engine.make_options(search="descent")
    with pytest.raises(ValueError, match="runs search='greedy' only"):
        _core.select_greedy(_greedy_shards.local_greedy(X, [0, len(X)], T, o), len(X), T, W, o)


def test_lists_are_decided_from_the_whole_pool_s_counts():
    """Start rows far from the target: every row is within every target's nu_k at first, so no
    target has a list until its nu_k shrinks below max_list rows of the whole pool (3,994 for 2,100
    targets), mid-run. Each shard holds fewer rows than that, so a shard deciding from its own
    counts would build lists at once (a list update and a pass update round differently)."""
    rng = np.random.default_rng(1)
    X, T, W = rng.normal(0, 1, (6000, 4)), rng.normal(0, 1, (2100, 4)), rng.normal(6, 0.1, (5, 4))
    o = options(objective="knn", n_select=120)
    one = _engine.run(X, T, W, o)
    assert one.stats.greedy_pool_pass_updates > 2 * len(X) * len(T)  # passes after the first: lists came late
    scores = []
    for bounds in ([0, 6000], [0, 3000, 6000], [0, 2500, 2501, 6000]):
        shards = [_greedy_shards.greedy_shard(X[lo:hi], lo, len(X), T, o.objective.k, o.metric, 2, "X")
                  for lo, hi in zip(bounds[:-1], bounds[1:])]
        src = _greedy_shards.ShardedGreedy(
            bounds, lambda method, calls: {s: getattr(shards[s], method)(*a) for s, a in calls.items()}, X.dtype,
            o.objective.eps)
        assert_same_run(one, _core.select_greedy(src, len(X), T, W, o))
        scores.append(np.concatenate([s.knn_scores() for s in shards]))
        assert sum(s.list_updates for s in shards) > 0 and sum(s.pool_pass_updates for s in shards) > len(X) * len(T)
    for other in scores[1:]:
        np.testing.assert_array_equal(scores[0].view(np.int64), other.view(np.int64))
