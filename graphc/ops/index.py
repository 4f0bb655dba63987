"""Indexing: x[index], and copies of x with x[index] replaced or added to.

The index is static (ints, slices, None, Ellipsis, and in eager mode numpy arrays such as
boolean masks); it is an attribute of the node, not an input.
"""

from __future__ import annotations

import builtins
import operator
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
    x, index = types[0], attrs["index"]
    if x.shape is None:
        return TensorType(x.dtype, None)
    if not shapes.is_fully_defined(x.shape):
        return TensorType(x.dtype, _basic_index_shape(x.shape, index))
    try:
        probe = np.broadcast_to(np.empty((), x.dtype.np), x.shape)  # type: ignore[arg-type]
        return TensorType(x.dtype, probe[index].shape)
    except IndexError as err:
        raise ValueError(f"index {index!r} does not fit shape {shapes.fmt(x.shape)}: "
                         f"{err}") from None


def _basic_index_shape(shape: tuple[int | None, ...], index: Any) -> shapes.Shape:
    """The shape of x[index] for a shape with unknown (None) dims: each int drops its dim, a
    slice keeps it (its length where the dim is known, else unknown), None adds a 1, and
    Ellipsis stands for the dims no other entry takes; None (unknown rank) for an index with
    arrays in it (numpy's advanced indexing)."""
    entries = index if isinstance(index, tuple) else (index,)
    if any(not (e is None or e is Ellipsis or isinstance(e, builtins.slice) or
                (isinstance(e, int | np.integer) and not isinstance(e, bool | np.bool_)))
           for e in entries):
        return None
    taking = sum(1 for e in entries if e is not None and e is not Ellipsis)
    if sum(1 for e in entries if e is Ellipsis) > 1:
        raise ValueError(f"index {index!r}: an index can only have a single ellipsis")
    if taking > len(shape):
        raise ValueError(f"index {index!r} does not fit shape {shapes.fmt(shape)}: too many "
                         "indices")
    if Ellipsis not in entries:
        entries = (*entries, Ellipsis)
    out: list[int | None] = []
    dims = iter(shape)
    for e in entries:
        if e is None:
            out.append(1)
        elif e is Ellipsis:
            out += [next(dims) for _ in range(len(shape) - taking)]
        elif isinstance(e, builtins.slice):
            for bound in (e.start, e.stop, e.step):
                if bound is not None and not isinstance(bound, int | np.integer) or \
                        isinstance(bound, bool | np.bool_):
                    raise ValueError(f"index {index!r} does not fit shape "
                                     f"{shapes.fmt(shape)}: a slice's bounds are ints or None")
            if e.step == 0:
                raise ValueError(f"index {index!r} does not fit shape {shapes.fmt(shape)}: "
                                 "slice step cannot be zero")
            n = next(dims)
            out.append(None if n is None else len(range(*e.indices(n))))
        else:
            n = next(dims)
            if n is not None and not -n <= e < n:
                raise ValueError(f"index {index!r} does not fit shape {shapes.fmt(shape)}: "
                                 f"index {e} is out of bounds for a dimension of size {n}")
    return tuple(out)


def _update_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, value = types
    if x.dtype != value.dtype:
        raise TypeError(f"cannot write {value.dtype.name} values into a {x.dtype.name} tensor")
    target = _getitem_infer(types[:1], attrs).shape  # (raises for an index that cannot fit)
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
def _getitem_ref(x: np.ndarray, index: Any) -> np.ndarray:
    """x[index]; one element as a 0-d view of x, not a numpy scalar (so an eager x[0] on a
    vector is a view, as every basic index gives one)."""
    value = x[index]
    if isinstance(value, np.ndarray):
        return value
    return x[(*(index if isinstance(index, tuple) else (index,)), Ellipsis)]


GETITEM = register(OpDef(
    "getitem", _getitem_infer, _getitem_ref,
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


def slice(input_: Any, begin: Any, size: Any, name: str | None = None) -> Any:  # noqa: A001
    """TensorFlow's tf.slice: the block of `input_` that starts at `begin` and has `size`
    elements along each dimension (-1: all that remain), as input_[b0:b0+s0, b1:b1+s1, ...].
    begin and size are ints known while building; a block that does not fit a dimension
    known while building is an error (one whose size is known only at run time is clipped
    to it, as indexing is)."""
    begin, size = _static_ints(begin, "begin"), _static_ints(size, "size")
    shape = getattr(input_, "shape", None)
    shape = None if shape is None else tuple(shape)
    if len(begin) != len(size) or (shape is not None and len(shape) != len(begin)):
        raise ValueError(f"slice: begin {list(begin)} and size {list(size)} must have one "
                         f"entry per dimension of the input, shape {shape}")
    for axis, (b, n) in enumerate(zip(begin, size)):
        dim = None if shape is None else shape[axis]
        if b < 0 or n < -1 or (dim is not None and (b > dim or (n != -1 and b + n > dim))):
            raise ValueError(f"slice: begin {b} and size {n} do not fit dimension {axis} "
                             f"of shape {shape}")
    index = tuple(builtins.slice(b, None if n == -1 else b + n) for b, n in zip(begin, size))
    return getitem(input_, index, name=name)


def _static_ints(values: Any, what: str) -> tuple[int, ...]:
    if isinstance(values, Tensor) or core.is_eager(values):
        raise TypeError(f"slice: {what} must be a list of ints known while building, not a "
                        "tensor")
    return tuple(operator.index(v) for v in np.atleast_1d(np.asarray(values)).tolist())


def setitem(x: Any, value: Any, index: Any, name: str | None = None) -> Any:
    """A copy of x with x[index] = value."""
    return apply(SETITEM, x, value, name=name, index=static_index(index))


def index_add(x: Any, value: Any, index: Any, name: str | None = None) -> Any:
    """A copy of x with value added at x[index] (repeated indices add up)."""
    return apply(INDEX_ADD, x, value, name=name, index=static_index(index))
