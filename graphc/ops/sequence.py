"""Sequences of numbers as constants: TensorFlow's range and linspace, whose arguments are
Python numbers (the values are then known when the graph is built, and constant folding
and the shape rules see them)."""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype, float32, int32
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.constant import constant


def _number(value: Any, what: str, function: str) -> int | float:
    """A Python (or numpy) number argument; a tensor is a TypeError naming the function."""
    if isinstance(value, Tensor) or core.is_eager(value):
        raise TypeError(f"{function}: {what} must be a Python number known when the graph is "
                        "built, not a tensor")
    if isinstance(value, builtins.bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"{function}: {what} must be a number, not {type(value).__name__} "
                        f"{value!r}")
    return value.item() if isinstance(value, np.number) else value


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,  # noqa: A001
          name: str = "range") -> Tensor:
    """The numbers start, start + delta, ... up to, not including, limit (range(n) is 0..n-1),
    as a constant: int32 when every argument is an int, else float32, unless dtype is
    given (TensorFlow's rule). Element i is start + i * delta, computed in float64 and
    rounded once to the dtype."""
    if limit is None:
        start, limit = 0, start
    values = [_number(v, what, "range") for v, what in ((start, "start"), (limit, "limit"),
                                                         (delta, "delta"))]
    first, end, step = values
    if step == 0:
        raise ValueError("range: delta must not be 0")
    dt = as_dtype(dtype) if dtype is not None else \
        int32 if all(isinstance(v, int) for v in values) else float32
    size = builtins.max(0, math.ceil((end - first) / step))
    array: np.ndarray
    if all(isinstance(v, int) for v in values):  # exact, whatever the size
        array = np.arange(first, end, step, dtype=np.int64)
    else:
        array = first + np.arange(size, dtype=np.float64) * step
    if dt.is_integer and not np.all(array == np.round(array)):
        raise TypeError(f"range: the values are not whole numbers, so cannot be {dt.name}")
    return constant(array, dt, name=name)


def linspace(start: Any, stop: Any, num: Any, name: str = "linspace", axis: int = 0) -> Tensor:
    """num evenly spaced numbers from start to stop, both included, as a float32 constant
    (float64 if start is a float64 numpy value). TensorFlow 1's lin_space is the same."""
    first, last = _number(start, "start", "linspace"), _number(stop, "stop", "linspace")
    count = num
    if isinstance(num, Tensor) or core.is_eager(num) or isinstance(num, builtins.bool) or \
            not isinstance(num, int | np.integer):
        raise TypeError(f"linspace: num must be an int known when the graph is built, not "
                        f"{type(num).__name__}")
    if count < 0:
        raise ValueError(f"linspace: num must be >= 0, got {count}")
    if axis != 0:
        raise ValueError("linspace: start and stop are numbers, so the only axis is 0")
    dt = as_dtype(start.dtype) if isinstance(start, np.floating) else float32
    return constant(np.linspace(first, last, int(count)), dt, name=name)


lin_space = linspace
