"""Array ops TensorFlow 1 programs use: one_hot."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of, float32
from graphc.dtypes import bool as bool_
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.ops.elementwise import where
from graphc.registry import OpDef, register


def _static_shape(x: Any) -> shapes.Shape:
    """x's static shape: a tensor's (None where unknown), an eager tensor's or an array's."""
    if isinstance(x, Tensor):
        return x.shape
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else np.shape(x)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or core.is_eager(value)


def _static_int(value: Any, what: str, function: str) -> int:
    """A Python int argument (a tensor, a float or a bool is a TypeError)."""
    if _is_tensor(value):
        raise TypeError(f"{function}: {what} must be an int known when the graph is built, "
                        "not a tensor")
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{function}: {what} must be an int, not {type(value).__name__} "
                        f"{value!r}")
    return int(value)


def _axis(axis: Any, rank: int, function: str, shape: shapes.Shape = None) -> int:
    """axis in [-rank, rank) as a non-negative int; a ValueError naming the shape if not."""
    axis = _static_int(axis, "axis", function)
    if not -rank <= axis < rank:
        where_ = f"shape {shapes.fmt(shape)}" if shape is not None else f"rank {rank}"
        raise ValueError(f"{function}: axis {axis} is out of range for a tensor of {where_} "
                         f"(rank {rank})")
    return axis % rank


def _rank(x: Any, function: str) -> int:
    shape = _static_shape(x)
    if shape is None:
        raise ValueError(f"{function}: the input's rank must be known when the graph is built")
    return len(shape)


# -- one_hot --------------------------------------------------------------------------------
def _one_hot_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (indices,) = types
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers (int32 or int64), not {indices.dtype.name}")
    if indices.shape is None:
        return TensorType(attrs["dtype"], None)
    shape = list(indices.shape)
    shape.insert(attrs["axis"], attrs["depth"])
    return TensorType(attrs["dtype"], tuple(shape))


def _one_hot_ref(indices: np.ndarray, depth: int, on_value: Any, off_value: Any, axis: int,
                 dtype: DType) -> np.ndarray:
    rank = indices.ndim + 1
    classes = np.arange(depth).reshape([depth if d == axis else 1 for d in range(rank)])
    hot = np.expand_dims(indices, axis) == classes
    return np.where(hot, dtype.np.type(on_value), dtype.np.type(off_value)).astype(dtype.np)


# forward y = on_value where the index equals the position along axis, else off_value (an
# index outside 0..depth-1 gives a line of off_value); indices have no gradient
ONE_HOT = register(OpDef("one_hot", _one_hot_infer, _one_hot_ref))


def one_hot(indices: Any, depth: Any, on_value: Any = None, off_value: Any = None,
            axis: Any = None, dtype: Any = None, name: str | None = None) -> Any:
    """Integer indices as one-hot vectors of length `depth` along a new axis (`axis`, by
    default -1: the last): on_value (1) where the index is the position, off_value (0)
    elsewhere; an index outside 0..depth-1 gives only off_value (TensorFlow's rule).

    dtype is float32 unless given or implied by on_value/off_value (Python ints make
    int32, as in TensorFlow). on_value and off_value may be tensors (then the result is a
    selection between them, and gradients flow into them)."""
    depth = _static_int(depth, "depth", "one_hot")
    if depth < 0:
        raise ValueError(f"one_hot: depth must be >= 0, got {depth}")
    rank = _rank(indices, "one_hot") + 1
    axis = _axis(-1 if axis is None else axis, rank, "one_hot")
    given = [v for v in (on_value, off_value) if v is not None]
    if dtype is not None:
        dt = as_dtype(dtype)
    elif given:
        first = given[0]
        dt = as_dtype(first.dtype) if _is_tensor(first) else default_dtype_of(first)
    else:
        dt = float32
    on: Any = dt.np.type(1).item() if on_value is None else on_value
    off: Any = dt.np.type(0).item() if off_value is None else off_value
    for label, value in (("on_value", on), ("off_value", off)):
        if _is_tensor(value) and as_dtype(value.dtype) != dt:
            raise TypeError(f"one_hot: {label} is {as_dtype(value.dtype).name}, but the "
                            f"result's dtype is {dt.name}")
    if _is_tensor(on) or _is_tensor(off):
        hot = apply(ONE_HOT, indices, depth=depth, on_value=True, off_value=False,
                    axis=axis, dtype=bool_)
        return where(hot, on, off, name=name)
    on, off = (core.as_array(v, dt, "one_hot").item() for v in (on, off))
    return apply(ONE_HOT, indices, name=name, depth=depth, on_value=on, off_value=off,
                 axis=axis, dtype=dt)
