"""How much memory a fit needs, and how much the process can still allocate.

The model counts what a fit allocates on top of its inputs (which are never copied when they are
C-contiguous float32/float64; a memory-mapped pool is read block by block): the core's target
statistics, the estimator, the projection index (exact search, or an HNSW graph), the greedy
search's scores and lists, K-means quantization and explosion, and the result arrays. Checked
against peak RSS in bench/million.py and tests/test_memory.py. It is a pure function of the
resolved parameters; gioselect.estimate_memory (in selector.py) supplies GIOSelector's defaults,
and _memory_refusal refuses a fit that would not fit, with settings that would.
"""

from __future__ import annotations

import math
import os

import numpy as np

from gioselect._validation import resolve_n_jobs
from gioselect.quantize import assign_block_rows

_F64, _F32, _I64, _I32 = 8, 4, 8, 4
_GREEDY_LIST_ENTRIES = 1 << 23  # KnnGainScores::kListBudget
_HNSW_PER_ROW = 8 + 4 + 56    # link-list pointer, level, and the label map's node


def fit_bytes(n_pool: int, n_target: int, dim: int, dtype, params: dict) -> int:
    """Expected peak bytes a fit allocates for a pool of n_pool x dim and a target of n_target rows
    of `dtype`, on top of the inputs themselves. params: every GIOSelector parameter, resolved
    (``GIOBase._params()``: search='auto' replaced by the search the fit runs);
    gioselect.estimate_memory fills in the defaults. params["on_dask"] (optional, default False):
    the pool is a Dask array, and this counts what the client holds (docs/dask.md);
    params["dask_shards"] (optional, default 1): its row chunks."""
    s = np.dtype(dtype).itemsize
    threads = resolve_n_jobs(params["n_jobs"]) or (os.cpu_count() or 1)  # 0: OpenMP's default, all cores
    m, n, d, k = int(n_pool), int(n_target), int(dim), int(params["k"])
    on_dask = bool(params.get("on_dask", False))
    total = m  # support_
    if params["quantize"] is not None:
        total += _quantize_bytes(m, d, s, int(params["quantize"]), threads, on_dask)
        m = int(params["quantize"])
        if params["quantize_target"] is not None:
            total += _quantize_bytes(n, d, s, int(params["quantize_target"]), threads)  # the target: here
            n = int(params["quantize_target"])
    total += _start_bytes(params, m, d, s)
    total += n * d * (2 * _F64 + 2 * _F32) + n * 5 * _F64        # TargetStats and the estimator
    # KnnKL's k nearest rows of W per target: the knn objective's, or (relaxed) the one that scores
    # the selection at the end; a knn run holds both then
    total += n * (k + 1) * _F64 * (2 if params["objective"] == "knn" else 1)
    total += threads * (4 * n + k) * _F64                        # rho: four rows of distances, a heap of k
    total += m + 2 * m * _I64                                    # taken rows, `remaining` in C++ and numpy
    if params.get("metric") == "cosine" and params["search"] in ("descent", "nearest", "spread"):
        total += m * _F64                                        # 1 / |row| for the exact projection or nearest lists
    if on_dask and params["quantize"] is None and params["search"] == "descent":
        return int(total + _sharded_descent_bytes(params, m, d))
    if on_dask and params["quantize"] is None and params["search"] == "greedy":
        return int(total + _sharded_greedy_bytes(params, m, n, d, s))
    return int(total + _search_bytes(params, m, n, d, threads))


def _sharded_descent_bytes(p: dict, m: int, d: int) -> int:
    """The client's part of a descent on Dask shards: the shards hold the rows, their index and its
    scans; the client keeps the pick log (a Python int per pick) and a round trip's answers."""
    total = _picks_bound(p, m) * 40                              # the pick log per shard
    if p["objective"] == "knn":                                  # a round's descents, batch_size of them
        total += min(int(p["batch_size"]), _picks_bound(p, m)) * (d * _F64 + 48)
    return total


def _sharded_greedy_bytes(p: dict, m: int, n: int, d: int, s: int) -> int:
    """The client's part of a greedy search on Dask shards: the shards hold the rows, their scores
    and the targets' lists; the client keeps the log of every call (what a rebuilt shard replays).
    knn: a pick's call carries its changed targets, 41 bytes each, and about 940 bytes of Python
    objects (measured); over P picks a target's list changes about k (1 + ln(P / k)) times (measured
    0.7-1.25 times that on bench/data.py's problems, so counted twice). relaxed: each shard's next
    ranked rows with their values."""
    if p["objective"] != "knn":
        from gioselect._greedy_shards import ShardedGreedy

        return int(p.get("dask_shards", 1)) * ShardedGreedy.RANKED_ROWS * (d * s + 200)  # a row, its value
    picks, k = min(_picks_bound(p, m), m), int(p["k"])
    changes = 2 * n * k * (1 + math.log(max(picks, k) / k))
    return int(changes * 41 + picks * 940)


def _start_bytes(p: dict, m: int, d: int, s: int) -> int:
    """The start rows a fit draws: random pool rows, or uniform points (in C++, then in numpy)."""
    if p["random_init_pct"] > 0:
        return int(p["random_init_pct"] * m) * (d * s + _I64)
    return int(p["uniform_start_size"]) * d * 2 * _F64


def _quantize_bytes(m: int, d: int, s: int, clusters: int, threads: int, on_dask: bool = False) -> int:
    sample = min(m, 256 * clusters)
    batch = min(sample, max(4096, 4 * clusters))                 # quantize.kmeans' MiniBatchKMeans batch
    # one after the other: a K-means batch's distances to every centre, then the assignment's blocks in
    # flight (one per thread; on Dask the workers assign, and send 8 bytes a row)
    assign = 0 if on_dask else threads * assign_block_rows(clusters) * (clusters + 2 * d) * s
    return (sample * d * (s + _F32 if s > _F32 else s)           # the training sample (and its float32 copy)
            + sample * (_F64 + _I32)                             # its weights, labels
            + m * (_I32 + _F32)                                  # labels, distance to the centre
            + max(batch * clusters * _F64, assign)
            + 3 * m * _I64)                                      # explode: the lexsort and its keys


def _picks_bound(p: dict, m: int) -> int:
    """The most picks the core plans for (its budget): n_select, else max_iter."""
    if p["n_select_rows"] is not None:
        return m  # every cluster, in pick order
    return next((int(v) for v in (p["n_select"], p["max_iter"]) if v is not None), m)


def _search_bytes(p: dict, m: int, n: int, d: int, threads: int) -> int:
    """What the search mode itself holds, one case per mode."""
    if p["search"] == "greedy" and p["objective"] == "knn":
        max_list = max(512, _GREEDY_LIST_ENTRIES // n)             # KnnGainScores::max_list_
        return (m * (2 * _F64 + 1)                                 # scores, best-row tree
                + int(0.4 * n * max_list * (_I32 + _F64)))         # lists: ~40% of their budget (measured)
    if p["search"] == "greedy":
        return m * (_F64 + _I64)                                   # the relaxed ranking
    if p["search"] == "descent":
        total = m * _F64                                           # exact search: distances to every row
        if p["n_candidates"] > 1:
            total += m * (_F64 + _I64)                             # the candidates, sorted
        if p["objective"] == "knn":                                # a round's descents, batch_size of them
            total += min(int(p["batch_size"]), _picks_bound(p, m)) * (d * _F64 + 48)
        if p["projection"] == "hnsw" or (p["projection"] == "auto" and m > p["exact_below"]):
            links = (2 * p["hnsw_m"] + 1) * _I32
            total += m * (d * _F32 + links + _I64 + _HNSW_PER_ROW) + threads * m * 2
        return total
    if p["search"] == "nearest":
        cap = next((int(v) for v in (p["n_select"], p["max_iter"]) if v is not None), m)
        list_len = min(m, max(64, 4 * (cap // n + 1) + 32))
        return n * list_len * (2 * _F64 + _I64)                    # per-target lists and their heaps
    if p["search"] == "spread":
        ref = n + min(m, n * min(20, max(1, m // 2 // n)))         # spread_order.cpp: targets + sample
        scoring = threads * ref * (16 * _F64 + 1) + m * 4 * _F64   # per thread a tile's distances; neighbourhoods
        ordering = m * (3 * _F64 + 4 + 4 * _I64)                   # domain scores and counts, cell ranks, the order
        return (ref * d * _F64 + max(scoring, ordering)            # the reference rows, then the larger stage
                + n * 32 * 3 * _F64)                               # the first round's lists
    raise ValueError(f"no memory model for search={p['search']!r}")


def available_memory() -> int | None:
    """Bytes this process can still allocate now: the least of the system's MemAvailable, the room
    left under an address-space limit (ulimit -v, prlimit --as) and the room left in its memory
    cgroup (v2 or v1). None where none of them is known."""
    known = [v for v in (_mem_available(), _address_space_left(), _cgroup_left()) if v is not None]
    return min(known) if known else None


def _mem_available():
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _address_space_left():
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
        if limit == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/status") as f:
            size = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:"))
        return max(0, limit - size)
    except (ImportError, OSError, StopIteration, ValueError):
        return None


def _cgroup_left():
    """limit - usage of this process's memory cgroup; v2 (memory.max) or v1 (memory.limit_in_bytes)."""
    try:
        with open("/proc/self/cgroup") as f:
            entries = [line.rstrip("\n").split(":", 2) for line in f]
    except OSError:
        return None
    candidates = []
    for _, controllers, path in entries:
        if controllers == "":  # v2
            candidates.append((f"/sys/fs/cgroup{path}", "memory.max", "memory.current"))
        elif "memory" in controllers.split(","):  # v1: the namespace root, or the full path
            candidates += [("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes"),
                           (f"/sys/fs/cgroup/memory{path}", "memory.limit_in_bytes", "memory.usage_in_bytes")]
    for folder, limit_file, usage_file in candidates:
        try:
            with open(os.path.join(folder, limit_file)) as f:
                limit = f.read().strip()
            with open(os.path.join(folder, usage_file)) as f:
                usage = int(f.read().strip())
        except (OSError, ValueError):
            continue
        if limit == "max" or int(limit) >= 2**60:  # no limit set
            return None
        return max(0, int(limit) - usage)
    return None


def input_copy_bytes(n_pool: int, dim: int, params: dict, converts: bool) -> int:
    """The float64 copy of a float32 pool a fit makes when the target (or init) is float64; with
    quantize, GIO runs on cluster centres and the pool is never converted; a Dask pool is
    converted by the workers as they read it."""
    if not converts or params["quantize"] is not None or params.get("on_dask", False):
        return 0
    return int(n_pool) * int(dim) * _F64


def need_bytes(n_pool: int, n_target: int, dim: int, dtype, params: dict, converts: bool) -> int:
    """fit_bytes and the conversion of the pool, if the fit makes one: what the refusal compares."""
    return fit_bytes(n_pool, n_target, dim, dtype, params) + input_copy_bytes(n_pool, dim, params, converts)
