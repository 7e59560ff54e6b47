"""Seconds from SIGINT to the end of the process in every long phase of a fit (issue 13).

    python bench/interrupt_latency.py [--after 2.0]

Each phase runs in a child process on a problem sized so that the phase alone takes tens of
seconds on 2 cores; the child gets SIGINT `--after` seconds after it reports "ready" (data made),
catches the KeyboardInterrupt and exits. The figure is the time from the signal to the exit.
The uninterrupted phase's own duration is not measured (it is the point of stopping it); it is
tens of seconds here (the target statistics phase reacted 56.7 s after SIGINT before the
interrupt checks inside the core's long loops).
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

COMMON = """
import numpy as np, sys
rng = np.random.default_rng(0)
def data(rows, d=64):
    return rng.standard_normal((rows, d), dtype=np.float32)
"""

# phase -> the script's work (after `print("ready")`), each a long phase of its own
PHASES = {
    "target statistics": "target = data(60000); pool = data(1000)\nfrom gioselect import GIOSelector\n"
                         "print('ready', flush=True)\nGIOSelector(search='descent', n_select=5).fit(pool, target=target)",
    "HNSW build": "pool = data(1_000_000); target = data(500)\nfrom gioselect import GIOSelector\n"
                  "print('ready', flush=True)\nGIOSelector(search='descent', projection='hnsw', n_select=5).fit(pool, target=target)",
    "relaxed greedy ranking": "pool = data(1_000_000); target = data(4000)\nfrom gioselect import GIOSelector\n"
                              "print('ready', flush=True)\nGIOSelector(search='greedy', n_select=5).fit(pool, target=target)",
    "knn greedy first scores": "pool = data(1_000_000); target = data(4000)\nfrom gioselect import GIOSelector\n"
                               "print('ready', flush=True)\n"
                               "GIOSelector(objective='knn', search='greedy', n_select=5).fit(pool, target=target)",
    "descent picks": "pool = data(200_000); target = data(4000)\nfrom gioselect import GIOSelector\n"
                     "print('ready', flush=True)\nGIOSelector(search='descent', n_select=100_000, projection='exact').fit(pool, target=target)",
    "knn_kl": "x = data(4000); w = data(1_000_000)\nimport gioselect\nprint('ready', flush=True)\n"
              "gioselect.knn_kl(x, w)",
    "quantize (K-means and assignment)": "pool = data(2_000_000); target = data(500)\nfrom gioselect import GIOSelector\n"
                                         "print('ready', flush=True)\n"
                                         "GIOSelector(search='descent', quantize=3000, n_select=5).fit(pool, target=target)",
    "spread density ratios": "pool = data(400_000); target = data(2000)\nfrom gioselect import GIOSelector\n"
                             "print('ready', flush=True)\nGIOSelector(search='spread', n_select=5).fit(pool, target=target)",
    "nearest lists": "pool = data(400_000); target = data(4000)\nfrom gioselect import GIOSelector\n"
                     "print('ready', flush=True)\nGIOSelector(search='nearest', n_select=200_000).fit(pool, target=target)",
}


def latency(phase: str, after: float) -> tuple[float, str]:
    """(seconds from SIGINT to exit, the child's last line)."""
    script = COMMON + PHASES[phase] + "\nprint('finished', flush=True)"
    wrapped = f"try:\n" + "".join(f"    {line}\n" for line in script.splitlines()) + \
              "except KeyboardInterrupt:\n    print('interrupted', flush=True)\n"
    child = subprocess.Popen([sys.executable, "-c", wrapped], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"{phase}: the child said {line!r}: {child.stderr.read()[-2000:]}")
    time.sleep(after)
    sent = time.perf_counter()
    child.send_signal(signal.SIGINT)
    out, err = child.communicate(timeout=600)
    return time.perf_counter() - sent, (out.strip().splitlines() or [err.strip()[-200:]])[-1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--after", type=float, default=2.0, help="seconds between 'ready' and SIGINT")
    args = ap.parse_args(argv)
    print("| phase | SIGINT -> exit (s) | the child's last word |\n|---|---:|---|")
    for phase in PHASES:
        seconds, last = latency(phase, args.after)
        print(f"| {phase} | {seconds:.2f} | {last} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
