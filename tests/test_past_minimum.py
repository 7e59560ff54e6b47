"""n_select past the estimate's minimum: recorded as lowest_objective_pick_, warned about once."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from gioselect import GIOSelector

PARAMS = dict(objective="knn", search="greedy", k=1, n_jobs=1, random_state=0)


@pytest.fixture(scope="module")
def shifted():
    """A clean cluster the target comes from (300 rows) inside a pool flooded by a shifted one."""
    rng = np.random.default_rng(0)
    clean = rng.normal(0, 1, (300, 4))
    shifted = rng.normal(0, 1, (3000, 4)) + 1.5
    pool = np.vstack([clean, shifted])
    return pool, rng.normal(0, 1, (100, 4)), np.arange(len(pool)) < 300


def test_a_forced_budget_past_the_minimum_warns_once_naming_the_pick(shifted):
    pool, target, clean = shifted
    with pytest.warns(UserWarning) as record:
        sel = GIOSelector(n_select=900, **PARAMS).fit(pool, target=target)
    assert len(record) == 1
    lowest = sel.lowest_objective_pick_
    assert 0 < lowest < 900
    assert sel.objective_trace_[lowest - 1] == sel.objective_trace_.min()
    message = str(record[0].message)
    assert f"lowest after pick {lowest} " in message and "n_select=900" in message
    assert record[0].filename == __file__  # points at the user's fit, not inside gioselect
    # what the warning is for: the prefix is the selection that preserves the target
    before, after = clean[sel.selected_indices_[:lowest]].mean(), clean[sel.selected_indices_[lowest:]].mean()
    assert before > 0.6 and after < before - 0.3, (before, after)  # the pool is 9% clean


def test_stopping_at_the_minimum_gives_that_prefix_without_a_warning(shifted):
    pool, target, _ = shifted
    with pytest.warns(UserWarning):
        far = GIOSelector(n_select=900, **PARAMS).fit(pool, target=target)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        at = GIOSelector(n_select=far.lowest_objective_pick_, **PARAMS).fit(pool, target=target)
    np.testing.assert_array_equal(at.selected_indices_, far.selected_indices_[:far.lowest_objective_pick_])
    assert at.lowest_objective_pick_ == far.lowest_objective_pick_


@pytest.mark.parametrize("params", [dict(search="nearest"), dict(search="spread"),  # their own order, by design
                                    dict(objective="knn", search="greedy", k=1)])   # the estimate's own stop
def test_no_warning_where_the_budget_does_not_override_the_estimate(shifted, params):
    pool, target, _ = shifted
    n_select = 900 if params["search"] != "greedy" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sel = GIOSelector(n_select=n_select, max_iter=None, random_state=0, **params).fit(pool, target=target)
    trace = sel.objective_trace_
    assert sel.lowest_objective_pick_ == int(np.argmin(trace)) + 1


def test_the_cli_prints_one_warning_line_and_records_the_pick(shifted, tmp_path):
    pool, target, _ = shifted
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "out"
    run = subprocess.run([sys.executable, "-c", "from gioselect.cli import main; raise SystemExit(main())", "select", "--pool", str(tmp_path / "pool.npy"), "--target",
                          str(tmp_path / "target.npy"), "-o", str(out), "--quiet", "--n-select", "900",
                          "--objective", "knn", "--search", "greedy", "--k", "1",
                          "--n-jobs", "1", "--random-state", "0"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gioselect: warning: the knn estimate was lowest after pick ")
    report = json.loads((out / "report.json").read_text())
    expected = GIOSelector(n_select=900, **PARAMS)
    with pytest.warns(UserWarning):
        expected.fit(pool, target=target)
    assert report["lowest_objective_pick"] == expected.lowest_objective_pick_
