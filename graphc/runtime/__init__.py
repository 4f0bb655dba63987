"""Backends that execute Programs; importing this package registers the built-in ones."""

from typing import Any

from graphc.runtime import interpreter  # noqa: F401 - registers the "numpy" backend
from graphc.runtime.backend import BACKENDS, RunState, get_backend, register_backend


def _numba_backend() -> Any:
    from graphc.runtime.cpu.backend import NumbaBackend  # imports numba: only when asked
    return NumbaBackend()


def _cuda_backend() -> Any:
    from graphc.runtime.cuda.backend import CudaBackend  # numba.cuda: only when asked
    return CudaBackend()


register_backend("numba", _numba_backend)
register_backend("cuda", _cuda_backend)

__all__ = ["BACKENDS", "RunState", "get_backend", "register_backend"]
