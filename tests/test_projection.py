"""The descent with a caller's projection (_core.select_descent, cpp/include/gio/pool_projection.hpp):
a pool cut into shards in this process (gioselect._shards) gives the one-process run bit for bit,
for the relaxed and the knn descent, batches, n_candidates, ties across shards, exhaustion, resets
and resume; the projection's Python errors come out of the run unchanged, Ctrl-C inside it is the
run's interrupt, and a projection's bad answers are refused by name."""

import signal
import threading

import numpy as np
import pytest

from gioselect import _core, _engine, _shards


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(c, 1, (700, 6)) for c in (0, 3, 6)]).astype(np.float32)
    X[1500:1520] = X[100:120]  # duplicates in other shards: ties
    T = rng.normal(2, 1, (150, 6)).astype(np.float32)
    return X, T, X[:5].copy()


def options(**kw):
    kw.setdefault("seed", 3)
    kw.setdefault("n_threads", 2)
    return _engine.make_options(search="descent", **kw)


def assert_same_run(a, b):
    for name in ("selected", "kl_trace", "remaining", "v"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    for name in ("stop_reason", "n_iter", "n_resets", "scale_factor", "kl_start"):
        assert getattr(a, name) == getattr(b, name), name
    np.testing.assert_array_equal(a.selection_kl, b.selection_kl)
    assert len(a.selected) > 0


MODES = {
    "relaxed": dict(),
    "knn, batches of 4": dict(objective="knn", batch_size=4),
    "knn, 3 candidates": dict(objective="knn", n_candidates=3),
    "relaxed, budget with resets": dict(n_select=2500, resets_allowed=True, max_resets=2),
    "cosine": dict(metric="cosine"),
    "jump starts": dict(v_init="jump", n_select=40),
}
BOUNDS = {"1 shard": [0, 2100], "2 shards": [0, 1000, 2100], "4 uneven, one empty": [0, 1, 1501, 1501, 2100]}
LOOKAHEAD = {"a call per query": 0, "batches of 8 queries": 8}


@pytest.mark.parametrize("lookahead", LOOKAHEAD.values(), ids=LOOKAHEAD.keys())
@pytest.mark.parametrize("bounds", BOUNDS.values(), ids=BOUNDS.keys())
@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_shards_give_the_one_process_run(problem, mode, bounds, lookahead):
    X, T, W = problem
    o = options(**mode)
    proj = _shards.local_shards(X, bounds, metric=mode.get("metric", "euclidean"), lookahead=lookahead)
    run = _core.select_descent(proj, len(X), T, W, o)
    assert_same_run(_engine.run(X, T, W, o), run)
    assert proj.queries >= len(run.selected)
    if lookahead == 0:
        assert proj.calls == proj.queries  # one call per projection


# Runs that know their queries ahead: the relaxed descent, knn's rounds (a budget that ends one
# round part way, and one that runs the pool out with resets), and n_candidates.
BATCHED = {
    "relaxed, a budget": dict(n_select=203),
    "relaxed, 3 candidates": dict(n_select=100, n_candidates=3),
    "knn, rounds of 8, a budget mid-round": dict(objective="knn", batch_size=8, n_select=203),
    "relaxed, the pool run out twice": dict(n_select=2500, resets_allowed=True, max_resets=2),
}


@pytest.mark.filterwarnings("ignore:the knn estimate was lowest")  # the budget forces picks past it, on purpose
@pytest.mark.parametrize("mode", BATCHED.values(), ids=BATCHED.keys())
def test_announced_queries_are_answered_from_one_call_each_batch(problem, mode):
    X, T, W = problem
    o = options(**mode)
    proj = _shards.local_shards(X, [0, 1000, 2100], lookahead=8)
    run = _core.select_descent(proj, len(X), T, W, o)
    assert_same_run(_engine.run(X, T, W, o), run)
    assert len(run.selected) == mode["n_select"]
    # a call per batch of 8, one for the first (long) descent and one after each reset's
    assert proj.calls <= -(-proj.queries // 8) + 2 * (run.n_resets + 1)


def test_a_query_asked_after_more_takes_than_its_place_is_asked_again(problem):
    X, T, W = problem
    bounds = [0, 1000, 2100]
    v = np.repeat(T[:1].astype(np.float64), 3, axis=0) + np.array([[0.0], [1e-3], [2e-3]])  # three near queries
    first = _shards.local_shards(X, bounds).nearest(v[0], 1, np.empty(0, np.int64), False)[0][0]
    proj = _shards.local_shards(X, bounds, lookahead=3)
    proj.upcoming(v, 1, np.empty(0, np.int64), False)
    assert proj.calls == 1
    rows, values = proj.nearest(v[0], 1, np.empty(0, np.int64), False)  # from the batch
    assert (rows[0], proj.calls) == (first, 1)
    np.testing.assert_array_equal(values[0], X[first])
    # query 1 after two takes: its list of 2 rows may not hold the answer, so it asks the shards
    second = _shards.local_shards(X, bounds).nearest(v[1], 1, np.array([first, first + 1], np.int64), False)[0][0]
    rows, _ = proj.nearest(v[1], 1, np.array([first, first + 1], np.int64), False)
    assert (rows[0], proj.calls) == (second, 2)
    # a query the batch did not announce, and a refill, are asked too
    proj.nearest(v[2] + 1, 1, np.empty(0, np.int64), False)
    proj.nearest(v[2], 1, np.empty(0, np.int64), True)
    assert proj.calls == 4


def test_exhaustion_and_resets_through_the_shards(problem):
    X, T, W = problem
    small = np.ascontiguousarray(X[::50])  # 42 rows
    for resets in (0, 1):
        o = options(stop_criterion="sequential_increase_tolerance", max_sequential_increases=100,
                    resets_allowed=resets > 0, max_resets=resets)
        one = _engine.run(small, T, W, o)
        assert (one.stop_reason, one.n_resets, len(one.selected)) == ("pool exhausted", resets, 42 * (resets + 1))
        assert_same_run(one, _core.select_descent(_shards.local_shards(small, [0, 10, 11, 42]), len(small), T, W, o))


def test_ties_across_shards_go_to_the_lowest_row(problem):
    X, T, W = problem
    twice = np.vstack([X, X])  # every row twice, one copy in each shard
    o = options(n_select=300, objective="knn", batch_size=2)
    one = _engine.run(twice, T, W, o)
    run = _core.select_descent(_shards.local_shards(twice, [0, len(X), 2 * len(X)]), len(twice), T, W, o)
    assert_same_run(one, run)
    first = {}
    for i, r in enumerate(run.selected):
        first.setdefault(r % len(X), i)
    copies = run.selected >= len(X)
    assert copies.any()
    assert all(run.selected[first[r % len(X)]] == r % len(X) for r in run.selected[copies])  # the lower copy first
    # one query on a duplicated row: the lower copy, and with c=3 both copies first
    proj = _shards.local_shards(twice, [0, 1000, len(X), 2 * len(X)])
    v = X[7].astype(np.float64)
    rows, values = proj.nearest(v, 3, np.empty(0, np.int64), False)
    assert list(rows[:2]) == [7, len(X) + 7]
    np.testing.assert_array_equal(values[0], X[7])
    rows, _ = proj.nearest(v, 1, np.array([7], np.int64), False)  # the lower one taken: the other copy
    assert list(rows) == [len(X) + 7]


def test_resume_reads_the_selection_through_the_projection(problem):
    X, T, W = problem
    o = options(objective="knn", batch_size=3, n_select=30)
    states = []

    def on_step(n_iter, n_selected, kl, kl_start):
        return 2 if n_iter >= 10 else 0  # a batch's picks are one boundary

    full = _engine.run(X, T, W, o, on_step=on_step, on_checkpoint=states.append)
    proj = _shards.local_shards(X, [0, 900, 2100])  # its rows() reads X
    assert_same_run(full, _core.select_descent(proj, len(X), T, W, o, resume=states[0]))


class Failing:
    """A sharded projection whose call `at` fails with `error`."""

    def __init__(self, X, at, error):
        self.inner, self.at, self.error, self.calls = _shards.local_shards(X, [0, 1000, len(X)]), at, error, 0

    def nearest(self, *args):
        self.calls += 1
        if self.calls == self.at:
            raise self.error
        return self.inner.nearest(*args)


def test_a_python_error_in_the_projection_comes_out_unchanged(problem):
    X, T, W = problem

    class ShardLost(RuntimeError):
        pass

    error = ShardLost("shard 1 is gone")
    with pytest.raises(ShardLost) as caught:
        _core.select_descent(Failing(X, 5, error), len(X), T, W, options())
    assert caught.value is error


def test_ctrl_c_in_the_projection_is_the_run_s_interrupt(problem):
    X, T, W = problem
    o = options(n_select=20)
    full = _engine.run(X, T, W, o)
    states = []
    with pytest.raises(KeyboardInterrupt):
        _core.select_descent(Failing(X, 8, KeyboardInterrupt()), len(X), T, W, o, on_checkpoint=states.append)
    assert states[0].stop_reason == "" and len(states[0].selected) == 7  # the state at the last iteration boundary
    np.testing.assert_array_equal(states[0].selected, full.selected[:7])


def test_a_signal_while_the_projection_waits_stops_the_run(problem):
    X, T, W = problem
    main = threading.get_ident()
    inner = _shards.local_shards(X, [0, 1000, len(X)])
    waited = threading.Event()

    class Slow:  # a remote projection: each answer takes a while
        def nearest(self, *args):
            if inner.calls == 3:
                threading.Timer(0.05, signal.pthread_kill, (main, signal.SIGINT)).start()
            if inner.calls >= 3:
                waited.wait(5)  # a wait Ctrl-C interrupts (as a Dask future's)
            return inner.nearest(*args)

    states = []
    with pytest.raises(KeyboardInterrupt):
        _core.select_descent(Slow(), len(X), T, W, options(n_select=50), on_checkpoint=states.append)
    assert len(states[0].selected) == 3


@pytest.mark.parametrize("answer, message", [
    (lambda rows, values: (rows[:0], values[:0]), "returned 0 rows for c=1"),
    (lambda rows, values: (rows + 10**6, values), "out of range"),
    (lambda rows, values: (rows, values.astype(np.float64)), "float32 array (the pool's dtype)"),
    (lambda rows, values: (rows, values[:, :2]), "must have shape (1, 6)"),
    (lambda rows, values: (np.array([-1]), values), "taken"),
])
def test_a_projection_s_bad_answers_are_refused_by_name(problem, answer, message):
    X, T, W = problem
    inner = _shards.local_shards(X, [0, len(X)])

    class Bad:
        def nearest(self, v, c, taken, refilled):
            rows, values = inner.nearest(v, c, taken, refilled)
            self.first = getattr(self, "first", rows)
            if inner.calls == 7:
                rows, values = answer(rows, values)
                if len(rows) and rows[0] == -1:  # a row picked before
                    rows = self.first
            return rows, values

    W5 = X[[5]].copy()
    with pytest.raises((ValueError, TypeError, IndexError)) as caught:
        _core.select_descent(Bad(), len(X), T, W5, options(n_select=20, n_threads=1))
    assert message in str(caught.value)


def test_only_the_descent_takes_a_projection(problem):
    X, T, W = problem
    with pytest.raises(ValueError, match="runs search='descent' only"):
        _core.select_descent(_shards.local_shards(X, [0, len(X)]), len(X), T, W,
                             _engine.make_options(search="greedy", objective="knn"))
