"""The selection methods compared: random subsets, nearest-to-target round-robin, the clean-domain
oracle, the peers (facility location, k-center, DSIR-style), the whole pool, and GIO modes.

GIO_MODES is the one place that defines the GIO modes: each is a dict of `gioselect.GIOSelector`
keyword parameters; the harness adds n_select and random_state=seed.
"""

from __future__ import annotations

import time

import numpy as np
from gioselect import GIOSelector

import baselines
import peers

GIO_MODES = {
    "default": dict(),  # search='auto': spread, as every scenario gives a target
    "relaxed": dict(search="descent"),  # objective='relaxed', v_init='jump'
    "relaxed+rerank": dict(search="descent", n_candidates=8),
    "knn": dict(objective="knn", search="descent", v_init="worst"),
    "knn+rerank": dict(objective="knn", search="descent", v_init="worst", n_candidates=8),
    "knn batch 8": dict(objective="knn", search="descent", v_init="worst", batch_size=8),
    "greedy": dict(objective="knn", search="greedy"),
    "greedy k=1": dict(objective="knn", search="greedy", k=1),
    "core nearest": dict(search="nearest"),
    "spread": dict(search="spread"),  # spread_cell_rows=15
    "spread L=all": dict(search="spread", spread_cell_rows=0),
    "spread t=0.4": dict(search="spread", spread_threshold=0.4),  # a wider balanced phase (the stop is unchanged)
    # quantize=K with K a tenth of the pool's rows; its budgets are in rows (n_select_rows)
    "default quantized": dict(quantize_fraction=0.1),
}
# GIO modes run without a budget: each stops where its own rule says (one row per seed).
AUTO_MODES = {
    "default auto": dict(),
    "default quantized auto": dict(quantize_fraction=0.1),  # quantize=K with K a tenth of the pool's rows
    "relaxed auto": dict(search="descent"),
    "spread auto": dict(search="spread"),
    "spread L=all auto": dict(search="spread", spread_cell_rows=0),
    "spread t=0.4 auto": dict(search="spread", spread_threshold=0.4),
}
PEERS = ("facility", "facility cand", "kcenter cand", "dsir")
METHODS = ("random", "nearest", "oracle", *PEERS, *GIO_MODES, *AUTO_MODES, "full")


def parse(text: str) -> list:
    """Comma-separated method names, checked against METHODS, in METHODS order."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = sorted(set(names) - set(METHODS))
    if unknown:
        raise SystemExit(f"unknown mode(s) {unknown}; choose from {', '.join(METHODS)}")
    return [m for m in METHODS if m in names]


def gio(mode: str, pool: np.ndarray, target: np.ndarray, n: int, seed: int) -> np.ndarray:
    """The n pool rows GIO mode `mode` picks, in selection order."""
    params = with_quantize(dict(GIO_MODES[mode]), len(pool))
    params["n_select_rows" if "quantize" in params else "n_select"] = n
    sel = GIOSelector(**params, random_state=seed).fit(pool, target=target)
    idx = sel.selected_indices_
    if len(idx) != n:
        raise RuntimeError(f"mode {mode!r} returned {len(idx)} rows for n_select={n} ({sel.stop_reason_})")
    return idx


def with_quantize(params: dict, pool_rows: int) -> dict:
    """The harness's own key quantize_fraction as quantize=K, K that fraction of the pool's rows."""
    if "quantize_fraction" in params:
        params["quantize"] = max(2, int(params.pop("quantize_fraction") * pool_rows))
    return params


def check_modes(modes: list) -> dict:
    """Run every GIO mode on a tiny problem before the long run, so a parameter that gioselect
    does not (yet) accept fails in a second. Returns, per mode, whether its first n picks equal
    an n-pick run (then one run at the largest size serves every size)."""
    rng = np.random.default_rng(0)
    pool = rng.normal(0, 1, (300, 8)).astype(np.float32)
    target = rng.normal(0.5, 1, (40, 8)).astype(np.float32)
    prefix_ok = {}
    for mode in modes:
        if mode in AUTO_MODES:
            continue
        try:
            long, short = gio(mode, pool, target, 12, 0), gio(mode, pool, target, 5, 0)
        except (TypeError, ValueError) as err:
            raise SystemExit(f"mode {mode!r} ({GIO_MODES[mode]}) is rejected by gioselect: {err}") from err
        prefix_ok[mode] = bool(np.array_equal(long[:5], short))
    return prefix_ok


def select(method: str, pool: np.ndarray, target: np.ndarray, sizes: list, seed: int,
           prefix_ok: bool, clean=None) -> tuple[dict, float]:
    """({n: selected rows} for every n in sizes, selection seconds). With prefix_ok a single run
    at the largest size serves every size; otherwise each size is its own run."""
    if method == "full":
        return {len(pool): np.arange(len(pool))}, 0.0
    if method in AUTO_MODES:  # key "auto": the size is the stop's
        t0 = time.perf_counter()
        params = with_quantize(dict(AUTO_MODES[method]), len(pool))
        sel = GIOSelector(**params, random_state=seed).fit(pool, target=target)
        return {"auto": sel.selected_indices_}, time.perf_counter() - t0
    t0 = time.perf_counter()
    if method == "random":  # its own stream, independent of the split's
        order = np.random.default_rng([seed, 1]).permutation(len(pool))
        return {n: order[:n] for n in sizes}, time.perf_counter() - t0
    if method == "nearest":  # round-robin: a run's first n picks are the n-pick run
        order = baselines.nearest_round_robin(pool, target, max(sizes), seed)
        return {n: order[:n] for n in sizes}, time.perf_counter() - t0
    if method == "oracle":
        order = baselines.clean_oracle(clean, len(pool), max(sizes), seed)
        return {n: order[:n] for n in sizes}, time.perf_counter() - t0
    if method == "facility":  # greedy: nested
        order = peers.facility_location(pool, max(sizes))
        return {n: order[:n] for n in sizes}, time.perf_counter() - t0
    if method == "dsir":  # Gumbel top-k: nested
        order = peers.dsir(pool, target, max(sizes), seed)
        return {n: order[:n] for n in sizes}, time.perf_counter() - t0
    if method in ("facility cand", "kcenter cand"):  # the candidates grow with the budget: a run per size
        kind = method.split()[0]
        return {n: peers.on_candidates(kind, pool, target, n, seed) for n in sizes}, time.perf_counter() - t0
    if prefix_ok:
        order = gio(method, pool, target, max(sizes), seed)
        picks = {n: order[:n] for n in sizes}
    else:
        picks = {n: gio(method, pool, target, n, seed) for n in sizes}
    return picks, time.perf_counter() - t0
