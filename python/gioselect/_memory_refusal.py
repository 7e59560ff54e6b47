"""The refusal of a fit that would not fit in the memory available, with settings that would.

Every setting the refusal offers is one that the memory model (gioselect.memory) says fits under
the same limit, with parameters a fit of these sizes accepts: a hint is computed, never guessed.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from gioselect import memory
from gioselect._validation import resolve_n_jobs


class Alternative(NamedTuple):
    """A setting that needs less memory: `changes` to the parameters, the input dtype and sizes it
    assumes, and what the model says it needs."""

    text: str
    changes: dict
    dtype: np.dtype
    converts: bool
    n_pool: int
    n_target: int
    need: int


def alternatives(n_pool: int, n_target: int, dim: int, dtype, params: dict, converts: bool, have: int) -> list:
    """Settings of the same fit that the model says need at most `have` bytes, each on its own:
    quantize=K (with quantize_target=K_x where the target dominates), float32, projection='exact',
    fewer threads, batch_size=1, fewer uniform start rows; else the largest pool (or target) that fits."""
    dtype = np.dtype(dtype)
    params = dict(params, n_jobs=resolve_n_jobs(params["n_jobs"]) or None)  # None: OpenMP's default
    found = []

    def offer(text, changes, *, as_dtype=dtype, as_converts=converts, pool=n_pool, target=n_target,
              only_if_less=False):
        need = memory.need_bytes(pool, target, dim, as_dtype, dict(params, **changes), as_converts)
        if need > have or (only_if_less and need >= memory.need_bytes(n_pool, n_target, dim, dtype, params, converts)):
            return False
        found.append(Alternative(f"{text} needs {need / 2**30:.2f} GiB", changes, as_dtype, as_converts, pool, target,
                                 need))
        return True

    k, n_select = int(params["k"]), params["n_select"]
    if params["quantize"] is None:
        least = 1 if n_select is None or params["resets_allowed"] else int(n_select)  # n_select counts clusters
        ks = [c for c in _CLUSTER_COUNTS if least <= c <= min(1500, n_pool)]
        xs = [c for c in _CLUSTER_COUNTS if k < c < n_target]
        what = "GIO on K cluster centres; n_select and max_iter then count clusters"
        # the most clusters that fit; else with the target clustered too, where the target is what costs
        if not any(offer(f"quantize={c} ({what})", dict(quantize=c)) for c in ks):
            any(offer(f"quantize={c}, quantize_target={x} ({what}, and the target's)",
                      dict(quantize=c, quantize_target=x)) for c in ks for x in xs)
    elif params["quantize_target"] is None:
        for x in (c for c in _CLUSTER_COUNTS if k < c < n_target):
            if offer(f"quantize_target={x} (the target's cluster centres)", dict(quantize_target=x)):
                break
    if dtype.itemsize == 8 or converts:
        offer("float32 pool and target (half the memory of float64)", {}, as_dtype=np.dtype(np.float32),
              as_converts=False)
    if params["search"] == "descent" and params["projection"] != "exact":  # where it would build HNSW
        offer("projection='exact' (no HNSW graph)", dict(projection="exact"), only_if_less=True)
    if (params["n_jobs"] or os.cpu_count() or 1) > 1:
        offer("n_jobs=1 (one thread's buffers)", dict(n_jobs=1))
    if params["objective"] == "knn" and params["search"] == "descent" and params["batch_size"] > 1:
        offer("batch_size=1 (one descent at a time)", dict(batch_size=1))
    if params["random_init_pct"] == 0 and params["uniform_start_size"] > 20:
        offer("uniform_start_size=20", dict(uniform_start_size=20))
    if not found:  # a subsample, as large as fits and as the parameters allow
        fewest = {"pool": max(params["quantize"] or 1, 1 if params["quantize"] or params["resets_allowed"]
                              else int(n_select or 1)),
                  "target": max(k + 1, params["quantize_target"] or 0)}
        for name, size in (("pool", n_pool), ("target", n_target)):
            def need(rows, name=name):
                sizes = {"pool": n_pool, "target": n_target, name: rows}
                return memory.need_bytes(sizes["pool"], sizes["target"], dim, dtype, params, converts)

            rows = _largest_fitting(need, size, have)
            if rows >= fewest[name]:
                offer(f"a {name} of at most {rows} rows (a subsample)", {}, **{name: rows})
                break
    return found


_CLUSTER_COUNTS = (1500, 1000, 500, 200, 100, 50, 20, 10)


def _largest_fitting(need, rows: int, have: int) -> int:
    """The most rows r <= rows with need(r) <= have (need grows with r), or 0."""
    lo, hi = 0, rows
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if need(mid) <= have:
            lo = mid
        else:
            hi = mid - 1
    return lo


def refuse_if_too_large(n_pool: int, n_target: int, dim: int, dtype, params: dict, converts: bool = False) -> None:
    """MemoryError naming the numbers, and settings that fit, for a fit that would not fit.
    converts: the fit converts a float32 pool to float64 (the target or init is float64)."""
    params = dict(params, n_jobs=resolve_n_jobs(params["n_jobs"]) or None)  # resolved (and warned about) once
    need = memory.need_bytes(n_pool, n_target, dim, dtype, params, converts)
    have = memory.available_memory()
    if have is None or need <= have:
        return
    gib = 2**30
    hints = "; ".join(a.text for a in alternatives(n_pool, n_target, dim, dtype, params, converts, have))
    raise MemoryError(f"this fit needs about {need / gib:.2f} GiB beyond its inputs (pool {n_pool} x {dim}, "
                      f"target {n_target} rows, {np.dtype(dtype).name}) but {have / gib:.2f} GiB are available; "
                      f"settings that fit: {hints or NOTHING_FITS}")


NOTHING_FITS = ("none on its own (quantize, quantize_target, float32, projection='exact', n_jobs=1, batch_size=1, "
                "uniform_start_size=20, a subsample): combine them, or free memory")
