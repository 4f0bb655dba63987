"""Tensors made from values: constants and filled tensors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of, float32, int32
from graphc.dtypes import bool as bool_
from graphc.graph import Tensor, TensorType, get_default_graph
from graphc.ops.core import apply, constant_node, integers_fit
from graphc.ops.elementwise import add, cast
from graphc.ops.reduce import reduce_sum
from graphc.ops.shape import (constant_value, identity, reshape, run_time_dim, shape_argument,
                              shape_entries)
from graphc.registry import OpDef, like_input, register


def _no_input_type(types: Sequence[TensorType], attrs: Any) -> TensorType:
    return TensorType(attrs["dtype"], attrs["shape"])


CONSTANT = register(OpDef("constant", lambda types, attrs: TensorType(
    attrs["dtype"], attrs["value"].shape), lambda value, dtype: value, source=True))
# forward y = shape filled with value; no inputs, so no gradient
FILL = register(OpDef("fill", _no_input_type,
                      lambda shape, value, dtype: np.full(shape, value, dtype.np)))
# forward y = value in the run-time shape of x; x's values do not matter, so no gradient
FILL_LIKE = register(OpDef(
    "fill_like", lambda types, attrs: TensorType(attrs["dtype"], types[0].shape),
    lambda x, value, dtype: np.full(x.shape, value, dtype.np), lambda op, g: (None,),
    dims=like_input(0), shape_only=(0,)))


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None,
             verify_shape: bool = False) -> Tensor:
    """A tensor holding `value` (floats default to float32 and ints to int32, as in TF).
    With `shape`, as in TensorFlow 1: a single value fills the shape, as many values as the
    shape holds are laid out in it, and a shorter list is padded with its last value;
    `verify_shape=True` asks for a value of exactly that shape."""
    dtype = as_dtype(dtype) if dtype is not None else default_dtype_of(value)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"constant: cannot make a tensor from {type(value).__name__} {value!r}")
    if array.dtype.kind in "iu" and dtype.is_integer and not integers_fit(array, dtype.np):
        raise TypeError(f"constant: values from {array.min()} to {array.max()} do not fit "
                        f"{dtype.name}")
    if shape is not None:
        array = _in_shape(array, shape, verify_shape)
    return constant_node(array.astype(dtype.np), get_default_graph(), name)


def _in_shape(array: np.ndarray, shape: Any, verify: bool) -> np.ndarray:
    """constant's value laid out in `shape` (see constant)."""
    static, like = shape_argument(shape, "constant")
    if like is not None:
        raise TypeError("constant: the shape must be known while building the graph; for a "
                        "tensor in the shape x has at run time, use tf.fill(tf.shape(x), value)")
    dims = shapes.as_shape(static)
    if not shapes.is_fully_defined(dims):
        raise ValueError(f"constant: shape {shape} must be fully known")
    size = int(np.prod(dims, dtype=np.int64))  # type: ignore[arg-type]
    if verify and array.shape != dims:
        raise TypeError(f"constant: the value's shape {shapes.fmt(array.shape)} is not the "
                        f"shape {shapes.fmt(dims)} that verify_shape=True asks for")
    if array.size == size:
        return array.reshape(dims)  # type: ignore[arg-type]
    if 0 < array.size < size:
        flat = array.reshape(-1)
        return np.concatenate([flat, np.repeat(flat[-1:], size - flat.size)]).reshape(dims)  # type: ignore[arg-type]
    raise ValueError(f"constant: {array.size} values do not fit shape {shapes.fmt(dims)} "
                     f"({size} elements)")


def fill(shape: Any, value: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """A tensor of the given static shape with every element equal to `value`; the shape may
    be tf.shape(x), x's shape at run time, or a list (or stack) mixing ints and dims
    tf.shape(x)[i] known only at run time: tf.zeros([tf.shape(x)[0], 16])."""
    entries = _run_time_entries(shape)
    if entries is not None:
        dt = as_dtype(dtype) if dtype is not None else default_dtype_of(value)
        return _fill_entries(entries, value, dt, name)
    dims, like = shape_argument(shape, "fill")
    if like is not None:
        dt = as_dtype(dtype) if dtype is not None else default_dtype_of(value)
        return apply(FILL_LIKE, like, name=name, value=dt.np.type(value), dtype=dt)
    dims = shapes.as_shape(dims)
    if not shapes.is_fully_defined(dims):
        raise ValueError(f"fill: shape {shape} must be fully known")
    dt = as_dtype(dtype) if dtype is not None else default_dtype_of(value)
    return apply(FILL, name=name, shape=dims, value=dt.np.type(value), dtype=dt)


def _run_time_entries(shape: Any) -> list[Any] | None:
    """The shape's entries, each an int or (x, i) for dim i of x at run time, if it holds at
    least one of those and nothing else unknown; else None."""
    entries = shape_entries(shape)
    if entries is None or not any(isinstance(e, Tensor) for e in entries):
        return None
    out: list[Any] = []
    for entry in entries:
        known = constant_value(entry) if isinstance(entry, Tensor) else entry
        if known is not None and np.ndim(known) == 0:
            out.append(int(known))
        elif (dim := run_time_dim(entry)) is not None:
            out.append(dim)
        else:
            return None
    return out if any(isinstance(e, tuple) for e in out) else None


def _fill_entries(entries: list[Any], value: Any, dt: DType, name: str | None) -> Tensor:
    """`value` in a shape some of whose dims are other tensors' at run time: a fill of the
    known dims (1 at the others) plus, for each run-time dim j, dim i of x as a vector of
    zeros laid along j (the zeros of x's first slice along its other dims, summed over
    them: work in proportion to dim i alone, and right when another dim is 0)."""
    work = int32 if dt == bool_ else dt  # (booleans add as ints)
    n = len(entries)
    result = apply(FILL, shape=tuple(1 if isinstance(e, tuple) else e for e in entries),
                   value=work.np.type(value), dtype=work)
    for j, entry in enumerate(entries):
        if isinstance(entry, tuple):
            x, i = entry
            others = tuple(k for k in range(len(x.shape)) if k != i)
            first = x[tuple(slice(None) if k == i else slice(0, 1) for k in range(len(x.shape)))]
            zeros_of_x = apply(FILL_LIKE, first, value=work.np.type(0), dtype=work)
            line = reduce_sum(zeros_of_x, others) if others else zeros_of_x
            result = add(result, reshape(line, [-1 if k == j else 1 for k in range(n)]))
    result = cast(result, dt) if work != dt else result
    return identity(result, name=name) if name is not None else result


def zeros(shape: Any, dtype: Any = float32, name: str | None = None) -> Tensor:
    """A tensor of zeros."""
    return fill(shape, 0, dtype, name=name or "zeros")


def eye(num_rows: int, num_columns: int | None = None, batch_shape: Any = None,
        dtype: Any = float32, name: str | None = None) -> Tensor:
    """The identity matrix, num_rows x num_columns (num_rows when None), repeated over
    batch_shape's leading dims (TensorFlow's tf.eye), as a constant."""
    matrix = np.eye(num_rows, num_columns, dtype=as_dtype(dtype).np)
    if batch_shape is not None:
        matrix = np.broadcast_to(matrix, (*batch_shape, *matrix.shape)).copy()
    return constant(matrix, name=name or "eye")


def ones(shape: Any, dtype: Any = float32, name: str | None = None) -> Tensor:
    """A tensor of ones."""
    return fill(shape, 1, dtype, name=name or "ones")


def _fill_like(x: Any, value: int, dtype: Any, name: str) -> Tensor:
    """`value` in x's shape and dtype (or `dtype`). A graph tensor whose shape is fully
    known gives a fill of that shape, which does not read x, as TensorFlow 1's zeros_like
    and ones_like do: running it runs nothing x needs."""
    dt: DType = as_dtype(dtype) if dtype is not None else \
        getattr(x, "dtype", None) or default_dtype_of(x)
    if isinstance(x, Tensor) and shapes.is_fully_defined(x.shape):
        return fill(x.shape, value, dt, name=name)
    return apply(FILL_LIKE, x, name=name, value=value, dtype=as_dtype(dt))


def zeros_like(x: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Zeros in the shape (at run time) and dtype of x."""
    return _fill_like(x, 0, dtype, name or "zeros_like")


def ones_like(x: Any, dtype: Any = None, name: str | None = None) -> Tensor:
    """Ones in the shape (at run time) and dtype of x."""
    return _fill_like(x, 1, dtype, name or "ones_like")
