"""Tiered execution of a native segment: its nodes run on their numpy references until
the segment's machine code is ready, and natively from then on.

numba compiles a new segment in seconds (~8 s for the seed's training step), and even
machine code it cached on disk takes ~0.45 s to load in a fresh process (importing numba
and setting up its typing context). A run never waits for that, and neither does the exit:

- Nothing starts until a segment has spent a tenth of COMPILE_AFTER_S interpreting. Then
  graphc's compile thread generates the segment's source. If this machine has compiled
  it for these argument types before, the thread links the prebuilt machine code saved
  then (prebuilt.py), without importing numba: ~0.07 s.
- Else nothing more starts until the segment has spent COMPILE_AFTER_S interpreting (a
  program that runs a segment for less never imports numba for it). Then, if numba's disk
  cache has it (graphc leaves a marker beside that cache), the thread loads it through
  numba (importing numba: ~0.45 s), and a child process saves the prebuilt code for the
  next process.
- Otherwise a child process compiles it, fills numba's disk cache and saves the prebuilt
  code, at a lower priority and with a GIL of its own, so the runs interpreting meanwhile
  keep their speed; once it is done the thread links the code. A process that ends first
  does not wait: the child finishes on its own and the next run of the program finds the
  code. If the child fails, the thread compiles in this process instead (and reports any
  error).

The interpreted tier runs the same numpy references as the numpy backend, with one native
BLAS call per matmul, so it is slower than the native tier by Python's per-op cost, not by
orders of magnitude. $GRAPHC_COMPILE=wait makes every run wait for native code instead
(compiled in this process), so results never mix the two tiers (they agree to rounding, not
bit for bit).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.cpu import prebuilt
from graphc.runtime.cpu.codegen import Segment, cache_directory
from graphc.runtime.cpu.memory import new_workspace
from graphc.runtime.cpu.openblas import threads_leaving_a_core
from graphc.runtime.interpreter import Plan

# Seconds a segment runs on its references before its machine code is asked for: about
# what going native costs this process even from a warm cache (0.6-0.8 s importing numba,
# setting up its typing context and loading the code, much of it holding the GIL), so a
# program never pays for native code much more than twice what it would have saved (the
# ski-rental rule), and a short program never imports numba at all. Measured with
# benchmarks/end_to_end.py-style runs of the seed program (warm caches, 3 runs each): a
# threshold of 0.5 s against 1.0 s took 500 steps from 0.51-0.58 s to 0.44-0.47 s (numpy
# 0.32-0.39 s) and 5,000 steps from 3.0-3.4 s to 2.3-3.6 s (numpy 2.3-2.8 s); 0.3 s and
# 0.0 s made some 500-step runs pay the whole load (0.9-1.6 s).
COMPILE_AFTER_S = 0.5
# The share of that time after which a segment looks for prebuilt code of its own
# (prebuilt.py). Linking it costs ~0.07 s (importing llvmlite, loading the file) and no
# numba. Measured on the seed program (warm caches, 4 interleaved runs each, numpy's
# script 0.29-0.34 s at 500 steps and 1.96-2.38 s at 5,000): looking after 0.1 s took
# 0.46-0.56 s and 1.65-2.59 s, after 0.025 s 0.42-0.52 s and 1.46-1.97 s, at once
# 0.42-0.49 s and 1.51-1.74 s. After 0.05 s a program that stops right then pays at most
# about twice what it ran.
LINK_SHARE = 0.1


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
        self.result: Any = None


_jobs: queue.Queue[Job] = queue.Queue()
_worker: threading.Thread | None = None
_worker_lock = threading.Lock()
_busy = threading.Lock()  # held while the compile thread runs numba in this process
_exiting = threading.Event()


def _work() -> None:
    while True:
        job = _jobs.get()
        if _exiting.is_set():
            continue
        try:
            with threads_leaving_a_core():  # BLAS threads make way for the compiler
                job.result = job.work()
        except BaseException as err:  # reported to the runs that wait for it
            job.error = err
        job.done.set()


def _finish_at_exit() -> None:
    """Let numba work in progress in this process finish (LLVM aborts the process if the
    interpreter is torn down under a compilation; loading cached code is quick); a job
    waiting for a child process, and jobs queued, are dropped."""
    with _busy:
        _exiting.set()


def in_background(work: Callable[[], Any]) -> Job:
    """Run `work` on graphc's compile thread. At exit the process waits only for numba
    work in this process in progress (see _finish_at_exit)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = threading.Thread(target=_work, name="graphc-compile", daemon=True)
            _worker.start()
            atexit.register(_finish_at_exit)
    job = Job(work)
    _jobs.put(job)
    return job


def _marker(function: Any, signature: tuple[Any, ...]) -> Path:
    """The file that says this machine has compiled `function` for `signature` into
    numba's disk cache (the generated file's name is the hash of its source)."""
    import numba

    key = repr((function.py_func.__code__.co_filename, function.py_func.__qualname__,
                [str(t) for t in signature], numba.__version__, sys.version,
                os.environ.get("NUMBA_CACHE_DIR", "")))
    return cache_directory() / "numba" / "ready" / hashlib.sha256(key.encode()).hexdigest()


def _mark(marker: Path) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


def _alive(lock: Path) -> bool:
    """Whether the child process named in a lock file still runs."""
    try:
        text = lock.read_text()
        if not text:  # being written
            return time.time() - lock.stat().st_mtime < 10
        os.kill(int(text), 0)
        return True
    except (OSError, ValueError):
        return False


_unwaited: list[subprocess.Popen[bytes]] = []  # children no thread waits for


def _reap() -> None:
    """Collect the children no thread waits for that have ended."""
    _unwaited[:] = [child for child in _unwaited if child.poll() is None]


def _compile_in_child(function: Any, signature: tuple[Any, ...], marker: Path,
                      saves: tuple[Path, list[str]] | None, wait: bool = True) -> bool:
    """Compile in a child process that fills numba's disk cache and saves the prebuilt
    code (`saves`: its stem and argument types). With `wait`: True once it has; False if
    it failed, or if this process began to exit meanwhile (the child carries on). Without:
    start the child (unless one is at work on it) and return False. One child per function
    and signature at a time: other processes wait for it."""
    _reap()
    module = sys.modules[function.py_func.__module__]
    kernels = {name: sys.modules[value.py_func.__module__].__file__
               for name, value in vars(module).items()
               if hasattr(value, "py_func") and value.py_func.__module__ != module.__name__
               and value.py_func.__module__.startswith("graphc_generated_")}
    spec = dict(module=module.__file__, function=function.py_func.__name__, kernels=kernels,
                signature=signature, marker=str(marker),
                prebuilt=None if saves is None else (str(saves[0]), saves[1]))
    marker.parent.mkdir(parents=True, exist_ok=True)
    lock = marker.with_suffix(".compiling")
    while True:
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            break
        except FileExistsError:  # another process's child compiles it: wait for that one
            if not wait:
                return False
            while lock.exists() and _alive(lock):
                if _exiting.wait(0.1):
                    return False
            if marker.exists():
                return True
            lock.unlink(missing_ok=True)  # its child died: compile here
    log = marker.with_suffix(f".{os.getpid()}.log")  # the child's errors, kept if it fails
    spec["log"] = str(log)
    # the child reads its task from a file, not from this process, which may end at once
    task = marker.with_suffix(f".{os.getpid()}.task")
    task.write_bytes(pickle.dumps(spec))
    with open(log, "wb") as err:
        child = subprocess.Popen([sys.executable, "-c", _CHILD, str(task), str(lock)],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=err, start_new_session=True)
    lock.write_text(str(child.pid))
    if not wait:
        _unwaited.append(child)  # reaped by a later compile (see _reap)
        return False
    while child.poll() is None:
        if _exiting.wait(0.05):
            return False
    lock.unlink(missing_ok=True)
    if child.returncode == 0:
        log.unlink(missing_ok=True)
    return child.returncode == 0 and marker.exists()


_CHILD = "from graphc.runtime.cpu.tiers import _child_main; _child_main()"


def _child_main() -> None:
    """The child process: compile one generated function into numba's disk cache (its task
    file and lock file are its arguments; it removes both when it ends, however it ends)."""
    from graphc.runtime.cpu.codegen import load_module

    task, lock = Path(sys.argv[1]), Path(sys.argv[2])
    try:
        os.nice(10)  # the parent's runs come first
        spec = pickle.loads(task.read_bytes())  # (graphc's own file, as the code it loads)
        marker = Path(spec["marker"])
        kernels = {name: load_module(Path(path).read_text()).kernel
                   for name, path in spec["kernels"].items()}
        module = load_module(Path(spec["module"]).read_text(), kernels)
        function = getattr(module, spec["function"])
        function.compile(spec["signature"])
        _mark(marker)
        if spec["prebuilt"] is not None:
            stem, arguments = spec["prebuilt"]
            try:
                prebuilt.save(function, spec["signature"], arguments, Path(stem))
            except Exception as err:  # the compile stands: runs load it through numba
                print(f"graphc: the prebuilt code was not saved: {err!r}", file=sys.stderr)
        Path(spec["log"]).unlink(missing_ok=True)
    finally:  # (the parent removes the lock too, if it is still there to see the end)
        task.unlink(missing_ok=True)
        lock.unlink(missing_ok=True)


class TieredSegment:
    """A segment's native function, or its nodes one by one until that is compiled.

    After it goes native: compile_seconds (from the request to the code being ready, in
    this process) and cached (whether the machine code came from a disk cache)."""

    def __init__(self, segment: Segment, function: Callable[[], Any],
                 code: Callable[[], tuple[str, str]]) -> None:
        self.segment = segment
        self._make_function = function  # makes the numba function (generating its source)
        self._code = code  # the generated module's digest and the function's name
        self._dispatcher: Any = None
        self._function: Any = None  # what runs natively: prebuilt code or the dispatcher
        self.native = compile_mode() == "wait"  # then numba compiles on the first call
        self.job: Job | None = None
        self._starting = threading.Lock()
        self.interpreted_s = 0.0  # time spent running on the references
        self._plan: Plan | None = None  # the nodes prepared to run on their references
        self.compile_seconds: float | None = None
        self.cached: bool | None = None
        self.prebuilt = False  # whether the native code is prebuilt (linked without numba)
        self._looked_for_prebuilt = False

    @property
    def dispatcher(self) -> Any:
        """The segment's numba function (importing numba)."""
        if self._dispatcher is None:
            self._dispatcher = self._make_function()
        return self._dispatcher

    @property
    def function(self) -> Any:
        """What runs natively: the prebuilt code, else numba's dispatcher."""
        return self._function if self._function is not None else self.dispatcher

    def ready(self, args: Sequence[Any]) -> bool:
        """Whether to call the native function with these arguments now."""
        if self.native:
            return True
        job = self.job  # (read once: another run's thread may reset it)
        if job is None:
            looked = self._looked_for_prebuilt
            if self.interpreted_s < COMPILE_AFTER_S * (1 if looked else LINK_SHARE):
                return False
            with self._starting:
                if self.job is None:
                    first_args = list(args)  # their types are what numba compiles for
                    self.job = in_background(lambda: self._compile(first_args, not looked))
                job = self.job
        if not job.done.is_set():
            return False
        if job.error is not None:  # stay on the references, and say so once
            node = self.segment.nodes[0]
            warn_fallback(node.op, node.describe(), "numba",
                          f"its segment did not compile: {job.error}")
            return False
        if not job.result:  # no prebuilt code: numba's turn, after COMPILE_AFTER_S
            with self._starting:
                if self.job is job:
                    self._looked_for_prebuilt, self.job = True, None
            return False
        self.native = True
        return True

    def _with_trailing(self, args: list[Any]) -> list[Any]:
        """A call's arguments as the segment function takes them: the segment's inputs,
        then in_place (if it has updates) and the workspace, whose types these stand for."""
        return [*args, *([True] if self.segment.in_place else []), new_workspace(0)]

    def _prebuilt(self, args: list[Any]) -> tuple[Path, list[str]] | None:
        """Where this segment's prebuilt code for these arguments lives, and the argument
        types it is for; None where there can be none."""
        described = [prebuilt.describe(a) for a in self._with_trailing(args)]
        arguments = [a for a in described if a is not None]
        if len(arguments) < len(described):
            return None
        module, name = self._code()
        stem = prebuilt.location(cache_directory() / "numba", module, name, arguments)
        return None if stem is None else (stem, arguments)

    def _link(self, saved: tuple[Path, list[str]] | None) -> bool:
        """Use the prebuilt code if there is some that links; True if it does."""
        if saved is None:
            return False
        native = prebuilt.load(*saved)
        if native is None:
            return False
        self._function = prebuilt.guarded(native, saved[1], lambda: self.dispatcher)
        self.prebuilt = True
        return True

    def _compile(self, args: list[Any], link_only: bool) -> bool:
        """Make the native function ready: True once it is. With link_only, only prebuilt
        code is looked for (False if there is none), and numba is not imported."""
        requested = time.perf_counter()
        saved = self._prebuilt(args)
        with _busy:
            if _exiting.is_set():
                raise RuntimeError("the process is exiting")
            if self._link(saved):
                self.cached = True
                self.compile_seconds = time.perf_counter() - requested
                return True
            if link_only:
                return False
            from numba import typeof

            function = self.dispatcher
            signature = tuple(typeof(a) for a in self._with_trailing(args))
            marker = _marker(function, signature)
            self.cached = marker.exists()
        if self.cached and saved is not None and not prebuilt.tried(saved[0]):
            # numba has it: a child saves it prebuilt meanwhile, for later processes
            _compile_in_child(function, signature, marker, saved, wait=False)
        elif not self.cached and not _compile_in_child(function, signature, marker, saved) \
                and _exiting.is_set():
            raise RuntimeError("the process is exiting")
        with _busy:
            if _exiting.is_set():
                raise RuntimeError("the process is exiting")
            if self.cached or not self._link(saved):
                function.compile(signature)  # from the disk cache, unless the child failed
            _mark(marker)
        self.compile_seconds = time.perf_counter() - requested
        return True

    def interpret(self, args: Sequence[Any], state: RunState) -> list[Any]:
        """The segment's outputs from its nodes' numpy references. Each output has memory
        of its own, as native outputs do (a reference may return a view of its input)."""
        began = time.perf_counter()
        if self._plan is None:
            self._plan = Plan(self.segment.nodes, self.segment.inputs, self.segment.outputs)
        outputs = self._plan.run(args, state)
        self.interpreted_s += time.perf_counter() - began
        return [v.copy() if v.base is not None or any(v is a for a in args) else v
                for v in outputs]
