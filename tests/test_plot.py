"""Plots (optional matplotlib) and the demo's PNGs."""

import numpy as np
import pytest

from gioselect import GIOSelector

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_trace_and_selection_plots(blobs, tmp_path):
    import matplotlib.pyplot as plt

    pool, target = blobs
    sel = GIOSelector(max_iter=15, random_state=0).fit(pool, target=target)
    ax = sel.plot_trace()
    x, y = ax.lines[0].get_data()
    np.testing.assert_allclose(y, np.concatenate([[sel.kl_start_], sel.kl_trace_]))
    assert sel.stop_reason_ in ax.get_legend().get_texts()[0].get_text()
    ax2 = sel.plot_selection(pool, target=target)  # 8-d: principal components
    assert ax2.get_xlabel() == "PC 1"
    assert len(ax2.collections[2].get_offsets()) == len(sel.selected_indices_)
    ax2.figure.savefig(tmp_path / "sel.png")
    assert (tmp_path / "sel.png").stat().st_size > 1000
    plt.close("all")


def test_demo_writes_its_plots(tmp_path, capsys):
    from gioselect.demo import main

    assert main(out_dir=str(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "GIO selection" in out and "random subset" in out
    assert (tmp_path / "gaussian_2d.png").exists() and (tmp_path / "digits.png").exists()
