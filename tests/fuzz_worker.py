"""A child process that makes gioselect calls for the fuzz tests: a crash of the core (a segfault,
an abort) or a hang is then a failed example with its inputs, not a lost pytest run.

`Worker().call(name, **kwargs)` runs CALLS[name](**kwargs) in the child and returns
("ok", value) or ("raised", exception type name, message); it raises AssertionError when the
child dies or does not answer within `timeout` seconds (the child is then restarted).
Run as a script, this file is the child: it reads pickled (name, kwargs) requests on stdin.
"""

from __future__ import annotations

import os
import pickle
import select
import struct
import subprocess
import sys
import tempfile


def _summary(sel) -> dict:
    """What the fuzz tests check of a fitted selector."""
    import numpy as np

    out = {name: np.asarray(getattr(sel, name)) for name in ("selected_indices_", "objective_trace_", "support_")}
    out.update(stop_reason_=sel.stop_reason_, n_iter_=int(sel.n_iter_), objective_start_=float(sel.objective_start_),
               n_pool_=int(sel.n_pool_), selected_clusters_=getattr(sel, "selected_clusters_", None),
               cluster_labels_=getattr(sel, "cluster_labels_", None))
    return out


def _fit(cls, params, X, target=None, init=None, y=None):
    import gioselect

    return _summary(getattr(gioselect, cls)(**params).fit(X, y, target=target, init=init))


def _resume(path, X, target=None):
    from gioselect import GIOSelector

    return _summary(GIOSelector.resume(path, X, target=target))


def _knn_kl(X, W, **kwargs):
    from gioselect import knn_kl

    return knn_kl(X, W, **kwargs)


def _cli(argv):
    """(exit status, what it wrote to stderr) of `gioselect select ...`."""
    import contextlib
    import io

    from gioselect import cli

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            status = cli.main(argv)
        except SystemExit as e:  # argparse's usage errors
            status = e.code
    return status, err.getvalue()


CALLS = {"fit": _fit, "resume": _resume, "knn_kl": _knn_kl, "cli": _cli}


def _read(f, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = f.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _send(f, obj) -> None:
    data = pickle.dumps(obj)
    f.write(struct.pack("<Q", len(data)) + data)
    f.flush()


def _serve() -> None:
    replies = os.fdopen(os.dup(1), "wb")  # the protocol's own channel; stdout now goes to stderr
    os.dup2(2, 1)
    requests = sys.stdin.buffer
    while True:
        try:
            name, kwargs = pickle.loads(_read(requests, struct.unpack("<Q", _read(requests, 8))[0]))
        except EOFError:
            return
        try:
            reply = ("ok", CALLS[name](**kwargs))
        except BaseException as e:  # noqa: BLE001 - every outcome goes back to the test
            reply = ("raised", type(e).__name__, str(e))
        _send(replies, reply)


class Worker:
    def __init__(self, timeout: float = 60.0):
        self.timeout = timeout
        self._proc = None

    def _start(self):
        self._log = tempfile.TemporaryFile()
        env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "2"))
        self._proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._log, env=env)

    def call(self, name: str, **kwargs):
        if self._proc is None or self._proc.poll() is not None:
            self._start()
        proc = self._proc
        _send(proc.stdin, (name, kwargs))
        out = proc.stdout
        ready, _, _ = select.select([out], [], [], self.timeout)
        if not ready:
            self._stop()
            raise AssertionError(f"{name} did not return within {self.timeout:.0f} s (a hang)")
        try:
            return pickle.loads(_read(out, struct.unpack("<Q", _read(out, 8))[0]))
        except EOFError:
            status = proc.wait()
            self._log.seek(0)
            tail = self._log.read()[-3000:].decode(errors="replace")
            self._close_pipes()
            raise AssertionError(f"{name} crashed the interpreter (exit status {status}); stderr ends:\n{tail}")

    def _stop(self):
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._close_pipes()

    def close(self):
        if self._proc is not None:
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
            self._close_pipes()

    def _close_pipes(self):
        for f in (self._proc.stdin, self._proc.stdout, self._log):
            f.close()
        self._proc = None


if __name__ == "__main__":
    _serve()
