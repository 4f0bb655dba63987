"""Sorting: the argsort op (a stable order along an axis, optionally only its first k), and
take_along_axis (the elements at those indices) with its gradient scatter_along_axis. A sort
is argsort then take_along_axis; a top-k is the same with k; so the gradient of the values
flows back to the elements they were taken from.

The order is stable: equal elements keep their order along the axis, in either direction
(TensorFlow's top_k rule: of equal elements, the lower index comes first). NaN is taken as
larger than every number, as PyTorch does: an ascending sort puts NaNs last, as numpy's
np.sort does, and a descending sort (and a top-k of the largest) puts them first.

Backends: the ops set OpDef.host, so the numba backend runs these numpy references in its
host program, with no FallbackWarning (numpy's sort and indexing are what a
native kernel would run); on CUDA they run on host copies of their inputs, with the
backend's FallbackWarning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, int32
from graphc.graph import TensorType
from graphc.ops.array import (axis_index, check_indices, indices_for, static_rank, static_int,
                               expand_dims, squeeze)
from graphc.ops.composite import scope
from graphc.ops.core import apply
from graphc.ops.shape import static_shape
from graphc.registry import OpDef, like_input, register


class TopK(NamedTuple):
    """What tf.nn.top_k returns: the k largest values along the last axis and their
    indices (int32)."""

    values: Any
    indices: Any


# -- argsort --------------------------------------------------------------------------------
def _argsort_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    axis, k, dtype = attrs["axis"], attrs["k"], attrs["dtype"]
    if not dtype.is_integer:
        raise TypeError(f"the indices must be an integer dtype, not {dtype.name}")
    if x.shape is None:
        return TensorType(dtype, None)
    if not 0 <= axis < len(x.shape):
        raise ValueError(f"axis {axis} is out of range for shape {shapes.fmt(x.shape)}")
    if k is None:
        return TensorType(dtype, x.shape)
    _check_k(k, x.shape, axis)
    return TensorType(dtype, x.shape[:axis] + (k,) + x.shape[axis + 1:])


def _check_k(k: int, shape: tuple[Any, ...], axis: int) -> None:
    n = shape[axis]
    if k < 0 or (n is not None and k > n):
        raise ValueError(f"k = {k} is out of range for axis {axis} of shape "
                         f"{shapes.fmt(shape)}: k must be at least 0 and at most {n}, the "
                         "size of that axis")


def _argsort_ref(x: np.ndarray, axis: int, descending: bool, k: int | None,
                 dtype: DType) -> np.ndarray:
    if k is not None:
        _check_k(k, x.shape, axis)
    if descending:  # stable: sort the flipped array, flip the order back and renumber
        flipped = np.argsort(np.flip(x, axis), axis=axis, kind="stable")
        order = (x.shape[axis] - 1) - np.flip(flipped, axis)
    else:
        order = np.argsort(x, axis=axis, kind="stable")
    if k is not None:
        order = order[(slice(None),) * axis + (slice(0, k),)]
    return np.ascontiguousarray(order, dtype=dtype.np)


# forward y = the indices that sort x along axis (stable; NaN largest), the first k of
# them when k is given; no gradient (integer indices)
ARGSORT = register(OpDef("argsort", _argsort_infer, _argsort_ref, host=True))


# -- take_along_axis and scatter_along_axis -------------------------------------------------
def _along_infer(what: str, x: TensorType, indices: TensorType, axis: int) -> None:
    if not indices.dtype.is_integer:
        raise TypeError(f"indices must be integers (int32 or int64), not {indices.dtype.name}")
    if x.shape is None or indices.shape is None:
        return
    if len(x.shape) != len(indices.shape) or not 0 <= axis < len(x.shape):
        raise ValueError(f"indices of shape {shapes.fmt(indices.shape)} cannot index {what} "
                         f"of shape {shapes.fmt(x.shape)} along axis {axis}: they must have "
                         "its rank")
    for d, (n, m) in enumerate(zip(x.shape, indices.shape)):
        if d != axis and n is not None and m is not None and n != m:
            raise ValueError(f"indices of shape {shapes.fmt(indices.shape)} cannot index "
                             f"{what} of shape {shapes.fmt(x.shape)} along axis {axis}: "
                             f"dimension {d} differs")


def _take_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, indices = types
    _along_infer("a tensor", x, indices, attrs["axis"])
    return TensorType(x.dtype, indices.shape)


def _scatter_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, indices, like = types
    if g.dtype != like.dtype:
        raise TypeError(f"the values are {g.dtype.name}, the result {like.dtype.name}")
    if not shapes.compatible(g.shape, indices.shape):
        raise ValueError(f"values of shape {shapes.fmt(g.shape)} do not match indices of "
                         f"shape {shapes.fmt(indices.shape)}")
    _along_infer("a result", like, indices, attrs["axis"])
    return like


def _grid(indices: np.ndarray, axis: int) -> tuple[np.ndarray, ...]:
    """The full index of each element of `indices` into the array it indexes along axis."""
    rank = indices.ndim
    return tuple(indices if d == axis else
                 np.arange(n).reshape([-1 if e == d else 1 for e in range(rank)])
                 for d, n in enumerate(indices.shape))


def _take_ref(x: np.ndarray, indices: np.ndarray, axis: int) -> np.ndarray:
    check_indices(indices, x.shape[axis], "take_along_axis")
    if x.shape[:axis] + x.shape[axis + 1:] != indices.shape[:axis] + indices.shape[axis + 1:]:
        raise ValueError(f"take_along_axis: indices of shape {indices.shape} do not fit "
                         f"a tensor of shape {x.shape} along axis {axis}")
    return np.take_along_axis(x, indices, axis)


def _scatter_ref(g: np.ndarray, indices: np.ndarray, like: np.ndarray,
                 axis: int) -> np.ndarray:
    check_indices(indices, like.shape[axis], "scatter_along_axis")
    out = np.zeros(like.shape, g.dtype)
    np.add.at(out, _grid(indices, axis), g)
    return out


# forward y[..., j, ...] = x[..., indices[..., j, ...], ...] along axis; backward dx = g
# added back at the indices (scatter_along_axis); indices have no gradient
TAKE_ALONG_AXIS = register(OpDef(
    "take_along_axis", _take_infer, _take_ref,
    lambda op, g: (scatter_along_axis(g, op.inputs[1], op.inputs[0], op.attrs["axis"]), None),
    dims=like_input(1), host=True))
# forward y = zeros like `like` with g added at the indices along axis (repeats add up);
# backward dg = the gradient taken at the indices
SCATTER_ALONG_AXIS = register(OpDef(
    "scatter_along_axis", _scatter_infer, _scatter_ref,
    lambda op, g: (apply(TAKE_ALONG_AXIS, g, op.inputs[1], axis=op.attrs["axis"]), None,
                   None),
    dims=like_input(2), host=True))


def scatter_along_axis(values: Any, indices: Any, like: Any, axis: int) -> Any:
    """Zeros in the shape of `like` with values added at indices along axis (repeated
    indices add up): take_along_axis's gradient."""
    return apply(SCATTER_ALONG_AXIS, values,
                 indices_for(indices, like, "scatter_along_axis"), like, axis=axis)


def take_along_axis(x: Any, indices: Any, axis: int, name: str | None = None) -> Any:
    """The elements of x at `indices` (integers of x's rank, x's sizes but along axis)
    along axis, as numpy's np.take_along_axis: for axis 1 of a matrix,
    y[i, j] = x[i, indices[i, j]]. An index outside 0..n-1 is an error."""
    rank = static_rank(x, "take_along_axis")
    return apply(TAKE_ALONG_AXIS, x, indices_for(indices, x, "take_along_axis"), name=name,
                 axis=axis_index(axis, rank, "take_along_axis"))


# -- the builders ---------------------------------------------------------------------------
def sort_along(x: Any, axis: Any, descending: bool, k: Any = None, index_dtype: Any = int32,
               function: str = "sort", values: bool = True) -> tuple[Any, Any]:
    """(values, indices) of x sorted along axis (the first k of them, if k is given), stable,
    NaN largest; values is None unless asked for. A 0-d x is its own sort."""
    shape = static_shape(x)
    if shape is None:
        raise ValueError(f"{function}: the input's rank must be known when the graph is built")
    rank = len(shape)
    a = axis_index(axis, max(rank, 1), function, shape)
    if k is not None:
        k = static_int(k, "k", function)
        if k < 0 or (rank and shape[a] is not None and k > shape[a]) or (not rank and k > 1):
            raise ValueError(f"{function}: k = {k} is out of range for axis {a} of shape "
                             f"{shapes.fmt(shape)}: k must be at least 0 and at most "
                             f"{shape[a] if rank else 1}, the size of that axis")
    if rank == 0:
        v, i = sort_along(expand_dims(x, 0), 0, descending, k, index_dtype, function, values)
        return (squeeze(v, 0) if v is not None and k != 0 else v), \
            (squeeze(i, 0) if k != 0 else i)
    indices = apply(ARGSORT, x, axis=a, descending=bool(descending), k=k,
                    dtype=as_dtype(index_dtype))
    return (apply(TAKE_ALONG_AXIS, x, indices, axis=a) if values else None), indices


def _direction(direction: Any, function: str) -> bool:
    """Whether TensorFlow's `direction` is 'DESCENDING' (else 'ASCENDING')."""
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"{function}: direction must be 'ASCENDING' or 'DESCENDING', not "
                         f"{direction!r}")
    return direction == "DESCENDING"


def sort(values: Any, axis: Any = -1, direction: str = "ASCENDING",
         name: str | None = None) -> Any:
    """values sorted along `axis`, as tf.sort (stable; NaN largest: last when ascending,
    first when descending). The gradient flows back to each value's place."""
    descending = _direction(direction, "sort")
    with scope(name, "sort", values):
        return sort_along(values, axis, descending)[0]


def argsort(values: Any, axis: Any = -1, direction: str = "ASCENDING", stable: bool = False,
            name: str | None = None) -> Any:
    """The int32 indices that sort values along `axis`, as tf.argsort; always stable (equal
    values keep their order), NaN largest."""
    descending = _direction(direction, "argsort")
    with scope(name, "argsort", values):
        return sort_along(values, axis, descending, function="argsort", values=False)[1]


def top_k(input: Any, k: Any = 1, sorted: bool = True,  # noqa: A002 - TensorFlow's names
          name: str | None = None) -> TopK:
    """The k largest entries along the last axis and their int32 indices, as tf.nn.top_k:
    (values, indices), largest first (always sorted); of equal values the lower index comes
    first, and NaN counts as the largest. The gradient flows to the entries taken."""
    with scope(name, "TopKV2", input):
        if static_shape(input) == ():
            raise ValueError("top_k: the input must have at least 1 dimension, got a scalar")
        return TopK(*sort_along(input, -1, True, k, int32, "top_k"))
