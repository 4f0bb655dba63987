"""The GPU as graphc sees it: numba.cuda imported on first use, arrays moved both ways.

`import graphc` never imports numba.cuda; the first use of device "cuda" does, and then
checks that a GPU (or numba's simulator) is there, with an error that says what to do.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

SIMULATOR_HINT = ("To run the CUDA kernels without a GPU, in numba's simulator (slow: for "
                  "tests and debugging), set NUMBA_ENABLE_CUDASIM=1 before starting Python.")


class DeviceUnavailableError(RuntimeError):
    """Device "cuda" was asked for where there is no GPU and no simulator."""


_module: Any = None


def cuda() -> Any:
    """The numba.cuda module, once a GPU (or the simulator) is known to be there."""
    global _module
    if _module is None:
        try:
            from numba import cuda as module
        except ImportError as err:  # pragma: no cover - numba ships a cuda module
            raise DeviceUnavailableError(
                f"device 'cuda' needs numba-cuda: pip install 'graphc[cuda]' ({err})") from None
        if not module.is_available():
            raise DeviceUnavailableError(
                "device 'cuda' was requested, but numba finds no usable NVIDIA GPU or driver "
                f"on this machine. {SIMULATOR_HINT}")
        _module = module
    return _module


def is_simulator() -> bool:
    return os.environ.get("NUMBA_ENABLE_CUDASIM", "0") not in ("", "0")


def check_device(device: Any) -> str:
    """'cpu' or 'cuda' for a device name ('cuda:0' is 'cuda'); ValueError otherwise."""
    name = str(device)
    if name == "cpu":
        return "cpu"
    if name in ("cuda", "cuda:0", "gpu"):
        return "cuda"
    raise ValueError(f"unknown device {device!r}: use 'cpu' or 'cuda'")


def is_device_array(value: Any) -> bool:
    """Whether `value` lives on the GPU (a numba device array, or the simulator's stand-in
    for one); imports nothing."""
    return hasattr(value, "copy_to_host") and (hasattr(value, "__cuda_array_interface__")
                                               or hasattr(value, "__cuda_ndarray__"))


def to_device(array: Any) -> Any:
    """A device copy of a host array (a device array is returned as is)."""
    if is_device_array(array):
        return array
    return cuda().to_device(np.asarray(array, order="C"))


def to_host(value: Any) -> np.ndarray:
    """A host copy of a device array (a host array is returned as is)."""
    return value.copy_to_host() if is_device_array(value) else value


def empty(shape: tuple[int, ...], dtype: Any) -> Any:
    """An uninitialized C-ordered device array."""
    return cuda().device_array(tuple(shape), dtype=np.dtype(dtype))


def copy(value: Any) -> Any:
    """A device array with its own memory holding the same values."""
    out = empty(value.shape, value.dtype)
    out.copy_to_device(value)
    return out


def flat(array: Any) -> Any:
    """The C-ordered 1-D view of a contiguous device array (a 0-d one becomes size 1)."""
    return array.reshape(max(array.size, 1)) if array.ndim != 1 else array


# Threads per block. The simulator runs each simulated thread as a Python thread, so it gets
# few; every kernel loops over its elements (a grid-stride loop), so any launch covers them.
THREADS = 8 if is_simulator() else 256
MAX_BLOCKS = 4 if is_simulator() else 65535


def blocks_for(n: int) -> int:
    """Blocks of THREADS for a grid-stride loop over n elements."""
    return max(1, min(MAX_BLOCKS, -(-n // THREADS)))

# Edge of the square tiles a matmul block computes (TILE x TILE threads per block).
TILE = 8 if is_simulator() else 16
