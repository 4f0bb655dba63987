"""Arrays wherever they live: host numpy arrays and numba device arrays, moved and copied
without importing numba.cuda until a device array exists."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.runtime.cuda.device import copy as device_copy
from graphc.runtime.cuda.device import is_device_array


def host(value: Any) -> np.ndarray:
    """The values on the host: a host array as is, a device array copied back."""
    return value.copy_to_host() if is_device_array(value) else value


def copy_of(value: Any) -> Any:
    """A copy with its own memory, on the same device."""
    return device_copy(value) if is_device_array(value) else np.array(value, copy=True)


def write_into(target: Any, value: Any) -> None:
    """Overwrite target's values with value's (same shape), across devices if need be."""
    if is_device_array(target):
        target.copy_to_device(value if is_device_array(value) else np.asarray(value, order="C"))
    else:
        target[...] = host(value)
