"""search='auto', the default: 'spread' when fit is given a target, 'descent' for fit(X) alone;
the descent's own options are refused by name unless the descent runs."""

import json

import numpy as np
import pytest

from gioselect import GIOSelector, GIOSampler, cli, estimate_memory


@pytest.fixture(scope="module")
def shifted():
    """A target cluster (400 rows) and a shifted flood (1,600 rows); a target of 120 clean rows."""
    rng = np.random.default_rng(3)
    pool = np.vstack([rng.normal(0, 1, (400, 5)), rng.normal(0, 1, (1600, 5)) + 2.5])
    return pool, rng.normal(0, 1, (120, 5))


def test_with_a_target_the_default_is_spread(shifted):
    pool, target = shifted
    default = GIOSelector(random_state=0).fit(pool, target=target)
    spread = GIOSelector(search="spread", random_state=0).fit(pool, target=target)
    assert default.search_ == "spread" and default.stop_reason_ == "in_domain"
    np.testing.assert_array_equal(default.selected_indices_, spread.selected_indices_)
    np.testing.assert_array_equal(default.objective_trace_, spread.objective_trace_)
    assert (default.selected_indices_ < 400).mean() > 0.9  # the target's cluster, not the flood


def test_without_a_target_the_default_is_the_descent(shifted):
    """fit(X): the target is the pool, every row is in its domain, so spread would keep it all."""
    pool, _ = shifted
    default = GIOSelector(random_state=0).fit(pool)
    descent = GIOSelector(search="descent", random_state=0).fit(pool)
    assert default.search_ == "descent" and default.stop_reason_ == "sequential_increase_tolerance"
    np.testing.assert_array_equal(default.selected_indices_, descent.selected_indices_)
    assert len(default.selected_indices_) < len(pool) // 4
    assert len(GIOSelector(search="spread", random_state=0).fit(pool).selected_indices_) > len(pool) // 2


def test_the_default_has_no_pick_cap(shifted):
    """max_iter=None: the stop sets the size (it used to cap every run at 1,000 picks)."""
    pool, target = shifted
    rng = np.random.default_rng(0)
    big = np.vstack([rng.normal(0, 1, (3000, 5)), pool])
    sel = GIOSelector(random_state=0).fit(big, target=target)
    assert sel.stop_reason_ == "in_domain" and len(sel.selected_indices_) > 1000
    assert GIOSelector(max_iter=1000, random_state=0).fit(big, target=target).stop_reason_ == "max_iter"


@pytest.mark.parametrize("option", [dict(batch_size=4), dict(n_candidates=3), dict(v_init="mean"), dict(lr=0.1),
                                    dict(grad_desc_iter=10), dict(scale_factor=2.0), dict(random_restart_prob=0.5),
                                    dict(projection="hnsw"), dict(ef_search=32)])
def test_a_descent_option_under_the_default_is_refused_naming_the_fix(shifted, option):
    pool, target = shifted
    (name, value), = option.items()
    with pytest.raises(ValueError, match=rf"^search='auto' \('spread', as a target is given\) takes rows in a fixed "
                                         rf"order, so {name}={value!r} would change nothing; .*set search='descent' "
                                         rf"to use it$"):
        GIOSelector(**option).fit(pool, target=target)
    GIOSelector(search="descent", max_iter=5, **option).fit(pool, target=target)  # accepted where it applies
    GIOSelector(max_iter=5, **option).fit(pool)  # fit(X) runs the descent


@pytest.mark.parametrize("params, fragment", [
    (dict(resets_allowed=True), "does not refill the pool"),
    (dict(stop_criterion="increase"), "stop_criterion='increase' does not apply"),
])
def test_the_descents_stops_and_resets_under_the_default_are_refused(shifted, params, fragment):
    pool, target = shifted
    with pytest.raises(ValueError, match=rf"^search='auto' \('spread', as a target is given\) .*{fragment}.*"
                                         rf"set search='descent'"):
        GIOSelector(**params).fit(pool, target=target)


def test_two_options_are_named_together(shifted):
    pool, target = shifted
    with pytest.raises(ValueError, match=r"so batch_size=2 and lr=0\.5 would change nothing; they are options of "
                                         r"search='descent' \(leave them at the default\)"):
        GIOSelector(batch_size=2, lr=0.5).fit(pool, target=target)


def test_the_sampler_resolves_the_same_way(shifted):
    pool, target = shifted
    y = (np.arange(len(pool)) < 400).astype(int)
    sampler = GIOSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(pool, y, target=target)
    assert sampler.search_ == "spread" and y_res.mean() > 0.9


def test_a_checkpoint_of_the_default_resumes_to_the_same_selection(shifted, tmp_path):
    pool, target = shifted
    full = GIOSelector(n_select=300, random_state=0).fit(pool, target=target)
    path = tmp_path / "run.npz"

    def stop_at_100(info):
        if info["n_selected"] >= 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        GIOSelector(n_select=300, random_state=0, checkpoint=path, checkpoint_every=10,
                    callback=stop_at_100).fit(pool, target=target)
    resumed = GIOSelector.resume(path, pool, target=target)
    assert resumed.search_ == "spread"
    np.testing.assert_array_equal(resumed.selected_indices_, full.selected_indices_)


def test_the_cli_reports_the_search_that_ran(shifted, tmp_path):
    pool, target = shifted
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    for args, search in ((["--target", str(tmp_path / "target.npy")], "spread"), ([], "descent")):
        out = tmp_path / search
        assert cli.main(["select", "--pool", str(tmp_path / "pool.npy"), *args, "-o", str(out), "--random-state", "0",
                         "-q"]) == 0
        report = json.loads((out / "report.json").read_text())
        assert report["parameters"]["search"] == "auto" and report["search"] == search


def test_estimate_memory_counts_the_default_as_spread():
    assert estimate_memory(100_000, 2_000, 64) == estimate_memory(100_000, 2_000, 64, search="spread")
    assert estimate_memory(100_000, 2_000, 64) != estimate_memory(100_000, 2_000, 64, search="descent")
