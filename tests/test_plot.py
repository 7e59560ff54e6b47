"""gioselect.plot (optional matplotlib): what the plots show, that they leave matplotlib's global
state alone (backend, pyplot figures), and the demo's PNGs."""

import sys

import numpy as np
import pytest

from gioselect import GIOSelector

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from gioselect import plot  # noqa: E402


@pytest.fixture
def fitted(blobs):
    pool, target = blobs
    return GIOSelector(max_iter=15, random_state=0).fit(pool, target=target), pool, target


@pytest.fixture
def svg_backend():
    """A backend other than the Agg that plotting code tends to force; restored afterwards."""
    before = matplotlib.get_backend()
    matplotlib.use("svg")
    yield
    matplotlib.use(before)


def assert_global_state_untouched():
    assert matplotlib.get_backend() == "svg"
    pyplot = sys.modules.get("matplotlib.pyplot")
    assert pyplot is None or pyplot.get_fignums() == []  # nothing left open in pyplot's registry


def test_trace_shows_kl_and_the_stop(fitted):
    sel = fitted[0]
    ax = sel.plot_trace()
    assert isinstance(ax.figure, Figure)
    kl = np.concatenate([[sel.objective_start_], sel.objective_trace_])
    np.testing.assert_allclose(ax.lines[0].get_ydata(), kl)
    stop_line, stop_dot = ax.lines[1:]
    assert list(stop_line.get_xdata()) == [len(kl) - 1] * 2 and stop_line.get_linestyle() == "--"
    assert list(stop_dot.get_xdata()) == [len(kl) - 1]
    assert [t.get_text() for t in ax.texts] == [f"stop: {sel.stop_reason_} "]
    assert f"{len(sel.objective_trace_)} picks" in ax.get_title() and f"{kl[-1]:.4g}" in ax.get_title()
    assert f"selection's k-NN KL estimate: {sel.selection_kl_:.4g}" in ax.get_title()  # the other estimate, named


def test_saved_trace_keeps_its_labels_inside_the_image(fitted, tmp_path):
    ax = fitted[0].plot_trace()
    fig = ax.figure
    fig.savefig(tmp_path / "trace.png")  # default bbox: what is outside the figure is cut off
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    for text in (ax.xaxis.label, ax.yaxis.label, ax.title):
        box = text.get_window_extent(renderer)
        assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1, text.get_text()
        assert fig.bbox.y0 <= box.y0 and box.y1 <= fig.bbox.y1, text.get_text()


def test_selection_in_the_targets_principal_axes(fitted):
    sel, pool, target = fitted
    ax = sel.plot_selection(pool, target=target)
    assert isinstance(ax.figure, Figure)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("target PC 1", "target PC 2")
    t = target.astype(np.float64)
    axes = np.linalg.svd(t - t.mean(axis=0), full_matrices=False)[2][:2].T
    np.testing.assert_allclose(ax.collections[1].get_offsets(), (t - t.mean(axis=0)) @ axes, atol=1e-9)
    assert len(ax.collections[0].get_offsets()) == len(pool)
    assert len(ax.collections[2].get_offsets()) == len(sel.selected_indices_)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "pool (800)", "target (150)", f"selected ({len(sel.selected_indices_)})"]


def test_labels_colour_the_selection_one_legend_entry_each(fitted):
    sel, pool, target = fitted
    labels = np.arange(len(pool)) % 3
    ax = plot.plot_selection(sel, pool, target=target, labels=labels)
    values, counts = np.unique(labels[sel.selected_indices_], return_counts=True)
    assert len(values) > 1
    assert [t.get_text() for t in ax.get_legend().get_texts()] == (
        ["pool (800)", "target (150)"] + [f"selected: {v} ({c})" for v, c in zip(values, counts)])
    by_label = ax.collections[2:]
    assert [len(c.get_offsets()) for c in by_label] == list(counts)
    assert len({tuple(c.get_facecolor()[0]) for c in by_label}) == len(values)
    with pytest.raises(ValueError, match="one per pool row"):
        plot.plot_selection(sel, pool, labels=labels[:-1])


def test_at_most_max_points_of_each_set_are_drawn(fitted, tmp_path):
    sel, pool, target = fitted
    np.save(tmp_path / "pool.npy", pool)
    mapped = np.load(tmp_path / "pool.npy", mmap_mode="r")
    assert len(sel.selected_indices_) > 10
    ax = plot.plot_selection(sel, mapped, target=target, max_points=10)
    assert [len(c.get_offsets()) for c in ax.collections] == [10, 10, 10]
    again = plot.plot_selection(sel, mapped, target=target, max_points=10)  # seeded
    np.testing.assert_array_equal(ax.collections[0].get_offsets(), again.collections[0].get_offsets())


def test_one_feature_on_three_lines():
    rng = np.random.default_rng(0)
    pool = np.concatenate([rng.normal(0, 1, 300), rng.normal(5, 1, 300)])[:, None]
    sel = GIOSelector(max_iter=10, random_state=0).fit(pool, target=pool[:100])
    ax = sel.plot_selection(pool, target=pool[:100])
    assert [set(c.get_offsets()[:, 1]) for c in ax.collections] == [{0}, {1}, {2}]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["pool", "target", "selected"]


def test_plots_leave_the_backend_and_pyplot_alone(fitted, svg_backend):
    sel, pool, target = fitted
    sel.plot_trace()
    sel.plot_selection(pool, target=target)
    assert_global_state_untouched()


def test_report_plots_are_two_pngs_named_after_the_prefix(fitted, tmp_path, svg_backend):
    sel, pool, target = fitted
    paths = plot.save_report_plots(sel, pool, target, tmp_path, prefix="run_")
    assert [p.name for p in paths] == ["run_kl_trace.png", "run_selection_2d.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
    assert_global_state_untouched()


def test_without_matplotlib_the_error_names_the_extra(fitted, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # makes their import fail
    with pytest.raises(ImportError, match=r"pip install 'gioselect\[plot\]'"):
        fitted[0].plot_trace()


def test_demo_writes_its_plots_into_a_new_folder(tmp_path, capsys, svg_backend):
    from gioselect.demo import main

    out = tmp_path / "new" / "folder"
    assert main(out_dir=str(out)) == 0
    assert_global_state_untouched()
    printed = capsys.readouterr().out
    assert "GIO selection" in printed and "random subset" in printed
    names = [f"{problem}_{plot}.png" for problem in ("gaussian_2d", "digits") for plot in ("kl_trace", "selection_2d")]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert all(str(out / name) in printed for name in names)
