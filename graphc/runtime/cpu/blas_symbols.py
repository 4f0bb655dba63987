"""The BLAS routines native code calls, by the fixed symbol names it calls them by.

Generated code never embeds an address: it calls graphc_sgemm_ilp64 and the like, and each
process maps those names to its own BLAS's routines. This module finds the routines
without importing numba, so machine code saved by an earlier process (prebuilt.py) can be
linked by a process that never imports numba; blas.py registers the same table with numba.

- graphc_{s,d}{gemm,axpy}_lp64: scipy's LP64 BLAS (always there; the fallback).
- graphc_{s,d}{gemm,axpy}_ilp64: numpy's ILP64 OpenBLAS, where numpy's wheel bundles one
  (the preferred: one thread pool then serves numpy's matmuls and graphc's).
- graphc_{s,d}gemm_batch_ilp64 and graphc_batch_threads: that OpenBLAS's batched gemm and
  its thread count, where it has them (0.3.31 and later).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from graphc.runtime.cpu.extensions import extension_in
from graphc.runtime.cpu.openblas import ROUTINES, numpy_openblas


def _cython_blas() -> ModuleType:
    """scipy.linalg.cython_blas, loaded from its file: importing it by name first runs
    scipy.linalg's package (0.3 s, a third of the time a fresh process takes to go native
    from a warm cache), none of which the function pointers need."""
    name = "scipy.linalg.cython_blas"
    scipy = importlib.util.find_spec("scipy")
    module = None if scipy is None or not scipy.submodule_search_locations else \
        extension_in(name, Path(scipy.submodule_search_locations[0], "linalg"))
    return module or importlib.import_module(name)  # (where it is not a plain extension)


def _capsule_address(module: ModuleType, name: str) -> int:
    capsule = module.__pyx_capi__[name]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def address(function: Any) -> int:
    """The address of a ctypes function."""
    return int(ctypes.cast(function, ctypes.c_void_p).value or 0)


# numpy's OpenBLAS entry points for the batched gemms and the thread count
BATCH_ROUTINES = {"graphc_sgemm_batch_ilp64": "cblas_sgemm_batch_strided",
                  "graphc_dgemm_batch_ilp64": "cblas_dgemm_batch_strided",
                  "graphc_batch_threads": "scipy_openblas_get_num_threads64_"}


@cache
def _scipy_symbols() -> dict[str, int]:
    cython_blas = _cython_blas()
    return {f"graphc_{name}_lp64": _capsule_address(cython_blas, name)
            for name in ROUTINES}


@cache
def _numpy_symbols() -> dict[str, int]:
    numpy_blas = numpy_openblas()
    if numpy_blas is None:
        return {}
    symbols = {f"graphc_{name}_ilp64": address(getattr(numpy_blas, f"scipy_{name}_64_"))
               for name in ROUTINES}
    batch = {symbol: getattr(numpy_blas, routine, None)
             for symbol, routine in BATCH_ROUTINES.items()}
    if None not in batch.values():
        symbols.update({symbol: address(f) for symbol, f in batch.items()})
    return symbols


def blas_symbols() -> dict[str, int]:
    """Each BLAS symbol this process can give generated code, with its address. The
    batched ones are there only when numpy's OpenBLAS has all three."""
    return {**_scipy_symbols(), **_numpy_symbols()}


def blas_symbol(name: str) -> int | None:
    """The address for one BLAS symbol, or None; scipy's BLAS is loaded only for its
    own symbols."""
    return (_scipy_symbols() if name.endswith("_lp64") else _numpy_symbols()).get(name)
