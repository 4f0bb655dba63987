"""Tiered execution of a native segment: its nodes run on their numpy references until
the segment's machine code is ready, and natively from then on.

numba compiles a new segment in seconds, and even machine code it cached on disk takes
~0.3 s to load in a fresh process (importing numba and setting up its typing context). A
run never waits for that: the first run of a segment starts the work on a background
thread (generating and importing the source, then compiling or loading the code) and
interprets the segment; later runs do the same until the code is ready. The interpreted
tier runs the same numpy references as the numpy backend, with one native BLAS call per
matmul, so it is slower than the native tier by Python's per-op cost, not by orders of
magnitude. $GRAPHC_COMPILE=wait makes every run wait for native code instead, so results
never mix the two tiers (they agree to rounding, not bit for bit).
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from graphc.graph import Tensor
from graphc.registry import OPS
from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.cpu.codegen import Segment
from graphc.runtime.interpreter import evaluate


def compile_mode() -> str:
    """'background' (the default) or 'wait', from $GRAPHC_COMPILE."""
    mode = os.environ.get("GRAPHC_COMPILE") or "background"
    if mode not in ("background", "wait"):
        raise ValueError(f"GRAPHC_COMPILE must be 'background' or 'wait', not '{mode}'")
    return mode


class Job:
    """One compilation on the background thread."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.done = threading.Event()
        self.error: BaseException | None = None


_jobs: queue.Queue[Job] = queue.Queue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()
_busy = threading.Lock()  # held by the compile thread while it works on a job
_exiting = False


def _work() -> None:
    while True:
        job = _jobs.get()
        with _busy:
            if _exiting:
                continue
            try:
                job.work()
            except BaseException as err:  # reported to the runs that wait for it
                job.error = err
            job.done.set()


def _finish_at_exit() -> None:
    """Let the job in progress finish (LLVM aborts the process if the interpreter is torn
    down under a compilation, and the finished code lands in the disk cache for the next
    process); jobs still queued are dropped."""
    global _exiting
    with _busy:
        _exiting = True


def in_background(work: Callable[[], Any]) -> Job:
    """Run `work` on graphc's compile thread. At exit the process waits for the job in
    progress, not for the ones queued behind it."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = threading.Thread(target=_work, name="graphc-compile", daemon=True)
            _worker.start()
            atexit.register(_finish_at_exit)
    job = Job(work)
    _jobs.put(job)
    return job


class TieredSegment:
    """A segment's native function, or its nodes one by one until that is compiled."""

    def __init__(self, segment: Segment, function: Callable[[], Any]) -> None:
        self.segment = segment
        self._make_function = function  # makes the numba function (generating its source)
        self._function: Any = None
        self.native = compile_mode() == "wait"  # then numba compiles on the first call
        self.job: Job | None = None
        self._starting = threading.Lock()

    @property
    def function(self) -> Any:
        if self._function is None:
            self._function = self._make_function()
        return self._function

    def ready(self, args: Sequence[Any]) -> bool:
        """Whether to call the native function with these arguments now."""
        if self.native:
            return True
        with self._starting:
            if self.job is None:
                first_args = list(args)  # their types are what numba compiles for
                self.job = in_background(lambda: self._compile(first_args))
        if not self.job.done.is_set():
            return False
        if self.job.error is not None:  # stay on the references, and say so once
            node = self.segment.nodes[0]
            warn_fallback(node.op, node.describe(), "numba",
                          f"its segment did not compile: {self.job.error}")
            return False
        self.native = True
        return True

    def _compile(self, args: list[Any]) -> None:
        from numba import typeof, types

        signature = tuple(typeof(a) for a in args) + \
            ((types.boolean,) if self.segment.in_place else ()) + \
            (types.Array(types.uint8, 1, "C"),)  # the workspace
        self.function.compile(signature)

    def interpret(self, args: Sequence[Any], state: RunState) -> list[Any]:
        """The segment's outputs from its nodes' numpy references. Each output has memory
        of its own, as native outputs do (a reference may return a view of its input)."""
        env: dict[Tensor, Any] = dict(zip(self.segment.inputs, args))
        for node in self.segment.nodes:
            env.update(zip(node.outputs, evaluate(node, OPS[node.op],
                                                  [env[t] for t in node.inputs], state)))
        outputs = [env[t] for t in self.segment.outputs]
        return [v.copy() if v.base is not None or any(v is a for a in args) else v
                for v in outputs]
