"""Reductions over axes: sum, mean, max."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of, float32, int64
from graphc.graph import Tensor, TensorType
from graphc.ops.core import apply
from graphc.ops.elementwise import cast, equal
from graphc.ops.shape import broadcast_like
from graphc.registry import GradOp, OpDef, register


def _reduce_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    if x.shape is None:
        return TensorType(x.dtype, None if keepdims else ())
    shape = x.shape
    if keepdims:
        return TensorType(x.dtype, tuple(1 if i in axis else d for i, d in enumerate(shape)))
    return TensorType(x.dtype, tuple(d for i, d in enumerate(shape) if i not in axis))


def _expanded(op: GradOp, g: Any) -> Any:
    """The output gradient broadcast back over the reduced axes to the input's shape."""
    axes = () if op.attrs["keepdims"] or op.attrs["axis"] is None else op.attrs["axis"]
    return broadcast_like(g, op.inputs[0], axes)


def _count(x: np.ndarray, axis: tuple[int, ...] | None) -> Any:
    return np.asarray(prod(x.shape[a] for a in axis) if axis is not None else x.size, x.dtype)


# Float sums accumulate in float64 and round once to the input's dtype at the end, in every
# backend and in whatever order a backend adds: a float32 sum past float32's range is inf,
# 2e7 float32 ones sum to 2e7 (never float32's 16777216, where adding 1 stops counting) in
# any layout. A mean is that float64 sum over the count, then rounded; of no elements, 0 / 0
# (NaN), with no warning. Integer sums and means are numpy's.
def _sum_ref(x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if x.dtype.kind != "f":
        return np.sum(x, axis=axis, keepdims=keepdims)
    with np.errstate(over="ignore"):  # rounding to float32 may overflow: inf
        return np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float64).astype(x.dtype)


def _mean_ref(x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if x.dtype.kind != "f":
        return np.mean(x, axis=axis, keepdims=keepdims)
    total = np.sum(x, axis=axis, keepdims=keepdims, dtype=np.float64)
    count = prod(x.shape[a] for a in axis) if axis is not None else x.size
    with np.errstate(over="ignore", invalid="ignore"):  # 0 / 0 is NaN
        return (total / count).astype(x.dtype)


def _mean_grad(op: GradOp, g: Any) -> tuple[Any]:
    return (_expanded(op, g) / reduction_count(op.inputs[0], op.attrs["axis"]),)


def _max_grad(op: GradOp, g: Any) -> tuple[Any]:
    x = op.inputs[0]
    is_max = cast(equal(x, _expanded(op, op.outputs[0])), x.dtype)
    ties = reduce_sum(is_max, op.attrs["axis"], keepdims=True)
    return (is_max / ties * _expanded(op, g),)


# forward y = sum of x over axes (floats: in float64, rounded once); backward dx = g
# broadcast back over them
REDUCE_SUM = register(OpDef("reduce_sum", _reduce_infer, _sum_ref,
                            lambda op, g: (_expanded(op, g),), float_kernels_only=True))
# forward y = mean of x over axes (floats: the float64 sum over the count, rounded once);
# backward dx = g broadcast back, divided by the count
REDUCE_MEAN = register(OpDef("reduce_mean", _reduce_infer, _mean_ref, _mean_grad,
                             float_kernels_only=True))
# forward y = max of x over axes; backward dx = g shared equally among the maxima
REDUCE_MAX = register(OpDef("reduce_max", _reduce_infer, lambda x, axis, keepdims:
                            np.max(x, axis=axis, keepdims=keepdims), _max_grad,
                            float_kernels_only=True))
# how many elements of x a reduction over axis combines, as x's dtype (for mean's gradient)
REDUCTION_COUNT = register(OpDef(
    "reduction_count", lambda types, attrs: TensorType(types[0].dtype, ()), _count,
    lambda op, g: (None,)))


def _reduce(opdef: OpDef, x: Any, axis: Any, keepdims: bool, name: str | None) -> Tensor:
    rank = len(x.shape) if isinstance(x, Tensor) and x.shape is not None else None
    if not isinstance(x, Tensor):
        rank = np.ndim(x)
    if rank is None and axis is not None:
        raise ValueError(f"{opdef.name}: the input's rank must be known to reduce over "
                         f"axis {axis}")
    axes = None if rank is None else shapes.normalize_axes(axis, rank, opdef.name)
    return apply(opdef, x, name=name, axis=axes, keepdims=bool(keepdims))


def reduce_sum(x: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """Sum over `axis` (an int, a tuple, or None for all axes). Booleans count: their sum
    is an int64, as in numpy and PyTorch."""
    return _reduce(REDUCE_SUM, _counted(x, int64), axis, keepdims, name)


def reduce_mean(x: Any, axis: Any = None, keepdims: bool = False,
                name: str | None = None) -> Tensor:
    """Mean over `axis` (an int, a tuple, or None for all axes). The mean of booleans is
    the fraction that are true, a float32 (`reduce_mean(pred == y)` is an accuracy)."""
    return _reduce(REDUCE_MEAN, _counted(x, float32), axis, keepdims, name)


def _counted(x: Any, dtype: DType) -> Any:
    """x, or booleans x as numbers of `dtype` (True is 1) to add up."""
    kind = getattr(x, "dtype", None)
    is_bool = as_dtype(kind).is_bool if kind is not None else default_dtype_of(x).is_bool
    return cast(x, dtype) if is_bool else x


def reduce_max(x: Any, axis: Any = None, keepdims: bool = False,
               name: str | None = None) -> Tensor:
    """Maximum over `axis` (an int, a tuple, or None for all axes)."""
    return _reduce(REDUCE_MAX, x, axis, keepdims, name)


def reduction_count(x: Tensor, axis: tuple[int, ...] | None) -> Any:
    """Number of elements a reduction of x over axis combines (a Python int when static)."""
    dims = x.shape if axis is None or x.shape is None else [x.shape[a] for a in axis]
    if dims is not None and shapes.is_fully_defined(tuple(dims)):
        return prod(dims)  # type: ignore[arg-type]
    return apply(REDUCTION_COUNT, x, axis=axis)
