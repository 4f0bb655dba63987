"""Indexing: x[index], and copies of x with x[index] replaced or added to.

The index is static (ints, slices, None, Ellipsis, and in eager mode numpy arrays such as
boolean masks); it is an attribute of the node, not an input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.constant import zeros_like
from graphc.ops.core import apply
from graphc.ops.shape import sum_to
from graphc.registry import OpDef, register


def _getitem_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x = types[0]
    if not shapes.is_fully_defined(x.shape):
        return TensorType(x.dtype, None)
    try:
        probe = np.broadcast_to(np.empty((), x.dtype.np), x.shape)  # type: ignore[arg-type]
        return TensorType(x.dtype, probe[attrs["index"]].shape)
    except IndexError as err:
        raise ValueError(f"index {attrs['index']!r} does not fit shape "
                         f"{shapes.fmt(x.shape)}: {err}") from None


def _update_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, value = types
    if x.dtype != value.dtype:
        raise TypeError(f"cannot write {value.dtype.name} values into a {x.dtype.name} tensor")
    if shapes.is_fully_defined(x.shape):
        target = _getitem_infer(types[:1], attrs).shape
        shapes.broadcast(value.shape, target)  # raises if the values do not fit the selection
    return x


def _setitem_ref(x: np.ndarray, value: np.ndarray, index: Any) -> np.ndarray:
    out = x.copy()
    out[index] = value
    return out


def _index_add_ref(x: np.ndarray, value: np.ndarray, index: Any) -> np.ndarray:
    out = x.copy()
    np.add.at(out, index, value)  # repeated indices accumulate
    return out


# forward y = x[index]; backward dx = zeros with g added at index
GETITEM = register(OpDef(
    "getitem", _getitem_infer, lambda x, index: x[index],
    lambda op, g: (index_add(zeros_like(op.inputs[0]), g, op.attrs["index"]),)))
# forward y = x with y[index] = v; backward dx = g with zeros at index, dv = g[index] summed
SETITEM = register(OpDef(
    "setitem", _update_infer, _setitem_ref,
    lambda op, g: (setitem(g, 0, op.attrs["index"]) if op.wants[0] else None,
                   sum_to(getitem(g, op.attrs["index"]), op.inputs[1]) if op.wants[1] else None)))
# forward y = x with v added at index; backward dx = g, dv = g[index] summed
INDEX_ADD = register(OpDef(
    "index_add", _update_infer, _index_add_ref,
    lambda op, g: (g, sum_to(getitem(g, op.attrs["index"]), op.inputs[1])
                   if op.wants[1] else None)))


def static_index(index: Any) -> Any:
    """The index as numpy understands it: eager tensors (e.g. the mask in x[x < 0]) become
    their arrays; graph tensors are refused, since an index must be known while building."""
    if isinstance(index, Tensor):
        raise TypeError("indexing a graph tensor with a graph tensor is not supported; "
                        "use gc.where for masks")
    if core.is_eager(index):
        return index.array  # type: ignore[attr-defined]
    if isinstance(index, tuple):
        return tuple(static_index(i) for i in index)
    return index


def getitem(x: Any, index: Any, name: str | None = None) -> Any:
    """x[index]."""
    return apply(GETITEM, x, name=name, index=static_index(index))


def setitem(x: Any, value: Any, index: Any, name: str | None = None) -> Any:
    """A copy of x with x[index] = value."""
    return apply(SETITEM, x, value, name=name, index=static_index(index))


def index_add(x: Any, value: Any, index: Any, name: str | None = None) -> Any:
    """A copy of x with value added at x[index] (repeated indices add up)."""
    return apply(INDEX_ADD, x, value, name=name, index=static_index(index))
