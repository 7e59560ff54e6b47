"""search='nearest' and search='spread' as users call them: the in-domain stop, budgets past it,
determinism over seeds and threads, resume from a checkpoint, memory-mapped pools, the CLI, and
the errors for options these searches do not have. (The picks themselves are checked against
brute force in cpp/tests/test_ordered.cpp.)"""

import numpy as np
import pytest

from gioselect import GIOSelector
from gioselect.cli import main


@pytest.fixture(scope="module")
def shifted():
    """A pool that is 25% target-like and 75% shifted, and a target sample."""
    rng = np.random.default_rng(3)
    clean = rng.normal(size=(300, 6))
    shifted = rng.normal(size=(900, 6)) * 2.0 + 3.0
    pool = np.vstack([clean, shifted]).astype(np.float32)
    target = rng.normal(size=(60, 6)).astype(np.float32)
    return pool, target


def brute_nearest(pool, target, picks):
    """For each pick, the targets whose nearest not-yet-picked row (float64 distances) it is."""
    d = ((target[:, None, :].astype(np.float64) - pool[None].astype(np.float64)) ** 2).sum(-1)
    taken = np.zeros(len(pool), bool)
    out = []
    for g in picks:
        free = np.where(taken, np.inf, d)
        out.append(set(np.flatnonzero(free.argmin(1) == g)))
        taken[g] = True
    return out


def test_nearest_picks_a_nearest_row_of_every_target_in_turn(shifted):
    pool, _ = shifted
    # Targets near 60 distinct pool rows, so that each target's first pick is its own row.
    target = pool[:300:5] + np.float32(1e-3)
    sel = GIOSelector(search="nearest", n_select=180, random_state=0).fit(pool, target=target)
    picks = sel.selected_indices_
    assert len(picks) == 180 and len(set(picks)) == 180
    owners = brute_nearest(pool, target, picks)
    assert all(owners)  # every pick is some target's nearest available row
    first_round = []  # whose turn each first-round pick was: the one owner not served yet
    for o in owners[:60]:
        (turn,) = o - set(first_round)
        first_round.append(turn)
    assert sorted(first_round) == list(range(60))  # each target once
    assert all(first_round[j % 60] in owners[j] for j in range(60, 180))  # the same turn order after


def test_spread_stops_where_its_domain_ends(shifted):
    pool, target = shifted
    sel = GIOSelector(search="spread", max_iter=None, random_state=0).fit(pool, target=target)
    assert sel.stop_reason_ == "in_domain"
    n = len(sel.selected_indices_)
    assert 60 < n < len(pool)
    clean_share = np.mean(sel.selected_indices_ < 300)
    assert clean_share > 0.9, clean_share  # the domain is the clean part, not the shifted flood
    longer = GIOSelector(search="spread", n_select=n + 100, random_state=0).fit(pool, target=target)
    assert longer.stop_reason_ == "n_select"
    np.testing.assert_array_equal(longer.selected_indices_[:n], sel.selected_indices_)


@pytest.mark.parametrize("seed", range(4))
def test_spread_stops_at_about_the_pools_target_like_rows_when_k_is_small(seed):
    """A 1,100-row pool (K = 10 neighbours, so each row's count of targets is noisy), 20% of it drawn
    like the target: the stop keeps about those 220 rows. The ratio bar alone kept 189-223 (it
    loses the target-like rows whose count came out low); the estimated share keeps 222-234."""
    rng = np.random.default_rng(seed)
    clean = rng.normal(size=(220, 8))
    other = rng.normal(size=(880, 8))
    other[:, 0] += 5.0
    pool = np.vstack([clean, other]).astype(np.float32)
    target = rng.normal(size=(100, 8)).astype(np.float32)
    sel = GIOSelector(random_state=seed).fit(pool, target=target)
    assert sel.search_ == "spread" and sel.stop_reason_ == "in_domain"
    picks = sel.selected_indices_
    assert 0.95 * 220 <= len(picks) <= 1.1 * 220, len(picks)
    assert np.mean(picks < 220) >= 0.9


def test_spread_first_round_is_nearest(shifted):
    """Every target's nearest rows here have a target among their K neighbours (the support)."""
    pool, target = shifted
    a = GIOSelector(search="spread", n_select=60, random_state=5).fit(pool, target=target)
    b = GIOSelector(search="nearest", n_select=60, random_state=5).fit(pool, target=target)
    np.testing.assert_array_equal(a.selected_indices_, b.selected_indices_)


def test_spread_gives_a_target_the_pool_cannot_serve_nothing(shifted):
    """The paper's negative consistency: a target far from every pool row gets no picks."""
    pool, target = shifted
    far = GIOSelector(search="spread", max_iter=None, random_state=0).fit(pool, target=target + 100)
    assert len(far.selected_indices_) == 0 and far.stop_reason_ == "in_domain"
    forced = GIOSelector(search="spread", n_select=10, random_state=0).fit(pool, target=target + 100)
    assert len(forced.selected_indices_) == 10 and forced.stop_reason_ == "n_select"


@pytest.mark.parametrize("search", ["nearest", "spread"])
def test_same_picks_for_a_seed_and_any_thread_count(shifted, search):
    pool, target = shifted
    runs = [GIOSelector(search=search, n_select=250, random_state=1, n_jobs=j).fit(pool, target=target)
            for j in (1, 2)]
    np.testing.assert_array_equal(runs[0].selected_indices_, runs[1].selected_indices_)
    other = GIOSelector(search=search, n_select=250, random_state=2).fit(pool, target=target)
    assert not np.array_equal(other.selected_indices_, runs[0].selected_indices_)


@pytest.mark.parametrize("search", ["nearest", "spread"])
def test_resume_from_a_checkpoint_gives_the_uninterrupted_run(shifted, search, tmp_path):
    pool, target = shifted
    full = GIOSelector(search=search, n_select=200, random_state=0).fit(pool, target=target)
    path = tmp_path / "ck.npz"
    def ctrl_c(info):
        if info["n_selected"] >= 70:
            raise KeyboardInterrupt

    part = GIOSelector(search=search, n_select=200, random_state=0, checkpoint=str(path), checkpoint_every=10,
                       callback=ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        part.fit(pool, target=target)
    assert part.stop_reason_ == "interrupted" and len(part.selected_indices_) == 70
    resumed = GIOSelector.resume(str(path), pool, target=target)
    np.testing.assert_array_equal(resumed.selected_indices_, full.selected_indices_)
    np.testing.assert_allclose(resumed.objective_trace_, full.objective_trace_)


def test_spread_on_a_memory_mapped_pool(shifted, tmp_path):
    pool, target = shifted
    np.save(tmp_path / "pool.npy", pool)
    mm = np.load(tmp_path / "pool.npy", mmap_mode="r")
    a = GIOSelector(search="spread", max_iter=None, random_state=0).fit(mm, target=target)
    b = GIOSelector(search="spread", max_iter=None, random_state=0).fit(pool, target=target)
    np.testing.assert_array_equal(a.selected_indices_, b.selected_indices_)


def test_cli_runs_spread_with_its_stop(shifted, tmp_path, capsys):
    pool, target = shifted
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    out = tmp_path / "out"
    assert main(["select", "--pool", str(tmp_path / "pool.npy"), "--target", str(tmp_path / "target.npy"),
                 "--search", "spread", "--random-state", "0", "--max-iter", "100000", "-o", str(out)]) == 0
    lib = GIOSelector(search="spread", max_iter=100000, random_state=0).fit(pool, target=target)
    np.testing.assert_array_equal(np.load(out / "selected_indices.npy"), lib.selected_indices_)
    assert "in_domain" in (out / "report.json").read_text()


@pytest.mark.parametrize("params, message", [
    (dict(search="spread", stop_criterion="increase"), "does not apply: use 'auto'"),
    (dict(search="descent", stop_criterion="in_domain"), "the stop of search='spread'"),
    (dict(search="nearest", n_candidates=4), "search='nearest' takes rows in a fixed order"),
    (dict(search="spread", spread_threshold=0), "spread_threshold"),
    (dict(search="spread", spread_cell_rows=-1), "spread_cell_rows"),
    (dict(search="spread", resets_allowed=True, n_select=10), "does not refill the pool"),
])
def test_options_these_searches_do_not_have_are_refused(shifted, params, message):
    pool, target = shifted
    with pytest.raises(ValueError, match=message):
        GIOSelector(**params).fit(pool, target=target)
