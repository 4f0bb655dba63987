"""Arrays wherever they live: host numpy arrays and numba device arrays, moved and copied
without importing numba.cuda until a device array exists."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.runtime.cuda.device import copy as device_copy
from graphc.runtime.cuda.device import empty as device_empty
from graphc.runtime.cuda.device import is_device_array, to_device


def host(value: Any) -> np.ndarray:
    """The values on the host: a host array as is, a device array copied back."""
    return value.copy_to_host() if is_device_array(value) else value


def moved_to(where: str, value: Any) -> Any:
    """The value on device `where` ('cpu' or 'cuda'): as is if it is there, else a copy."""
    return to_device(value) if where == "cuda" else host(value)


def copy_of(value: Any) -> Any:
    """A C-ordered copy with its own memory, on the same device."""
    return device_copy(value) if is_device_array(value) else \
        np.array(value, copy=True, order="C")


def is_storage(value: Any) -> bool:
    """Whether native code may take `value` as a variable's storage, a buffer it reads and
    writes by raw pointer, row after row: a numpy array (not a subclass) that is
    C-contiguous, aligned and writable, in the machine's byte order."""
    return type(value) is np.ndarray and value.flags.carray and value.dtype.isnative


def as_storage(value: Any) -> Any:
    """`value` itself if it may be a variable's storage (see is_storage), else a copy that
    may: C-ordered, with its own writable memory and the same values and dtype (in the
    machine's byte order). A copy never aliases the caller's memory, so what native code
    writes there cannot reach past the variable: not into the rest of the array a view was
    cut from, nor into a read-only or broadcast array. Device arrays are kept as they are
    (graphc makes them C-contiguous)."""
    if is_storage(value) or is_device_array(value):
        return value
    array = np.asarray(value)
    return np.array(array, dtype=array.dtype.newbyteorder("="), order="C", copy=True)


def write_into(target: Any, value: Any) -> None:
    """Overwrite target's values with value's (same shape), across devices if need be."""
    if is_device_array(target):
        target.copy_to_device(value if is_device_array(value) else np.asarray(value, order="C"))
    else:
        target[...] = host(value)


def full_like(value: Any, fill: Any) -> Any:
    """An array of value's shape, dtype and device with every element `fill`."""
    if is_device_array(value):
        from graphc.runtime.cuda.constant import fill as device_fill

        return device_fill(device_empty(value.shape, value.dtype), fill)
    return np.full_like(value, fill)


def add_into(target: Any, value: Any) -> None:
    """target += value, on target's device (value of the same shape, on the same device)."""
    if is_device_array(target):
        from graphc.runtime.cuda.elementwise import launch_over

        launch_over("(x0 + x1)", [target, value], target)
    else:
        target += value
