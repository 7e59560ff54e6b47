"""Checkpoints: a run killed with SIGKILL and resumed selects exactly what an uninterrupted run
selects; callbacks see every step and can stop the run."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from gioselect import GIOSelector, checkpoint

PARAMS = dict(search="descent", v_init="jump", stop_criterion="data_size", max_iter=400, random_state=5, n_jobs=1,
              grad_desc_iter=200)


def problem():
    rng = np.random.default_rng(0)
    pool = rng.normal(size=(3000, 16)).astype(np.float32)
    target = rng.normal(0.3, 1.0, size=(800, 16)).astype(np.float32)
    return pool, target


MODES = {"relaxed": {}, "knn batches": dict(objective="knn", batch_size=4),
         "knn greedy": dict(objective="knn", search="greedy", v_init="auto", grad_desc_iter=50)}  # no descent options


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
@pytest.mark.parametrize("mode", MODES)
def test_sigkill_then_resume_gives_the_uninterrupted_selection(tmp_path, mode):
    params = dict(PARAMS, **MODES[mode])
    pool, target = problem()
    np.save(tmp_path / "pool.npy", pool)
    np.save(tmp_path / "target.npy", target)
    ckpt = tmp_path / "run.ckpt"
    script = textwrap.dedent(f"""
        import numpy as np
        from gioselect import GIOSelector
        import time
        pool, target = np.load({str(tmp_path / 'pool.npy')!r}), np.load({str(tmp_path / 'target.npy')!r})
        slow = lambda info: time.sleep(0.005)  # so that every mode is still running when it is killed
        GIOSelector(checkpoint={str(ckpt)!r}, checkpoint_every=10, callback=slow, **{params!r}).fit(pool, target=target)
    """)
    child = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # kill it once a checkpoint with some picks exists
            if ckpt.exists() and len(checkpoint.load(str(ckpt))[0].selected) >= 30:
                break
            assert child.poll() is None, "the run ended before it could be killed"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    finally:
        if child.poll() is None:
            child.kill()
    saved = len(checkpoint.load(str(ckpt))[0].selected)
    assert 30 <= saved < params["max_iter"]

    resumed = GIOSelector.resume(str(ckpt), pool, target=target)
    full = GIOSelector(**params).fit(pool, target=target)
    np.testing.assert_array_equal(resumed.selected_indices_, full.selected_indices_)
    np.testing.assert_array_equal(resumed.objective_trace_, full.objective_trace_)
    assert resumed.stop_reason_ == full.stop_reason_


def test_resume_refuses_another_pool(tmp_path):
    pool, target = problem()
    ckpt = str(tmp_path / "run.ckpt")
    GIOSelector(checkpoint=ckpt, **dict(PARAMS, max_iter=20)).fit(pool, target=target)
    with pytest.raises(ValueError, match="not the pool"):
        GIOSelector.resume(ckpt, pool[::-1].copy(), target=target)
    with pytest.raises(ValueError, match="not a gioselect checkpoint"):
        GIOSelector.resume(str(tmp_path / "pool.npy"), pool, target=target)


def test_callback_sees_every_step_and_can_stop():
    pool, target = problem()
    seen = []

    def callback(info):
        seen.append(info)
        return info["n_selected"] >= 7

    sel = GIOSelector(callback=callback, **dict(PARAMS, grad_desc_iter=20)).fit(pool, target=target)
    assert sel.stop_reason_ == "callback" and len(sel.selected_indices_) == 7
    assert [s["n_iter"] for s in seen] == list(range(1, len(seen) + 1))
    assert seen[-1]["kl"] == pytest.approx(sel.objective_trace_[-1])


def test_verbose_draws_progress_on_stderr(capsys):
    pool, target = problem()
    GIOSelector(verbose=1, **dict(PARAMS, max_iter=30, grad_desc_iter=20)).fit(pool, target=target)
    err = capsys.readouterr().err
    assert "picks" in err and "KL" in err


def test_resumed_selector_transforms_a_data_frame(tmp_path):
    pd = pytest.importorskip("pandas")
    pool, target = problem()
    frame = pd.DataFrame(pool, columns=[f"f{i}" for i in range(pool.shape[1])])
    ckpt = str(tmp_path / "run.ckpt")
    done = GIOSelector(checkpoint=ckpt, **dict(PARAMS, max_iter=15, grad_desc_iter=20)).fit(frame, target=target)
    resumed = GIOSelector.resume(ckpt, frame, target=target)
    out = resumed.transform(frame)
    assert list(out.index) == list(done.selected_indices_)
    assert list(resumed.get_feature_names_out()) == list(frame.columns)
