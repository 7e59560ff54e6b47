"""What a paused worker costs a Dask fit: the same fit unpaused, and with a shard's worker SIGSTOPped
mid-run or while the shards are first built, for shard timeouts of 2 s and 10 s, in one run.

    python bench/dask_pause.py [--rows 20000] [--dim 32] [--timeouts 2 10] [--searches ...] [--out FILE]

A LocalCluster(n_workers=2, processes=True, threads_per_worker=1) with nannies; the pool is an
in-memory array in two chunks (one shard per worker), the target 500 rows. Searches: the knn
descent (batches of 4, one query per call) and knn greedy, 150 picks each. "mid-run": shard 0's
worker is SIGSTOPped just before the client's 20th call to the shards; "build": shard 1's actor
SIGSTOPs its own worker in its constructor. The paused worker is never resumed: the fit must fence
it (docs/dask.md, "Faults"). Reported per run: the fit's wall time, the shards rebuilt, the workers
fenced, and whether the picks and trace are the unpaused fit's.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from results import write_json  # noqa: E402

SEARCHES = {"descent knn": dict(search="descent", objective="knn", batch_size=4),
            "greedy knn": dict(search="greedy", objective="knn")}


def pause_mid_run(client, call: int):
    """SIGSTOP shard 0's worker just before the client's call-th call to the shards."""
    from gioselect import _dask_actors

    ask, calls = _dask_actors.ShardActors._call, [0]

    def pausing(self, *args):
        calls[0] += 1
        if calls[0] == call:
            address = self.actors[0]._address
            os.kill(client.run(os.getpid, workers=[address])[address], signal.SIGSTOP)
        return ask(self, *args)

    _dask_actors.ShardActors._call = pausing
    return lambda: setattr(_dask_actors.ShardActors, "_call", ask)


def pause_in_build(marks: str):
    """Shard 1's actor SIGSTOPs its worker in its constructor, the first time (a marker file)."""
    from gioselect import _dask_descent, _dask_greedy

    undo = []
    for module, name in ((_dask_descent, "Shard"), (_dask_greedy, "GreedyShardActor")):
        base = getattr(module, name)

        def init(self, rows, first_row, *args, _base=base):
            if first_row > 0:
                try:
                    with open(os.path.join(marks, "paused"), "x"):
                        pass
                    os.kill(os.getpid(), signal.SIGSTOP)
                except FileExistsError:
                    pass
            _base.__init__(self, rows, first_row, *args)

        setattr(module, name, type(name, (base,), {"__init__": init}))
        undo.append((module, name, base))
    return lambda: [setattr(m, n, b) for m, n, b in undo]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--dim", type=int, default=32)
    ap.add_argument("--timeouts", type=float, nargs="*", default=[2, 10])
    ap.add_argument("--searches", nargs="*", default=list(SEARCHES), choices=list(SEARCHES))
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    import dask
    import dask.array as da
    from distributed import Client, LocalCluster

    from gioselect import GIOSelector

    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 1, (args.rows // 2, args.dim)),
                   rng.normal(3, 1, (args.rows - args.rows // 2, args.dim))]).astype(np.float32)
    T = rng.normal(0, 1, (500, args.dim)).astype(np.float32)
    rebuilt, fenced = [], []
    handler = logging.Handler()

    def emit(record):
        message = record.getMessage()
        if "rebuilding it from its chunk" in message:
            rebuilt.append(message)
        if "sent no heartbeat for" in message and "restarting it" in message:
            fenced.append(message)
            print(f"  {message}", flush=True)

    handler.emit = emit
    logging.getLogger("gioselect").addHandler(handler)
    rows = []
    # lost-worker-timeout: a LocalCluster closes for good the nanny of a worker restarted twice within it
    with dask.config.set({"distributed.deploy.lost-worker-timeout": "1 hour"}), \
            LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        client.run(lambda: __import__("gioselect"))

        def fit(mode):
            pool = da.from_array(X, chunks=((args.rows // 2, args.rows - args.rows // 2), -1), name=False)
            t0 = time.perf_counter()
            sel = GIOSelector(random_state=0, n_select=150, **SEARCHES[mode]).fit(pool, target=T, client=client)
            return sel, time.perf_counter() - t0

        for mode in args.searches:
            base, seconds = fit(mode)
            rows.append(dict(search=mode, pause="none", timeout_s=None, fit_s=round(seconds, 3), rebuilt=0,
                             fenced=0, same=True))
            print(rows[-1], flush=True)
            for timeout in args.timeouts:
                for pause in ("mid-run", "build"):
                    rebuilt.clear()
                    fenced.clear()
                    with tempfile.TemporaryDirectory() as marks:
                        undo = pause_mid_run(client, 20) if pause == "mid-run" else pause_in_build(marks)
                        try:
                            with dask.config.set({"gioselect.shard-timeout": timeout,
                                                  "gioselect.descent-lookahead": 1}):
                                sel, seconds = fit(mode)
                        finally:
                            undo()
                    same = bool(np.array_equal(sel.selected_indices_, base.selected_indices_)
                                and np.array_equal(sel.objective_trace_, base.objective_trace_))
                    rows.append(dict(search=mode, pause=pause, timeout_s=timeout, fit_s=round(seconds, 3),
                                     rebuilt=len(rebuilt), fenced=len(fenced), same=same))
                    print(rows[-1], flush=True)
                    client.wait_for_workers(2, timeout=300)  # the fenced worker, restarted by its nanny
                    while len(client.run(os.getpid, on_error="ignore")) < 2:
                        time.sleep(0.1)
    write_json(dict(rows=args.rows, dim=args.dim, target=500, picks=150, workers=2, runs=rows),
               args.out or os.path.join(HERE, "results", "dask_pause.json"))


if __name__ == "__main__":
    main()
