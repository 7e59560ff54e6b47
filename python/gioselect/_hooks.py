"""What GIOSelector does between iterations: the user's callback, the progress line, checkpoints."""

from __future__ import annotations

import contextlib
import logging
import sys
import time

from gioselect import checkpoint

log = logging.getLogger("gioselect")

GO_ON, STOP, CHECKPOINT = 0, 1, 2


class StepHooks:
    """on_step / on_checkpoint for the core (see _engine.run); on_checkpoint is always given, so
    that an interrupted run's state (handed out with the interrupt) is kept in last_state.

    callback(step_info) gets a dict (n_iter, n_selected, kl, kl_start, seconds) after every
    iteration and stops the run by returning True. verbose > 0 draws a progress line on stderr
    (picks, KL, picks/s) at most twice a second. With a checkpoint path, the state is written every
    `every` new picks, when the run is interrupted and when it ends.
    """

    def __init__(self, *, callback=None, verbose=0, path=None, every=100, meta=None, init=None, total=None,
                 exact_total=False):
        self.callback, self.verbose, self.path, self.every = callback, verbose, path, max(1, int(every))
        self.meta, self.init = meta, init
        self.total, self.exact_total = total, exact_total  # the budget of picks; exact: n_select
        self._t0 = time.perf_counter()
        self._last_draw = -1.0  # the first step draws
        self._last_saved = None
        self.last_state = None  # the last state the core handed out (a checkpoint, or the interrupt's)

    @property
    def active(self) -> bool:
        return self.callback is not None or self.verbose > 0 or self.path is not None

    def on_step(self, n_iter: int, n_selected: int, kl: float, kl_start: float) -> int:
        seconds = time.perf_counter() - self._t0
        if self.verbose > 0 and seconds - self._last_draw >= 0.5:
            self._last_draw = seconds
            self._draw(n_selected, kl, seconds)
        if self.callback is not None:
            info = dict(n_iter=n_iter, n_selected=n_selected, kl=kl, kl_start=kl_start, seconds=seconds)
            if self.callback(info):
                return STOP
        if self.path is not None and (self._last_saved is None or n_selected - self._last_saved >= self.every):
            self._last_saved = n_selected
            return CHECKPOINT
        return GO_ON

    def _draw(self, n_selected, kl, seconds):
        rate = n_selected / max(seconds, 1e-9)
        picks = f"{n_selected} picks"
        eta = ""
        if self.total:  # a budget: the total, and the time left (at most that, if criteria may stop earlier)
            picks = f"{n_selected}/{self.total} picks" if self.exact_total else f"{n_selected} picks (at most {self.total})"
            if rate > 0 and n_selected < self.total:
                eta = f", ETA {'' if self.exact_total else '<= '}{_duration((self.total - n_selected) / rate)}"
        sys.stderr.write(f"\rgioselect: {picks}, KL {kl:.5g}, {rate:.1f} picks/s{eta} ")
        sys.stderr.flush()

    def on_checkpoint(self, state) -> None:
        self.last_state = state
        if self.path is not None:
            checkpoint.save(self.path, state, self.meta, self.init)
            log.debug("checkpoint: %d picks -> %s", len(state.selected), self.path)

    def finish(self, state) -> None:
        if self.verbose > 0:
            kl = state.kl_trace[-1] if len(state.kl_trace) else state.kl_start
            self._draw(len(state.selected), kl, time.perf_counter() - self._t0)
            sys.stderr.write(f"({state.stop_reason})\n")
        if self.path is not None:  # the finished run: resume() returns it as it is
            checkpoint.save(self.path, state, dict(self.meta, stop_reason=state.stop_reason), self.init)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


@contextlib.contextmanager
def phase(verbose: int, what: str):
    """With verbose > 0: a line on stderr when a phase starts ("gioselect: what ...") and when it
    ends (its seconds), so that no long phase runs in silence."""
    if verbose <= 0:
        yield
        return
    sys.stderr.write(f"gioselect: {what} ...\n")
    sys.stderr.flush()
    t0 = time.perf_counter()
    yield
    sys.stderr.write(f"gioselect: {what}: done in {_duration(time.perf_counter() - t0)}\n")
    sys.stderr.flush()
