"""TensorFlow 1's other names for graphc's ops: older spellings its tutorials still use.
Each is the op it names (no second definition)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from graphc.dtypes import float32, float64, int32, int64
from graphc.graph import Tensor
from graphc.ops.elementwise import cast
from graphc.ops.elementwise import where as elementwise_where
from graphc.ops.array import expand_dims, rank_of, shape_of, size_of
from graphc.ops.constant import zeros_like
from graphc.ops.reduce import argmax, argmin, reduce_sum
from graphc.ops.shape import reshape_like, static_shape

arg_max = argmax  # tf.arg_max(input, dimension)
arg_min = argmin
shape, size, rank = shape_of, size_of, rank_of  # tf.shape(x), tf.size(x), tf.rank(x)


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """x as float32 (tf.to_float)."""
    return cast(x, float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """x as float64 (tf.to_double)."""
    return cast(x, float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """x as int32 (tf.to_int32): floats truncate toward zero."""
    return cast(x, int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """x as int64 (tf.to_int64): floats truncate toward zero."""
    return cast(x, int64, name=name)




@contextlib.contextmanager
def device(device_name: Any) -> Iterator[None]:
    """TensorFlow 1's placement scope (`with tf.device('/cpu:0'):`), accepted so that such
    programs run: graphc places a whole run by its Session's device (gc.Session(device=
    "cuda")), so the ops built inside are placed as the others are."""
    if device_name is not None and not isinstance(device_name, str) and \
            not callable(device_name):
        raise TypeError(f"device: expected a device string such as '/cpu:0', got "
                        f"{type(device_name).__name__}")
    yield


__all__ = ["arg_max", "arg_min", "device", "to_double", "to_float", "to_int32", "to_int64"]


def where(condition: Any, x: Any = None, y: Any = None, name: str | None = None) -> Any:
    """TensorFlow 1's tf.where(condition, x, y): x where condition holds, else y. A condition
    of rank 1 against x and y of higher rank picks whole rows (its length is their first
    dimension); otherwise the three broadcast, as gc.where's op (and tf.where_v2, and
    torch.where) does. tf.where(condition) alone, the coordinates of the true elements, has
    a shape known only at run time, which graphc's graphs do not have."""
    if x is None or y is None:
        raise TypeError("where(condition) with x and y left out returns the coordinates of "
                        "the true elements, whose count is known only at run time: graphc "
                        "does not support it; pass both x and y")
    rank, x_rank, y_rank = (_rank(v) for v in (condition, x, y))
    if rank == 1:
        if x_rank is None or y_rank is None:
            raise ValueError("where: with a condition of rank 1, x and y need a rank known "
                             "while building (TensorFlow 1 picks whole rows of x and y of "
                             "higher rank, and broadcasts otherwise)")
        if max(x_rank, y_rank) > 1:
            rows = [_first_dim(v) for v in (condition, x, y)]
            if len({n for n in rows if n is not None}) > 1:
                raise ValueError(f"where: a condition of rank 1 picks rows, so its length "
                                 f"must be x's and y's first dimension; they are {rows}")
            if None in rows:  # checked at run time: reshaped to x's rows, or an error
                rows_of = x if x_rank >= y_rank else y
                rows_like = reduce_sum(zeros_like(rows_of, dtype=float32),
                                       axis=list(range(1, max(x_rank, y_rank))))
                condition = reshape_like(condition, rows_like)
            for _ in range(max(x_rank, y_rank) - 1):
                condition = expand_dims(condition, -1)
    return elementwise_where(condition, x, y, name=name)


def _first_dim(value: Any) -> int | None:
    shape = static_shape(value)
    return None if not shape else shape[0]


def _rank(value: Any) -> int | None:
    shape = static_shape(value)
    return None if shape is None else len(shape)
