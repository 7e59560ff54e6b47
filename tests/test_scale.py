"""Scale and offset invariance (issue 13.2): every native mode picks the same rows, and the
estimators give the same values, for X * s with s from 1e-12 to 1e12 and for X + 1e8 (float64);
what cannot be represented is refused by name; compat keeps grad-info-opt's absolute clip."""

import numpy as np
import pytest

from gioselect import GIOSelector, knn_kl, relaxed_kl, relaxed_kl_gradient
from gioselect.compat import GIOKL

SCALES = [1e-12, 1e-6, 1e6, 1e12]
OFFSET = 1e8

MODES = {
    "relaxed descent": dict(search="descent"),
    "relaxed descent, v_init mean": dict(search="descent", v_init="mean"),
    "relaxed descent, 4 candidates": dict(search="descent", n_candidates=4),
    "knn descent": dict(objective="knn", search="descent"),
    "knn descent, batch 4": dict(objective="knn", search="descent", batch_size=4),
    "knn descent, 4 candidates": dict(objective="knn", search="descent", n_candidates=4),
    "relaxed greedy": dict(search="greedy"),
    "knn greedy": dict(objective="knn", search="greedy"),
    "nearest": dict(search="nearest"),
    "spread": dict(search="spread"),
    "relaxed descent, quantize": dict(search="descent", quantize=60),
    "knn greedy, quantize": dict(objective="knn", search="greedy", quantize=60, quantize_target=40),
}
PROJECTIONS = ["exact", "hnsw"]


def _on_grid(a):
    """Values on a grid of 2^-20: X + 1e8 (ulp 2^-26) and X * 2^j hold exactly X's bits. Data they
    cannot hold give the picks of X rounded to what they hold (the relaxed descent runs in float32,
    as grad-info-opt's, and a last-bit difference near a target point changes its course)."""
    return np.round(a * 2.0**20) / 2.0**20


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 3, size=(6, 8))
    pool = _on_grid(centres[rng.integers(0, 6, 700)] + rng.normal(size=(700, 8)))
    target = _on_grid(centres[rng.integers(0, 3, 120)] + rng.normal(0.2, 0.8, size=(120, 8)))
    return pool, target


def _fit(pool, target, params, projection, scale=1.0, offset=0.0, dtype=np.float64):
    if params["search"] == "descent":  # only the descent projects
        params = dict(params, projection=projection)
    sel = GIOSelector(n_select=25, random_state=3, n_jobs=1, **params)  # n_jobs=1: HNSW builds
    return sel.fit((pool * scale + offset).astype(dtype), target=(target * scale + offset).astype(dtype))


def _variants():
    for name, params in MODES.items():
        for projection in PROJECTIONS:
            if params["search"] != "descent" and projection == "hnsw":
                continue  # only the descent projects
            for scale in SCALES:
                yield pytest.param(params, projection, scale, 0.0, id=f"{name}-{projection}-x{scale:g}")
            yield pytest.param(params, projection, 1.0, OFFSET, id=f"{name}-{projection}-plus{OFFSET:g}")


@pytest.mark.parametrize("params, projection, scale, offset", list(_variants()))
def test_every_native_mode_picks_the_same_rows_at_any_scale_and_offset(problem, params, projection, scale, offset):
    pool, target = problem
    base = _fit(pool, target, params, projection)
    other = _fit(pool, target, params, projection, scale, offset)
    np.testing.assert_array_equal(other.selected_indices_, base.selected_indices_)
    np.testing.assert_allclose(other.objective_trace_, base.objective_trace_, rtol=1e-6 if offset else 1e-9, atol=1e-9)
    assert other.objective_start_ == pytest.approx(base.objective_start_, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("name", ["relaxed descent", "knn descent", "knn greedy", "relaxed descent, quantize"])
@pytest.mark.parametrize("power", [-40, -20, 20, 40])  # 2^±40 ~ 1e±12, 2^±20 ~ 1e±6
def test_float32_data_scaled_without_rounding_gives_the_same_picks(problem, name, power):
    # float32 rounds X * 1e6 differently from X; X * 2^j holds exactly X's bits.
    pool, target = problem
    base = _fit(pool, target, MODES[name], "exact", dtype=np.float32)
    other = _fit(pool, target, MODES[name], "exact", 2.0**power, dtype=np.float32)
    np.testing.assert_array_equal(other.selected_indices_, base.selected_indices_)
    np.testing.assert_allclose(other.objective_trace_, base.objective_trace_, rtol=1e-9, atol=1e-9)


def test_estimators_give_the_same_value_at_any_scale_and_offset():
    rng = np.random.default_rng(2)
    X, W = rng.normal(size=(150, 6)), rng.normal(0.3, 1.2, size=(60, 6))
    W[0] = X[4]  # a W row on a target row: the clip's floor is reached
    v = rng.normal(size=6)
    knn, relaxed, grad = knn_kl(X, W), relaxed_kl(X, W), relaxed_kl_gradient(X, W, v)
    for scale, offset in [(s, 0.0) for s in SCALES] + [(1.0, OFFSET)]:
        tol = 1e-6 if offset else 1e-9
        Xs, Ws, vs = X * scale + offset, W * scale + offset, v * scale + offset
        assert knn_kl(Xs, Ws) == pytest.approx(knn, rel=tol)
        assert relaxed_kl(Xs, Ws) == pytest.approx(relaxed, rel=tol)
        np.testing.assert_allclose(relaxed_kl_gradient(Xs, Ws, vs) * scale, grad, rtol=100 * tol, atol=tol)
    # what the issue measured: the absolute clip floors every distance of data scaled by 1e-6
    assert abs(relaxed_kl(X * 1e-6, W * 1e-6, absolute_clip=True) - relaxed) > 0.1


def test_score_and_selection_kl_are_the_same_at_any_scale(problem):
    pool, target = problem
    base = GIOSelector(n_select=20, random_state=0).fit(pool, target=target)
    for scale in SCALES:
        sel = GIOSelector(n_select=20, random_state=0).fit(pool * scale, target=target * scale)
        assert sel.selection_kl_ == pytest.approx(base.selection_kl_, rel=1e-9)
        assert sel.score(target=target[::2] * scale) == pytest.approx(base.score(target=target[::2]), rel=1e-9)


@pytest.mark.parametrize("where", ["pool", "target", "init"])
@pytest.mark.parametrize("quantize", [None, 30])
def test_values_whose_squares_overflow_are_refused_by_name(problem, where, quantize):
    pool, target = problem
    inputs = dict(pool=pool.copy(), target=target.copy(), init=target[:25].copy())
    inputs[where][3, 1] = 3e200
    with pytest.raises(ValueError, match=r"has the value 3e\+200 \(row 3, column 1\).*overflow float64; divide"):
        GIOSelector(quantize=quantize, random_state=0).fit(inputs["pool"], target=inputs["target"],
                                                           init=inputs["init"])
    names = {"pool": "X (the pool)", "target": "target", "init": "init"}
    with pytest.raises(ValueError, match=rf"^{names[where].replace('(', '[(]').replace(')', '[)]')} has the value"):
        GIOSelector(quantize=quantize, random_state=0).fit(inputs["pool"], target=inputs["target"],
                                                           init=inputs["init"])


def test_the_estimators_refuse_values_whose_squares_overflow():
    X = np.random.default_rng(0).normal(size=(40, 3)) * 1e200
    with pytest.raises(ValueError, match=r"^X has the value .* overflow float64"):
        knn_kl(X, X[:10])
    with pytest.raises(ValueError, match=r"^W has the value .* overflow float64"):
        relaxed_kl(X[:, :1] * 1e-200, X[:10, :1])


def test_a_float32_target_too_far_out_for_float32_is_refused(problem):
    pool, target = problem
    with pytest.raises(ValueError, match=r"target is float32 and lies 1e\+08 from the origin.*pass float64 data"):
        GIOSelector(random_state=0).fit((pool + OFFSET).astype(np.float32), target=(target + OFFSET).astype(np.float32))
    # the same data in float64 is fine, and so is a float32 offset float32 can resolve
    GIOSelector(n_select=5, random_state=0).fit(pool + OFFSET, target=target + OFFSET)
    GIOSelector(n_select=5, random_state=0).fit((pool + 100).astype(np.float32), target=(target + 100).astype(np.float32))


def test_compat_keeps_the_reference_absolute_clip():
    rng = np.random.default_rng(4)
    X, W = rng.normal(size=(80, 4)) * 1e-6, rng.normal(size=(30, 4)) * 1e-6
    reference = GIOKL(dim=4).calculate_statistical_distance(X, W, k=5)
    assert reference == relaxed_kl(X, W, 5, absolute_clip=True)
    assert abs(reference - relaxed_kl(X, W, 5)) > 0.1  # natively: in the target's units
