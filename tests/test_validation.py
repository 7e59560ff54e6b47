"""Bad input gets a ValueError that names the problem; nothing the user passed is modified."""

import numpy as np
import pytest

from gioselect import GIOSelector
from gioselect.compat import GIOKL


def fit(pool, target=None, **params):
    return GIOSelector(random_state=0, max_iter=5, **params).fit(pool, target=target)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("where", ["pool", "target"])
def test_non_finite_values_are_named(blobs, bad, where):
    pool, target = (a.copy() for a in blobs)
    (pool if where == "pool" else target)[3, 2] = bad
    with pytest.raises(ValueError, match=r"NaN or inf \(first at row 3, column 2"):
        fit(pool, target)


def test_mismatched_dimensions(blobs):
    pool, target = blobs
    with pytest.raises(ValueError, match="X \\(the pool\\) has 8, target has 5 columns"):
        fit(pool, target[:, :5])
    with pytest.raises(ValueError, match="init has 3"):
        GIOSelector().fit(pool, target=target, init=np.zeros((4, 3)))


def test_empty_inputs(blobs):
    pool, target = blobs
    with pytest.raises(ValueError, match="X \\(the pool\\) is empty"):
        fit(pool[:0], target)
    with pytest.raises(ValueError, match="target is empty"):
        fit(pool, target[:0])


@pytest.mark.parametrize("rows", [1, 5])
def test_target_needs_more_than_k_rows(blobs, rows):
    pool, target = blobs
    with pytest.raises(ValueError, match=f"target has {rows} rows; k=5 needs more than k rows"):
        fit(pool, target[:rows])


def test_wrong_number_of_dimensions(blobs):
    pool, target = blobs
    with pytest.raises(ValueError, match="must be 2-D .* got 1-D.*reshape"):
        fit(pool[:, 0], target)
    with pytest.raises(ValueError, match="must be 2-D .* got 3-D"):
        fit(pool[None], target)


@pytest.mark.parametrize("param, value, message", [
    ("stop_criterion", "never", "unknown stop_criterion 'never'; expected one of 'auto', 'increase'"),
    ("v_init", "median", "unknown v_init 'median'; expected one of 'auto', 'mean', 'prev_opt', 'jump', 'worst'"),
    ("lr", -0.1, "lr must be >= 0, got -0.1"),
    ("k", 0, "k must be >= 1"),
    ("scale_factor", "big", "scale_factor must be a number"),
    ("projection", "maybe", "unknown projection 'maybe'"),
    ("random_restart_prob", 1.5, "random_restart_prob must be <= 1"),
    # found by tests/test_fuzz_api.py:
    ("lr", 10**400, "lr must be finite"),  # was numpy's TypeError from isfinite
    ("max_data_size", 2**70, "max_data_size must be <= 1"),
    ("resets_allowed", "no", "resets_allowed must be True or False, got 'no'"),  # was truthy: resets on
    ("normalize", 1, "normalize must be True or False"),
    ("discard_nearest_for_xy", "yes", "discard_nearest_for_xy must be True or False"),
    ("uniform_high", np.nan, "uniform_high must be a finite number"),  # was "low <= high" from the core
    ("uniform_low", "abc", "uniform_low must be a number or a list of numbers"),
    ("uniform_low", [0.0, 1.0, 2.0], "uniform_low has 3 values; the data has 8 columns"),
    ("uniform_low", 5.0, "uniform_low must be <= uniform_high in every column"),
    ("n_jobs", "2", "n_jobs must be an integer"),
    ("verbose", "loud", "verbose must be an integer"),
])
def test_bad_parameters(blobs, param, value, message):
    with pytest.raises(ValueError, match=message):
        fit(*blobs, **{param: value})


@pytest.mark.parametrize("params, message", [
    (dict(uniform_start_size=1, discard_nearest_for_xy=True),
     "uniform_start_size=1 start rows; discard_nearest_for_xy"),
    (dict(uniform_start_size=3, objective="knn"), "uniform_start_size=3 start rows; objective='knn' needs k=5"),
    (dict(random_init_pct=0.004, objective="knn"), "random_init_pct=0.004 of 800 pool rows selects 3 start rows"),
])
def test_too_few_start_rows_name_the_parameter_that_made_them(blobs, params, message):
    """The core's "init has 1 rows" named an init the user never passed (tests/test_fuzz_api.py)."""
    with pytest.raises(ValueError, match=message):
        fit(*blobs, uniform_high=None, **params)


def test_n_select_larger_than_pool_without_resets(blobs):
    pool, target = blobs
    with pytest.raises(ValueError, match="n_select=801 exceeds the pool's 800 rows"):
        fit(pool, target, n_select=801)


def test_non_numeric_input(blobs):
    _, target = blobs
    with pytest.raises(ValueError, match="must be numeric"):
        fit(np.array([["a", "b"], ["c", "d"]]), target)


def test_inputs_are_not_modified(blobs):
    pool, target = blobs
    before = pool.copy(), target.copy()
    fit(pool, target)
    np.testing.assert_array_equal(pool, before[0])
    np.testing.assert_array_equal(target, before[1])


def test_integer_and_float64_inputs_are_accepted(blobs):
    pool, target = blobs
    ints = fit(np.rint(pool * 10).astype(np.int32), np.rint(target * 10).astype(np.int64))
    assert ints.selected_indices_.size > 0
    f64 = fit(pool.astype(np.float64), target.astype(np.float64))
    assert f64.selected_indices_.size > 0


def test_non_contiguous_gives_same_result(blobs):
    pool, target = blobs
    wide = np.zeros((pool.shape[0], pool.shape[1] * 2), dtype=pool.dtype)
    wide[:, ::2] = pool
    fortran = np.asfortranarray(target)
    a = fit(pool, target)
    b = fit(wide[:, ::2], fortran)
    np.testing.assert_array_equal(a.selected_indices_, b.selected_indices_)
    np.testing.assert_array_equal(a.objective_trace_, b.objective_trace_)


def test_compat_errors_name_the_problem(blobs):
    pool, target = blobs
    with pytest.raises(ValueError, match="unknown stop_criterion"):
        GIOKL(dim=8).fit(pool, target, D=pool[:5], stop_criterion="nope")
    with pytest.raises(ValueError, match="train has 8, X has 4"):
        GIOKL(dim=8).fit(pool, target[:, :4], D=pool[:5])
