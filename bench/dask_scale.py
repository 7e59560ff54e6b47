"""quantize=K on a Dask pool against one process, on the same memory-mapped pool in the same run.

    python bench/dask_scale.py [--rows 400000] [--dim 64] [--k 1500] [--target 5000] [--workers 1 2]
                               [--chunk-rows 65536] [--repeat 2]
    python bench/dask_scale.py --descent [--picks 300] ...   (the sharded descent's per-pick latency)

The pool (bench/embeddings.py, float32, written to --data-dir once) is read by the workers with
gioselect.io.read_npy_dask; the one-process fit reads it with np.load(mmap_mode='r'). Each run is
GIOSelector(quantize=K, search="descent", random_state=0).fit(pool, target=T) (the descent, the
default when bench/results/dask_scale.json was measured) in a fresh process (the client), on a
fresh LocalCluster(n_workers=w, processes=True, threads_per_worker=1) for the Dask runs, whose
workers import gioselect before the clock starts (the one-process run imports it too). Reported:
wall time of the fit, its K-means part, the bytes of pool data sent to the client (gioselect's log),
each worker's peak RSS (ru_maxrss: imports included) and the client's, and whether the Dask fit is
identical to the one-process fit (centres, labels, picks, rows, trace). --repeat rounds of every
configuration, interleaved, because the machine's load (other jobs) changes the times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from embeddings import pool_file  # noqa: E402
from results import write_json  # noqa: E402

RUN = textwrap.dedent("""
    import hashlib, json, logging, re, resource, sys, time
    import numpy as np
    sys.path.insert(0, {here!r})
    from embeddings import target
    from gioselect import GIOSelector

    class Sent(logging.Handler):
        sent, phases = 0, None
        def emit(self, record):
            m = re.search(r"(\\d+) bytes of it sent to the client", record.getMessage())
            if m:
                Sent.sent = int(m.group(1))
            m = re.search(r"sample pass ([\\d.]+) s, K-means ([\\d.]+) s, assignment pass ([\\d.]+) s", record.getMessage())
            if m:
                Sent.phases = dict(zip(("check_sample_s", "kmeans_s", "assign_s"), map(float, m.groups())))

    log = logging.getLogger("gioselect")
    log.setLevel(logging.INFO)
    log.addHandler(Sent())

    def digest(sel):
        h = hashlib.blake2b(digest_size=12)
        for name in ("cluster_centers_", "cluster_labels_", "selected_clusters_", "selected_indices_",
                     "objective_trace_"):
            h.update(np.ascontiguousarray(getattr(sel, name)))
        return h.hexdigest()

    def peak_rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    if __name__ == "__main__":
        T = target({n_target}, {dim})
        workers = {workers}
        out = {{}}
        if workers == 0:
            pool = np.load({path!r}, mmap_mode="r")
            t0 = time.perf_counter()
            sel = GIOSelector(quantize={k}, search="descent", random_state=0).fit(pool, target=T)
            wall = time.perf_counter() - t0
            from gioselect import quantize
            t1 = time.perf_counter()
            quantize.assign(pool, sel.cluster_centers_)  # the assignment pass alone, for the comparison
            Sent.phases = dict(assign_s=time.perf_counter() - t1)
        else:
            from distributed import Client, LocalCluster
            from gioselect.io import read_npy_dask
            cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
            client = Client(cluster)
            pool = read_npy_dask({path!r}, chunk_rows={chunk_rows})
            client.run(lambda: __import__("gioselect._dask_quantize") and __import__("sklearn.cluster"))  # warm
            t0 = time.perf_counter()
            sel = GIOSelector(quantize={k}, search="descent", random_state=0).fit(pool, target=T, client=client)
            wall = time.perf_counter() - t0
            out["worker_peak_rss"] = sorted(client.run(peak_rss).values())
            out["chunks"] = len(pool.chunks[0])
            client.close()
            cluster.close()
        out.update(wall_s=wall, quantize_s=sel.quantize_seconds_, picks=len(sel.selected_clusters_),
                   selected_rows=len(sel.selected_indices_), stop=sel.stop_reason_, sent_to_client=Sent.sent, phases=Sent.phases,
                   client_peak_rss=peak_rss(), digest=digest(sel))
        print(json.dumps(out))
""")


DESCENT = textwrap.dedent("""
    import hashlib, json, logging, re, resource, sys, time
    import dask
    import numpy as np
    sys.path.insert(0, {here!r})
    from embeddings import target
    from gioselect import GIOSelector

    class Shards(logging.Handler):
        stats = recall = None
        def emit(self, record):
            m = re.search(r"built in ([\\d.]+) s; (\\d+) queries in ([\\d.]+) s, (\\d+) round trips in ([\\d.]+) s "
                          r"\\([\\d.]+ ms each\\), ([\\d.na]+) s of the shards' work in all; (\\d+) bytes sent and "
                          r"(\\d+) received", record.getMessage())
            if m:
                Shards.stats = dict(zip(("build_s", "queries", "descent_s", "round_trips", "round_trips_s",
                                         "shard_work_s", "bytes_sent", "bytes_received"), map(float, m.groups())))
            m = re.search(r"(\\d+) of (\\d+) audited projections", record.getMessage())
            if m:
                Shards.recall = int(m.group(1)) / int(m.group(2))

    log = logging.getLogger("gioselect")
    log.setLevel(logging.INFO)
    log.addHandler(Shards())

    if __name__ == "__main__":
        T = target({n_target}, {dim})
        workers = {workers}
        params = dict(search="descent", projection={projection!r}, n_select={picks}, random_state=0)
        dask.config.set({{"gioselect.descent-lookahead": {lookahead}, "gioselect.hnsw-audit": {audit}}})
        client = None
        if workers == 0:
            pool = np.load({path!r}, mmap_mode="r")
        else:
            from distributed import Client, LocalCluster
            from gioselect.io import read_npy_dask
            cluster = LocalCluster(n_workers=workers, processes=True, threads_per_worker=1, dashboard_address=None)
            client = Client(cluster, direct_to_workers={direct})  # direct: actor calls skip the scheduler
            pool = read_npy_dask({path!r}, chunk_rows=-(-{rows} // workers))  # one chunk (shard) per worker
            client.run(lambda: __import__("gioselect._dask_descent"))  # warm
        t0 = time.perf_counter()
        sel = GIOSelector(**params).fit(pool, target=T, client=client)
        wall = time.perf_counter() - t0
        h = hashlib.blake2b(np.ascontiguousarray(sel.selected_indices_).tobytes() + sel.objective_trace_.tobytes(),
                            digest_size=12).hexdigest()
        rss = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        workers_rss = sorted(client.run(rss).values()) if client else []
        print(json.dumps(dict(wall_s=wall, picks=len(sel.selected_indices_), ms_per_pick=1e3 * wall / {picks},
                              shards=Shards.stats, recall=Shards.recall, worker_peak_rss=workers_rss, digest=h)))
""")


def descent_latency(path, args, workers, picks, direct=False, lookahead=1, projection="exact", audit=False):
    """search='descent' (projection='exact', n_select=picks) on the same pool: one process (workers=0)
    or a LocalCluster of `workers` one-thread workers, one chunk (one shard) each, its client
    direct_to_workers or not (actor calls through the scheduler, the default), `lookahead` queries per
    round trip; the fit's wall time per pick, and from gioselect's log the shards' build, the round
    trips' time, the shards' own work in them and bytes per round trip; each worker's peak RSS.
    projection='hnsw': an HNSW index per shard; audit: every projection also scanned exactly (the
    recall; its time is then not HNSW's)."""
    code = DESCENT.format(here=HERE, path=path, n_target=args.target, dim=args.dim, workers=workers, picks=picks,
                          rows=args.rows, direct=direct, lookahead=lookahead, projection=projection,
                          audit=audit)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def descent_main(args, path):
    mib = 2**20
    pool_bytes = args.rows * args.dim * 4
    out = dict(rows=args.rows, dim=args.dim, target=args.target, picks=args.picks, pool_bytes=pool_bytes, runs=[])
    one = None
    configs = [(0, False, 1, "exact", False),
               *((w, d, b, "exact", False) for w in args.workers for d in (False, True) for b in args.lookahead),
               *((w, False, 1, "hnsw", a) for w in (args.workers if args.hnsw else []) for a in (False, True))]
    for rep in range(args.repeat):
        for w, direct, lookahead, projection, audit in configs:
            r = dict(workers=w, direct_to_workers=direct, lookahead=lookahead, projection=projection, audit=audit,
                     round=rep, **descent_latency(path, args, w, args.picks, direct, lookahead, projection, audit))
            one = r if w == 0 and one is None else one
            r["identical"] = r["digest"] == one["digest"]
            out["runs"].append(r)
            s = r["shards"]
            if projection == "hnsw":
                r["identical"] = "no: HNSW shards" + (f", recall {r['recall']:.4f}" if r["recall"] is not None else "")
            extra = ""
            if s is not None:
                trips = max(s["round_trips"], 1)
                extra = (f"; shards built in {s['build_s']:.1f} s; per pick: client {1e3 * (s['descent_s'] - s['round_trips_s']) / r['picks']:.2f} ms, "
                         f"round trips {1e3 * s['round_trips_s'] / r['picks']:.2f} ms ({s['round_trips']:.0f} of "
                         f"{1e3 * s['round_trips_s'] / trips:.2f} ms, the shards' work {1e3 * s['shard_work_s'] / w / trips:.2f} ms "
                         f"per shard of it); {s['bytes_sent'] * trips / r['picks']:.0f} B out and "
                         f"{s['bytes_received'] * trips / r['picks']:.0f} B back per pick; worker peak RSS "
                         f"{[round(x / mib) for x in r['worker_peak_rss']]} MiB (pool / workers {pool_bytes / w / mib:.0f} MiB)")
            where = "one process" if w == 0 else (f"{w} worker(s){', direct' if direct else ''}, lookahead {lookahead}"
                                                  f"{', HNSW shards' if projection == 'hnsw' else ''}"
                                                  f"{', audited' if audit else ''}")
            print(f"{where}: {r['ms_per_pick']:.2f} ms per pick "
                  f"({r['wall_s']:.1f} s){extra}, identical: {r['identical']}", flush=True)
            write_json(out, args.out)


def run(path, args, workers):
    code = RUN.format(here=HERE, path=path, n_target=args.target, dim=args.dim, k=args.k, workers=workers,
                      chunk_rows=args.chunk_rows)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=400_000)
    ap.add_argument("--dim", type=int, default=64)
    ap.add_argument("--k", type=int, default=1500)
    ap.add_argument("--target", type=int, default=5000)
    ap.add_argument("--workers", type=int, nargs="*", default=[1, 2])
    ap.add_argument("--chunk-rows", type=int, default=4096 * 16)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--data-dir", default="/tmp/gioselect-bench")
    ap.add_argument("--descent", action="store_true",
                    help="the sharded descent's per-pick latency instead (search='descent', projection='exact')")
    ap.add_argument("--picks", type=int, default=300, help="--descent: n_select")
    ap.add_argument("--hnsw", action="store_true", help="--descent: HNSW shards too (audited: their recall)")
    ap.add_argument("--lookahead", type=int, nargs="*", default=[1, 32],
                    help="--descent: queries per round trip (the Dask setting gioselect.descent-lookahead)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    path = pool_file(args.data_dir, args.rows, args.dim)
    if args.descent:
        args.out = args.out or os.path.join(HERE, "results", "dask_descent_latency.json")
        return descent_main(args, path)
    args.out = args.out or os.path.join(HERE, "results", "dask_scale.json")
    mib = 2**20
    pool_bytes = args.rows * args.dim * 4
    out = dict(rows=args.rows, dim=args.dim, k=args.k, target=args.target, pool_bytes=pool_bytes,
               chunk_rows=args.chunk_rows, runs=[])
    one = None
    for rep in range(args.repeat):  # rounds of every configuration: the machine's load changes slowly
        for w in [0, *args.workers]:
            r = dict(workers=w, round=rep, **run(path, args, w))
            one = r if w == 0 and one is None else one
            r["identical"] = r["digest"] == one["digest"]
            out["runs"].append(r)
            phases = ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in (r["phases"] or {}).items())
            where = "one process" if w == 0 else f"{w} worker(s), {r['chunks']} chunks"
            print(f"{where}: {r['wall_s']:.1f} s (quantize {r['quantize_s']:.1f} s: {phases}), {r['picks']} clusters "
                  f"-> {r['selected_rows']:,} rows, identical: {r['identical']}; client peak RSS "
                  f"{r['client_peak_rss'] / mib:.0f} MiB", flush=True)
            if w:
                print(f"    sent to the client {r['sent_to_client'] / mib:.0f} MiB of a {pool_bytes / mib:.0f} MiB pool; "
                      f"worker peak RSS {[round(x / mib) for x in r['worker_peak_rss']]} MiB (pool / workers "
                      f"{pool_bytes / w / mib:.0f} MiB)", flush=True)
            write_json(out, args.out)

if __name__ == "__main__":
    main()
