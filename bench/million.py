"""Million-row pools on one machine: quantize + select + explode from a memory-mapped pool, and
the unquantized HNSW path. Wall time and peak RSS of each run (a fresh process per run).

    python bench/million.py [--sizes 100000 300000 1000000] [--dim 384] [--k 1500] [--target 10000]
                            [--hnsw-rows 1000000] [--hnsw-dim 128] [--hnsw-picks 200]

Pools: bench/embeddings.py (unit-norm float32, 2,000 Zipf-sized clusters) written to --data-dir
once and opened with mmap_mode='r'; the target (--target rows) comes from a fifth of the clusters.
Quantized runs: GIOSelector(quantize=K, random_state=0) with its defaults otherwise. HNSW run:
GIOSelector(search="descent", projection="hnsw", n_select=--hnsw-picks, random_state=0) on the whole pool.
Each run also reports the share of the selected rows in the target's domain (its fifth of the
clusters, a row's cluster being its nearest centre) and the share of that domain kept.
Peak RSS is the process's VmHWM (imports and the target included); estimate_memory's prediction
of what the fit adds is printed next to it.
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
    import json, sys, time
    import numpy as np
    sys.path.insert(0, {here!r})
    from embeddings import centres, target
    from gioselect import GIOSelector, estimate_memory
    pool = np.load({path!r}, mmap_mode="r")
    T = target({n_target}, pool.shape[1])

    def vm(key):
        for line in open("/proc/self/status"):
            if line.startswith(key):
                return int(line.split()[1]) * 1024

    rss_before = vm("VmRSS")
    t0 = time.perf_counter()
    sel = GIOSelector(random_state=0, **{params!r}).fit(pool, target=T)
    wall = time.perf_counter() - t0
    peak = vm("VmHWM")  # the fit's, before the domain count below reads the selection
    # the target's domain is every fifth cluster (embeddings.target): a row's cluster is its
    # nearest centre (the noise is small against the centres' spacing)
    c = centres(pool.shape[1])
    def in_domain(rows):
        return (np.asarray(rows) @ c.T).argmax(axis=1) % 5 == 0
    picked = np.sort(sel.selected_indices_)
    kept = int(sum(in_domain(pool[picked[lo:lo + 100_000]]).sum() for lo in range(0, len(picked), 100_000)))
    domain = int(sum(in_domain(pool[lo:lo + 100_000]).sum() for lo in range(0, pool.shape[0], 100_000)))
    print(json.dumps(dict(wall_s=wall, domain_share=kept / max(len(picked), 1), domain_recall=kept / max(domain, 1), quantize_s=getattr(sel, "quantize_seconds_", 0.0),
                          picks=len(getattr(sel, "selected_clusters_", sel.selected_indices_)),
                          selected_rows=len(sel.selected_indices_), stop=sel.stop_reason_,
                          peak_rss=peak, rss_before_fit=rss_before,
                          estimate=estimate_memory(pool.shape[0], len(T), pool.shape[1], **{params!r}))))
""")


def run(path, n_target, params):
    code = RUN.format(here=HERE, path=path, n_target=n_target, params=params)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="*", default=[100_000, 300_000, 1_000_000])
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--k", type=int, default=1500)
    ap.add_argument("--target", type=int, default=10_000)
    ap.add_argument("--hnsw-rows", type=int, default=1_000_000)
    ap.add_argument("--hnsw-dim", type=int, default=128)
    ap.add_argument("--hnsw-picks", type=int, default=200)
    ap.add_argument("--data-dir", default="/tmp/gioselect-bench")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "million.json"))
    args = ap.parse_args()
    gib = 2**30
    out = dict(quantized=[], hnsw=None)
    for m in args.sizes:
        path = pool_file(args.data_dir, m, args.dim)
        r = dict(rows=m, dim=args.dim, pool_gib=m * args.dim * 4 / gib, **run(path, args.target, dict(quantize=args.k)))
        out["quantized"].append(r)
        print(f"quantized {m:>9,} x {args.dim}: {r['wall_s']:.1f} s (K-means {r['quantize_s']:.1f} s), "
              f"{r['picks']} clusters -> {r['selected_rows']:,} rows ({r['stop']}; "
              f"{100 * r['domain_share']:.1f}% in the target's domain, {100 * r['domain_recall']:.1f}% of it), peak RSS {r['peak_rss'] / gib:.2f} GiB "
              f"for a {r['pool_gib']:.2f} GiB pool (estimate of the fit's own: {r['estimate'] / gib:.2f} GiB)", flush=True)
        write_json(out, args.out)
    if args.hnsw_rows:
        path = pool_file(args.data_dir, args.hnsw_rows, args.hnsw_dim)
        r = dict(rows=args.hnsw_rows, dim=args.hnsw_dim,
                 **run(path, args.target, dict(search="descent", projection="hnsw", n_select=args.hnsw_picks)))
        out["hnsw"] = r
        print(f"HNSW {args.hnsw_rows:,} x {args.hnsw_dim}: {r['wall_s']:.1f} s for {r['picks']} picks, peak RSS "
              f"{r['peak_rss'] / gib:.2f} GiB (estimate of the fit's own: {r['estimate'] / gib:.2f} GiB)", flush=True)
        write_json(out, args.out)


if __name__ == "__main__":
    main()
