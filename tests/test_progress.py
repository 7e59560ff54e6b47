"""Progress that says how long (issue 12): phases, the budget and an ETA on stderr with verbose=1,
on by default in the CLI when stderr is a terminal."""

import json
import sys

import numpy as np
import pytest

from gioselect import GIOSelector, cli


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    return rng.normal(size=(3000, 8)), rng.normal(0.5, 1, (200, 8))


def test_picks_show_the_budget_and_an_eta(problem, capsys):
    pool, target = problem
    GIOSelector(n_select=400, verbose=1, random_state=0).fit(pool, target=target)
    err = capsys.readouterr().err
    assert "target statistics first" in err
    assert "/400 picks" in err and "ETA" in err and "400/400 picks" in err


def test_without_a_budget_the_eta_is_a_bound(problem, capsys):
    pool, target = problem
    GIOSelector(max_iter=300, verbose=1, random_state=0).fit(pool, target=target)
    assert "(at most 300)" in capsys.readouterr().err


def test_quantize_announces_its_k_means(problem, capsys):
    pool, target = problem
    GIOSelector(quantize=30, verbose=1, random_state=0).fit(pool, target=target)
    err = capsys.readouterr().err
    assert "quantize: K-means of 3,000 pool rows into 30 clusters ..." in err and "done in" in err


def test_quiet_by_default_in_the_library(problem, capsys):
    pool, target = problem
    GIOSelector(max_iter=30, random_state=0).fit(pool, target=target)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("tty, flags, verbose", [(True, [], 1), (False, [], 0), (True, ["-q"], 0),
                                                  (True, ["--verbose", "0"], 0)])
def test_the_cli_shows_progress_when_stderr_is_a_terminal(problem, tmp_path, monkeypatch, tty, flags, verbose):
    pool, target = problem
    np.save(tmp_path / "pool.npy", pool)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty, raising=False)
    out = tmp_path / "out"
    assert cli.main(["select", "--pool", str(tmp_path / "pool.npy"), "-o", str(out), "--max-iter", "20",
                     "--random-state", "0", *flags]) == 0
    assert json.loads((out / "report.json").read_text())["parameters"]["verbose"] == verbose
