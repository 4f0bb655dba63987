"""TensorFlow 1's math functions that are compositions of graphc's ops (tf.clip_by_value,
tf.add_n, tf.squared_difference, tf.log1p, tf.rsqrt, tf.logical_and...): no op of their own,
so they run natively on every backend, differentiate through their ops' gradient rules and
work on graph and eager tensors alike."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, int64
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.elementwise import (abs, add, cast, equal, floordiv, floormod, log, not_equal,
                                    sqrt, square, subtract, where)
from graphc.ops.operators import clamp
from graphc.ops.reduce import reduce_sum
from graphc.ops.shape import identity, static_shape, stop_gradient

__all__ = ["add_n", "clip_by_value", "count_nonzero", "floor_div", "is_nan", "log1p",
           "logical_and", "logical_not", "logical_or", "mod", "rsqrt", "squared_difference"]

floor_div = floordiv  # tf.floor_div is tf.floordiv
mod = floormod  # tf.mod is tf.floormod


@contextlib.contextmanager
def scope(name: str | None, default: str, *values: Any) -> Iterator[None]:
    """Graph mode: the ops built inside sit in the name scope `name` (else `default`), in
    the graph of `values`. Eager mode: nothing."""
    if core.is_eager(*values):
        yield
        return
    graph = core._graph_of(values)
    with graph.as_default(), graph.name_scope(name or default):
        yield


def _dtype_of(x: Any) -> DType:
    dtype = getattr(x, "dtype", None)
    return as_dtype(dtype if dtype is not None else np.asarray(x).dtype)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Any:
    """t limited to [clip_value_min, clip_value_max], as TensorFlow 1 computes it:
    max(min(t, clip_value_max), clip_value_min), so NaN stays NaN and, where min > max,
    every element is min. The gradient passes to t where min <= t <= max, bounds included
    (TensorFlow's minimum and maximum give a tie to t), and to a tensor bound where t is
    beyond it. The bounds may broadcast against t but not enlarge it."""
    with scope(name, "clip_by_value", t, clip_value_min, clip_value_max):
        if not core.is_eager(t):
            t = core.convert_to_tensor(t, op="clip_by_value")
        # graphc's clamp tests the lower bound first; TensorFlow takes the upper one first
        out = clamp(clamp(t, max=clip_value_max), min=clip_value_min)
    t_shape, out_shape = static_shape(t), static_shape(out)
    if t_shape is not None and out_shape is not None and (
            len(out_shape) != len(t_shape) or not shapes.compatible(t_shape, out_shape)):
        raise ValueError(f"clip_by_value: the clip values would broadcast t of shape "
                         f"{shapes.fmt(t_shape)} to shape {shapes.fmt(out_shape)}")
    return out


def add_n(inputs: Sequence[Any], name: str | None = None) -> Any:
    """The elementwise sum of a list of tensors of one dtype and shape (no broadcasting)."""
    if isinstance(inputs, Tensor) or not isinstance(inputs, Sequence) or not inputs:
        raise ValueError("add_n: inputs must be a list of at least one Tensor with the same "
                         "dtype and shape")
    values = [x if core.is_eager(x) else core.convert_to_tensor(x, op="add_n")
              for x in inputs]
    dtypes = {_dtype_of(v) for v in values}
    known = [static_shape(v) for v in values]
    if len(dtypes) > 1 or any(not shapes.compatible(a, b) for a in known for b in known):
        described = ", ".join(f"{_dtype_of(v).name}{shapes.fmt(s)}"
                              for v, s in zip(values, known))
        raise ValueError(f"add_n: inputs must be a list of at least one Tensor with the same "
                         f"dtype and shape; got {described}")
    if len(values) == 1:
        return values[0] if name is None or core.is_eager(values[0]) else \
            identity(values[0], name=name)
    with scope(name, "AddN", *values):
        total = values[0]
        for value in values[1:]:
            total = add(total, value)
        return total


def squared_difference(x: Any, y: Any, name: str | None = None) -> Any:
    """(x - y) ** 2 elementwise, with numpy broadcasting."""
    with scope(name, "SquaredDifference", x, y):
        return square(subtract(x, y))


def rsqrt(x: Any, name: str | None = None) -> Any:
    """1 / sqrt(x) elementwise (floating point)."""
    with scope(name, "Rsqrt", x):
        return 1 / sqrt(x)


def log1p(x: Any, name: str | None = None) -> Any:
    """log(1 + x) elementwise, to full precision where x is near 0 (floating point); its
    gradient is 1 / (1 + x)."""
    with scope(name, "Log1p", x):
        plain = log(x + 1)  # (the one log1p_of takes: CSE merges them)
        return where(equal(abs(plain), np.inf), plain, log1p_of(x))  # (inf - inf in it)


def log1p_of(u: Any) -> Any:
    """log(1 + u) to full precision for finite u > -1, with the gradient 1 / (1 + u).

    The value is Kahan's: with w = 1 + u rounded, log(w) * (u / (w - 1)) (u itself where
    w == 1), which is exact to a few ulps where log(1 + u) loses u's low digits. Its
    gradient, differentiated as written, would cancel badly, so the gradient is taken from
    plain log(w) (exact: d log(w)/du = 1/w) and the correction is held by stop_gradient.
    """
    w = u + 1
    plain = log(w)
    ones = equal(w, 1)
    kahan = where(ones, u, plain * (u / where(ones, 1, w - 1)))  # (u / (w - 1) is near 1:
    # no overflow for a large u)
    return plain + stop_gradient(kahan - plain)


def _bools(function: str, *values: Any) -> None:
    for value in values:
        if not _dtype_of(value).is_bool:
            raise TypeError(f"{function}: expects bool tensors, got {_dtype_of(value).name}")


def logical_and(x: Any, y: Any, name: str | None = None) -> Any:
    """x and y elementwise, for bool tensors, with numpy broadcasting."""
    _bools("logical_and", x, y)
    return where(x, y, False, name=name)


def logical_or(x: Any, y: Any, name: str | None = None) -> Any:
    """x or y elementwise, for bool tensors, with numpy broadcasting."""
    _bools("logical_or", x, y)
    return where(x, True, y, name=name)


def logical_not(x: Any, name: str | None = None) -> Any:
    """not x elementwise, for a bool tensor."""
    _bools("logical_not", x)
    return equal(x, False, name=name)


def is_nan(x: Any, name: str | None = None) -> Any:
    """Whether each element is NaN (x != x), for floating point x."""
    if not _dtype_of(x).is_floating:
        raise TypeError(f"is_nan: expects a floating-point tensor, got {_dtype_of(x).name}")
    return not_equal(x, x, name=name)


def count_nonzero(input_tensor: Any = None, axis: Any = None, keepdims: Any = None,
                  dtype: Any = int64, name: str | None = None, reduction_indices: Any = None,
                  keep_dims: Any = None, input: Any = None) -> Any:  # noqa: A002 - TF's name
    """The number of elements that are not zero (NaN counts), over `axis` (None: all), as
    `dtype` (int64); TensorFlow 1's reduction_indices= and keep_dims= are accepted."""
    x = input if input_tensor is None else input_tensor
    if x is None:
        raise ValueError("count_nonzero: give input_tensor")
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError("count_nonzero: give axis or reduction_indices, not both")
        axis = reduction_indices
    keep = bool(keepdims if keepdims is not None else keep_dims)
    with scope(name, "count_nonzero", x):
        zero = False if _dtype_of(x).is_bool else 0
        nonzero = cast(not_equal(x, zero), int64)
        return cast(reduce_sum(nonzero, axis, keepdims=keep), as_dtype(dtype))
