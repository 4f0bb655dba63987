"""A readers-writer gate: many runs may share it; an exclusive one waits for them to leave
and keeps new ones out until it is done (it is preferred over readers that arrive later)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Gate:
    def __init__(self) -> None:
        # entered as the lock itself: a Condition's own __enter__ is Python code, and a run
        # passes through here twice
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._sharing = 0
        self._exclusive = False
        self._waiting = 0  # threads in wait(): leaving notifies only when there are some

    def _wait(self) -> None:
        self._waiting += 1
        self._changed.wait()
        self._waiting -= 1

    def enter_shared(self) -> None:
        with self._lock:
            while self._exclusive:
                self._wait()
            self._sharing += 1

    def leave_shared(self) -> None:
        with self._lock:
            self._sharing -= 1
            if not self._sharing and self._waiting:
                self._changed.notify_all()

    def enter_exclusive(self) -> None:
        with self._lock:
            while self._exclusive:
                self._wait()
            self._exclusive = True
            while self._sharing:
                self._wait()

    def leave_exclusive(self) -> None:
        with self._lock:
            self._exclusive = False
            if self._waiting:
                self._changed.notify_all()

    @contextmanager
    def shared(self) -> Iterator[None]:
        self.enter_shared()
        try:
            yield
        finally:
            self.leave_shared()
