"""Signals held while a run changes state, so Ctrl-C never leaves half a run behind.

Python runs a signal's handler in the main thread, between two bytecodes, wherever that
thread is: inside the Python a numba call runs while boxing its results (numba then reports
"returned a result with an exception set" and the results are lost, though the native code
ran), between two segments of a host program, or between two variables of a commit. A
KeyboardInterrupt there would leave some variables updated and others not, or a lock held.

`HeldSignals` swaps a recording handler in for every signal that has a Python handler, for
the span of one run in the main thread; when the run has committed (or failed) it puts the
handlers back and calls each one for the signals that arrived, so Ctrl-C surfaces as the
KeyboardInterrupt it always was, after the run, never inside it. Other threads need none of
this: Python never runs a signal handler outside the main thread. The cost is a few
microseconds a run (two handler swaps for SIGINT).
"""

from __future__ import annotations

import sys
import threading
from types import FrameType
from typing import Any

try:  # the C functions: signal.getsignal converts to an enum in Python, 50x slower
    import _signal as _signals
except ImportError:  # pragma: no cover - CPython always has it
    import signal as _signals  # type: ignore[no-redef]

# signals whose handler a program commonly sets in Python (SIGINT's is Ctrl-C's)
_CANDIDATES = tuple(getattr(_signals, name) for name in (
    "SIGINT", "SIGTERM", "SIGALRM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGVTALRM", "SIGPROF")
    if hasattr(_signals, name))
_MAIN = threading.main_thread().ident
_get_ident = threading.get_ident
_getsignal, _setsignal = _signals.getsignal, _signals.signal

_arrived: list[int] = []  # signals that came while held (only the main thread holds them)


def _record(signum: int, frame: FrameType | None) -> None:
    _arrived.append(signum)


class HeldSignals:
    """`with HeldSignals():` delays Python signal handlers (KeyboardInterrupt included)
    until the block ends; nested blocks hold nothing more."""

    __slots__ = ("_saved",)

    def __enter__(self) -> HeldSignals:
        saved: list[tuple[int, Any]] = []
        self._saved = saved
        if _get_ident() == _MAIN:
            try:
                for signum in _CANDIDATES:
                    handler = _getsignal(signum)
                    if callable(handler) and handler is not _record:
                        saved.append((signum, handler))  # (first: put back if this raises)
                        _setsignal(signum, _record)
            except BaseException:  # a handler not yet swapped raised: put back the others
                _restore(saved)
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        saved = self._saved
        if not saved:
            return
        try:
            _restore(saved)
        except BaseException:  # a handler put back ran (its signal just came): finish
            _restore(saved)
            _send_again(_taken())
            raise
        arrived = _taken()  # (after the handlers are back: none is recorded from now on)
        handlers = dict(saved)
        for k, signum in enumerate(arrived):
            handler = handlers.get(signum)
            if handler is None:
                continue
            try:
                handler(signum, sys._getframe(1))
            except BaseException:  # as in Python: the others stay pending, not lost
                _send_again(arrived[k + 1:])
                raise


def _taken() -> list[int]:
    """The signals recorded so far, forgotten here."""
    arrived = _arrived[:]
    del _arrived[:len(arrived)]
    return arrived


def _send_again(signals: list[int]) -> None:
    """Deliver signals again (to their own handlers, put back by now), in order."""
    for signum in signals:
        _signals.pthread_kill(_MAIN, signum)


def _restore(saved: list[tuple[int, Any]]) -> None:
    for signum, handler in saved:
        _setsignal(signum, handler)
