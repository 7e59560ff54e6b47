"""A pool given as a dask.array.Array: GIOSelector.fit on a distributed.Client (docs/dask.md).

What runs on Dask today: quantize=K, whose K-means quantization runs chunk by chunk on the
workers (gioselect._dask_quantize) before GIO runs on the K centres on the client,
search='descent' on the rows, whose projection runs on shards of the pool held by the workers
(gioselect._dask_descent), and search='greedy' on the rows, whose scores those shards keep
(gioselect._dask_greedy); each gives the one-process result. The pool never passes through the
client; the target, the start rows, the run, its RNG and its result stay there. Dask is imported
only when a Dask pool arrives.
"""

from __future__ import annotations

import logging
import sys
import time

import numpy as np

from gioselect import _dask_descent, _dask_faults, _dask_greedy, _dask_quantize, _dask_selection_kl
from gioselect._blocks import fingerprint
from gioselect._validation import as_matrix, same_width

log = logging.getLogger("gioselect")

SUPPORTED = ("quantize=K (any objective, search and metric; GIO then runs on the K cluster centres), "
             "search='descent' on the rows (its projection exact, on shards of the pool held by the workers) and "
             "search='greedy' on the rows (its scores on those shards)")


def is_dask_array(a) -> bool:
    da = sys.modules.get("dask.array")  # a Dask array exists only once dask.array is imported
    return da is not None and isinstance(a, da.Array)


class DaskPool:
    """The pool as chunks on the workers, with the client that reads them: what fit needs of a
    pool (shape, dtype, its K-means, some of its rows), each read by the workers."""

    def __init__(self, array, client):
        self.array, self.client = array, client
        self.shape, self.dtype = array.shape, array.dtype
        self.bytes_to_client = 0  # what the pool's reads sent to this process (logged by fit)

    def astype(self, dtype, copy=False):
        """The pool in `dtype`, converted on the workers as they read it (fit's common dtype)."""
        if np.dtype(dtype) == self.dtype:
            return self
        other = DaskPool(self.array.astype(dtype), self.client)
        other.bytes_to_client = self.bytes_to_client
        return other

    def __getitem__(self, rows):
        """Rows by index (the start rows of random_init_pct), read from their chunks."""
        return self.take(rows, "the read of the start rows")

    def aligned(self, block_rows: int):
        """The pool with its row chunks re-cut at multiples of block_rows (no copy if they are)."""
        rows = _dask_quantize.aligned_chunks(self.array.chunks[0], block_rows)
        return self.array if rows == self.array.chunks[0] else self.array.rechunk({0: rows})

    def results(self, parts: list, phase: str, what: list[str], *, graph_bytes: int = 0) -> list:
        """The values of dask objects, computed on the workers, in order: the first failing part's
        error is raised (so errors name the first bad row, as in one process), and a fault that
        outlasts Dask's retries as an error naming `phase` and the part (`what[i]`); graph_bytes:
        data the graph carries on purpose (the centres), not warned about as a large graph."""
        import dask

        threshold = dask.utils.parse_bytes(dask.config.get("distributed.admin.large-graph-warning-threshold"))
        with dask.config.set({"distributed.admin.large-graph-warning-threshold": threshold + graph_bytes}):
            futures = self.client.compute(parts)
        values = _dask_faults.gather(self.client, futures, phase, what)
        self.bytes_to_client += sum(getattr(v, "nbytes", 0) for v in values)
        return values

    @staticmethod
    def in_graph(value):
        """value as one key of the task graph: sent to the scheduler once, which gives it to any
        worker that needs it, restarted ones included (a scattered copy dies with the last worker
        holding it, and every task waiting for it is cancelled)."""
        import dask

        return dask.delayed(value, traverse=False)

    def row(self, row: int) -> np.ndarray:
        return self.take(np.array([row]), f"the empty-cluster repair (reading row {row})")

    def take(self, rows, phase: str) -> np.ndarray:
        """Pool rows `rows` (any order, repeats allowed) as a new array on the client."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.empty((0, self.shape[1]), dtype=self.dtype)
        uniq, where = np.unique(rows, return_inverse=True)
        return self.results([self.array[uniq]], phase, [f"{len(uniq):,} rows"])[0][where]


def is_pool(a) -> bool:
    return isinstance(a, DaskPool)


def run(pool: DaskPool, target, init, options, **kw):
    """_engine.run for a Dask pool: the search on shards the workers hold."""
    return (_dask_greedy if options.search.kind == "greedy" else _dask_descent).run(pool, target, init, options, **kw)


def kmeans(pool: DaskPool, n_clusters: int, **kw):
    return _dask_quantize.kmeans(pool, n_clusters, **kw)


def selected_rows(pool: DaskPool, rows) -> _dask_selection_kl.RowsOnWorkers:
    """The selected rows, left on the workers (selection_kl_ is estimated there), and what the
    fit's reads sent here."""
    log.info("Dask pool of %d x %d: %d bytes of it sent to the client (K-means sample, 8 bytes of label and distance "
             "a row, repaired rows)", *pool.shape, pool.bytes_to_client)
    return _dask_selection_kl.RowsOnWorkers(pool.array, pool.client, rows)


def inputs(est, X, target, init, client):
    """GIOBase._inputs for a Dask pool: (DaskPool, target, init, ids), or a clear refusal of what
    does not run on Dask yet."""
    if not is_dask_array(X):
        raise TypeError(f"client= runs a Dask pool: X must be a dask.array.Array, got {type(X).__name__} "
                        f"(a numpy pool runs in this process; leave client unset)")
    if est.quantize is None and est._search not in ("descent", "greedy"):
        raise ValueError(f"X is a Dask array and {est._search_named()} runs on the rows: on Dask, gioselect runs "
                         f"{SUPPORTED}; set quantize=K, search='descent' or search='greedy', or pass np.asarray(X) if "
                         f"the pool fits in this process (the other modes need the pool in one process today)")
    if est.quantize is None and est._search == "descent":
        _descent_refusals(est, X.shape[0])
    if est.svd_components is not None:
        raise ValueError(f"svd_components={est.svd_components!r} does not run with a Dask pool (the TruncatedSVD is "
                         f"fitted in one process); leave it None")
    if target is None:
        raise ValueError("X is a Dask array and target is None: the target defaults to the pool, which would bring "
                         "the whole pool to this process; pass target= (e.g. a sample of the pool's rows)")
    client = _client(client)
    _dask_faults.check_settings()  # a bad setting is refused before any work
    check_workers(client)
    pool = DaskPool(_as_dask_matrix(X, "X (the pool)"), client)
    from sklearn.utils.validation import validate_data

    validate_data(est, X, reset=True, skip_check_array=True)  # n_features_in_
    tgt = as_matrix(_local(target, client), "target")
    start = None if init is None else as_matrix(_local(init, client), "init")
    same_width({"X (the pool)": pool, "target": tgt, "init": start})
    # the pool's identity: its Dask name (a token of its graph), as no pass can hash it in order
    return pool, tgt, start, (f"dask:{X.name}", fingerprint(tgt))


def _descent_refusals(est, n_rows: int) -> None:
    """'auto' where one process would start on HNSW: on shards that is a choice, exact (one
    process's exact picks) or an HNSW index per shard (approximate, other picks than one
    process's HNSW), which the user makes."""
    if est.projection == "auto" and n_rows > est.exact_below:
        raise ValueError(f"X is a Dask array and projection='auto' with exact_below={est.exact_below:,} < the pool's "
                         f"{n_rows:,} rows, where one process would start on HNSW: on Dask choose "
                         f"projection='exact' (exact picks, every shard scanned per query) or projection='hnsw' (an "
                         f"HNSW index per shard: approximate)")


def _client(client):
    if client is not None:
        return client
    from distributed import get_client

    try:
        return get_client()
    except ValueError:
        raise ValueError("X is a Dask array, but there is no distributed.Client: start one (e.g. "
                         "Client(LocalCluster()) or Client('tcp://scheduler:8786')) or pass fit(..., client=)") from None


def _local(a, client):
    """A target or init given as a Dask array, computed here (they belong to the client)."""
    return client.compute(a).result() if is_dask_array(a) else a


def _as_dask_matrix(X, name: str):
    """X checked and typed as as_matrix does (float16 -> float32, other numbers -> float64), one
    column chunk; its values are checked by the first pass over the chunks."""
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_rows, n_features), got {X.ndim}-D array of shape {X.shape}")
    if any(np.isnan(c) for c in X.chunks[0]):
        raise ValueError(f"{name} has chunks of unknown size; call X.compute_chunk_sizes() first")
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {X.shape}; expected at least one row and one column")
    if np.issubdtype(X.dtype, np.complexfloating):
        raise ValueError(f"Complex data not supported: {name} has dtype {X.dtype}; pass real values")
    if not (np.issubdtype(X.dtype, np.number) or X.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.dtype == np.float16:
        X = X.astype(np.float32)
    elif X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


def environment() -> dict:
    """What a row's floats depend on besides its values: gioselect, numpy, the BLAS and its kernel,
    the CPU features numpy dispatches on, and the build of gioselect's kernels this process runs
    (chosen from the CPU and GIOSELECT_SIMD)."""
    import gioselect
    from gioselect import _core
    from threadpoolctl import threadpool_info

    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    blas = sorted((lib["internal_api"], lib.get("version"), lib.get("architecture"))
                  for lib in threadpool_info() if lib["user_api"] == "blas")
    return {"gioselect": gioselect.__version__, "numpy": np.__version__, "BLAS": blas,
            "CPU features": sorted(k for k, v in features.items() if v), "SIMD kernel": _core.simd_kernel()}


def check_workers(client) -> None:
    """Refuse a cluster whose workers could compute other floats than this process (the result
    would not be the one-process result), or that has no workers."""
    workers = client.scheduler_info().get("workers", {})
    if not workers:
        raise ValueError("the Dask client has no workers; start some (or wait for them: client.wait_for_workers(n))")
    theirs = _environments(client)
    ours = environment()
    for address, env in sorted(theirs.items()):
        for key, value in ours.items():
            if env.get(key) != value:
                fix = ("start the workers with this process's GIOSELECT_SIMD (=generic forces the portable kernel)"
                       if key == "SIMD kernel" else "run the workers on the same installation and CPU type")
                raise ValueError(f"Dask worker {address} has {key} {env.get(key)}, this process {value}: its rows' "
                                 f"distances could differ in the last bits, and the selection from one process's; "
                                 f"{fix}")


def _environments(client, attempts: int = 3) -> dict:
    """Each worker's environment(). A worker that leaves while asked (it died, or its nanny is
    restarting it) is not a wrong installation: the workers are asked again, up to `attempts`
    times; a worker that joins later is not asked. A worker silent for gioselect.shard-timeout (a
    paused one) is fenced, and the workers there are then asked again."""
    for attempt in range(attempts):
        answers = _run_fenced(client, environment, "the check of the workers' environment")
        failed = {a: e for a, e in answers.items() if isinstance(e, BaseException)}
        if not any(isinstance(e, OSError) for e in failed.values()):  # a closed comm: the worker left
            break
        time.sleep(0.5 * (attempt + 1))  # time for the scheduler to see it leave
    for address, e in sorted(failed.items()):
        if isinstance(e, OSError):
            raise ValueError(f"Dask worker {address} left while reporting its environment, {attempts} times "
                             f"({type(e).__name__}: {e}); is the cluster restarting workers?") from None
        raise ValueError(f"Dask worker {address} could not report its environment ({type(e).__name__}: {e}); "
                         f"every worker needs this gioselect installed") from None
    return answers


def _run_fenced(client, function, phase: str) -> dict:
    """client.run(function, on_error="return") that does not wait for ever for a paused worker:
    one that has sent no heartbeat for the shard timeout is fenced (_dask_faults.fence) and the
    run asked again of the workers there are then."""
    timeout = _dask_faults.shard_timeout()
    heartbeats = _dask_faults.Heartbeats(timeout)
    while True:
        heartbeats.silent(client)  # the watch starts before the run
        try:  # past the timeout, a silent worker has had it in full
            return client.run(function, on_error="return", callback_timeout=timeout + 2 * _dask_faults.POLL_SECONDS)
        except TimeoutError:
            pass
        if not heartbeats.fence_silent(client, phase):
            raise TimeoutError(f"the Dask workers did not answer {phase} within {timeout:g} s, though every one still "
                               f"sends its heartbeat ({_dask_faults.SHARD_TIMEOUT_KEY} sets the wait)")
