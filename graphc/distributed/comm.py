"""The MPI side of graphc.distributed: mpi4py, imported on first use only (so `import graphc`
never needs it), the job's communicator, and the excepthook that aborts the whole job when
one rank raises."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from types import ModuleType, TracebackType
from typing import Any

_MPI: ModuleType | None = None
_lock = threading.Lock()
_hooked = False


def mpi() -> ModuleType:
    """mpi4py's MPI module (initializing MPI on first use), or ImportError saying what to
    install."""
    global _MPI
    if _MPI is None:
        with _lock:
            if _MPI is None:
                try:
                    from mpi4py import MPI
                except ImportError as err:
                    raise ImportError(
                        "graphc.distributed needs mpi4py and an MPI library: "
                        "pip install 'graphc[distributed]' (mpi4py and mpich)") from err
                _MPI = MPI
    return _MPI


def world() -> Any:
    """The communicator graphc's collectives use: MPI_COMM_WORLD."""
    return mpi().COMM_WORLD


def init(abort_on_exception: bool = True) -> None:
    """Initialize MPI (idempotent). With abort_on_exception, an exception no one catches, on
    any rank and in any thread, prints its traceback and calls MPI_Abort, which ends every
    rank of the job within seconds instead of leaving the others waiting in a collective."""
    world()
    if abort_on_exception:
        install_excepthook()


def rank() -> int:
    """This process's rank in the job, 0 .. size() - 1."""
    return int(world().Get_rank())


def size() -> int:
    """The number of processes in the job."""
    return int(world().Get_size())


_local: int | None = None


def local_rank() -> int:
    """This process's rank among the processes on its host (for choosing a GPU, say)."""
    global _local
    if _local is None:
        MPI = mpi()
        node = world().Split_type(MPI.COMM_TYPE_SHARED, key=rank())
        _local = int(node.Get_rank())
        node.Free()
    return _local


def barrier() -> None:
    """Wait until every rank gets here."""
    world().Barrier()


def abort(code: int = 1) -> None:
    """End the whole job now (MPI_Abort on MPI_COMM_WORLD)."""
    sys.stdout.flush()
    sys.stderr.flush()
    world().Abort(code)


def _abort_hook(kind: type[BaseException], value: BaseException,
                tb: TracebackType | None) -> None:
    try:
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(f"[graphc.distributed] rank {rank()} of {size()} raised; aborting the "
                         f"job\n{text}")
    finally:
        code = 130 if issubclass(kind, KeyboardInterrupt) else 1
        sys.stderr.flush()
        # MPI_Abort ends every process at once, the launcher's forwarding of this rank's
        # output included: give it a moment to pass the traceback on
        time.sleep(0.5)
        abort(code)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    _abort_hook(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def install_excepthook() -> None:
    """Make an uncaught exception (main thread or any other) abort the job."""
    global _hooked
    if _hooked or os.environ.get("GRAPHC_DISTRIBUTED_NO_ABORT"):
        return
    _hooked = True
    sys.excepthook = _abort_hook
    threading.excepthook = _thread_hook
