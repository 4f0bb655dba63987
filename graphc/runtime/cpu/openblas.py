"""numpy's bundled OpenBLAS, found without importing numba: the library graphc's native
gemm calls (blas.py), and the one whose threads make way for graphc's compile thread.

While graphc compiles or loads machine code in the background (tiers.py), its compile
thread and any child compiler take cores. OpenBLAS splits a product among its threads, and
they wait for each other: a thread that shares its core with the compiler stalls the whole
product for a scheduler slice. On 2 cores, with 2 BLAS threads and a child compiling, the
seed program's steps took 34 ms instead of 0.5 ms (500 steps: 17 s). So for the length of
a background job the threads are limited to the cores the job leaves free.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import numpy as np


ROUTINES = ("sgemm", "dgemm", "saxpy", "daxpy")  # the BLAS routines native code calls


@cache
def numpy_openblas() -> ctypes.CDLL | None:
    """The ILP64 OpenBLAS that numpy's wheels bundle (numpy.libs), if this numpy has one
    with every routine in ROUTINES."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas64_*.so*")):
        lib = ctypes.CDLL(str(path))
        if all(hasattr(lib, f"scipy_{name}_64_") for name in ROUTINES):
            return lib
    return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@contextmanager
def threads_leaving_a_core() -> Iterator[None]:
    """Within the block, numpy's OpenBLAS uses at most one thread fewer than the cores
    this process may run on (at least one), then its own count again. Only a number is
    set: OpenBLAS starts no thread and stops none when its count goes down and back."""
    lib = numpy_openblas()
    get = getattr(lib, "scipy_openblas_get_num_threads64_", None)
    set_ = getattr(lib, "scipy_openblas_set_num_threads64_", None)
    if get is None or set_ is None:
        yield
        return
    before = int(get())
    limit = max(1, min(before, _cores() - 1))
    if limit == before:
        yield
        return
    set_(ctypes.c_int(limit))
    try:
        yield
    finally:
        set_(ctypes.c_int(before))
