"""Reductions over axes: sum, mean, max, min, prod, any, all, argmax, argmin, and
reduce_logsumexp (a composition of them).

Every reduce_* function takes TensorFlow 1's spellings too: `reduction_indices` for `axis`
and `keep_dims` for `keepdims`, and the input by TensorFlow's name, `input_tensor`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of, float32, int32, int64
from graphc.graph import Tensor, TensorType
from graphc.ops import core
from graphc.ops.core import apply
from graphc.ops.elementwise import abs as abs_
from graphc.ops.elementwise import cast, equal, exp, less, log, where
from graphc.ops.shape import broadcast_like, stop_gradient
from graphc.registry import GradOp, OpDef, register
from graphc.site import user_site


def _reduce_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    axis, keepdims = attrs["axis"], attrs["keepdims"]
    if x.shape is None:
        return TensorType(x.dtype, None if keepdims else ())
    return TensorType(x.dtype, shapes.reduced(x.shape, axis, keepdims))


def _reduced_dims(dims: Sequence[tuple[Any, ...]], attrs: Any) -> tuple[Any, ...]:
    return shapes.reduced(dims[0], attrs["axis"], attrs["keepdims"])


def _expanded(op: GradOp, g: Any) -> Any:
    """The output gradient broadcast back over the reduced axes to the input's shape."""
    axes = () if op.attrs["keepdims"] or op.attrs["axis"] is None else op.attrs["axis"]
    return broadcast_like(g, op.inputs[0], axes)


def _count(x: np.ndarray, axis: tuple[int, ...] | None) -> Any:
    return np.asarray(prod(x.shape[a] for a in axis) if axis is not None else x.size, x.dtype)


# What a native kernel says for a max, min, argmax or argmin of no elements (numpy refuses
# them too, even when there are no rows to reduce)
NO_IDENTITY = "zero-size array to a reduction that has no identity (max, min, argmax, argmin)"


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
                            lambda op, g: (_expanded(op, g),), float_kernels_only=True,
                            dims=_reduced_dims))
# forward y = mean of x over axes (floats: the float64 sum over the count, rounded once);
# backward dx = g broadcast back, divided by the count
REDUCE_MEAN = register(OpDef("reduce_mean", _reduce_infer, _mean_ref, _mean_grad,
                             float_kernels_only=True, dims=_reduced_dims))
# forward y = max of x over axes; backward dx = g shared equally among the maxima
REDUCE_MAX = register(OpDef("reduce_max", _reduce_infer, lambda x, axis, keepdims:
                            np.max(x, axis=axis, keepdims=keepdims), _max_grad,
                            float_kernels_only=True, dims=_reduced_dims))
# how many elements of x a reduction over axis combines, as x's dtype (for mean's gradient)
REDUCTION_COUNT = register(OpDef(
    "reduction_count", lambda types, attrs: TensorType(types[0].dtype, ()), _count,
    lambda op, g: (None,), shape_only=(0,)))


def _reduce(opdef: OpDef, x: Any, axis: Any, keepdims: bool, name: str | None) -> Tensor:
    rank = len(x.shape) if isinstance(x, Tensor) and x.shape is not None else None
    if not isinstance(x, Tensor):
        rank = np.ndim(x)
    if rank is None and axis is not None:
        raise ValueError(f"{opdef.name} (at {user_site()}): the rank of '{x.name}' must be "
                         f"known to reduce over axis {axis}; give its placeholder a shape "
                         f"with a None for each unknown dim (placeholder(dtype, [None, None]))")
    axes = None if rank is None else shapes.normalize_axes(axis, rank, opdef.name)
    return apply(opdef, x, name=name, axis=axes, keepdims=bool(keepdims))


def reduction_arguments(function: str, axis: Any, keepdims: Any, reduction_indices: Any,
                        keep_dims: Any) -> tuple[Any, bool]:
    """(axis, keepdims) from TensorFlow 1's spellings too: `reduction_indices` is `axis`,
    `keep_dims` is `keepdims`; giving both names of one argument is an error, as in TF."""
    if reduction_indices is not None:
        if axis is not None:
            raise ValueError(f"{function}: give axis or reduction_indices (its TensorFlow 1 "
                             "name), not both")
        axis = reduction_indices
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError(f"{function}: give keepdims or keep_dims (its TensorFlow 1 "
                             "name), not both")
        keepdims = keep_dims
    if isinstance(axis, np.ndarray | np.integer):
        axis = axis.tolist()  # numpy ints as Python ints
    if isinstance(axis, list | tuple):
        axis = tuple(int(a) if isinstance(a, np.integer) else a for a in axis)
    if isinstance(axis, Tensor) or core.is_eager(axis):
        raise TypeError(f"{function}: axis must be an int or a tuple of ints known when the "
                        "graph is built, not a tensor")
    return axis, bool(keepdims) if keepdims is not None else False


def reduce_sum(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    """Sum over `axis` (an int, a tuple, or None for all axes). Booleans count: their sum
    is an int64, as in numpy and PyTorch."""
    axis, keep = reduction_arguments("reduce_sum", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_SUM, _counted(input_tensor, int64), axis, keep, name)


def reduce_mean(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                name: str | None = None, reduction_indices: Any = None,
                keep_dims: Any = None) -> Tensor:
    """Mean over `axis` (an int, a tuple, or None for all axes). The mean of booleans is
    the fraction that are true, a float32 (`reduce_mean(pred == y)` is an accuracy)."""
    axis, keep = reduction_arguments("reduce_mean", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_MEAN, _counted(input_tensor, float32), axis, keep, name)


def _counted(x: Any, dtype: DType) -> Any:
    """x, or booleans x as numbers of `dtype` (True is 1) to add up."""
    return cast(x, dtype) if _dtype_of(x).is_bool else x


def _dtype_of(x: Any) -> DType:
    kind = getattr(x, "dtype", None)
    return as_dtype(kind) if kind is not None else default_dtype_of(x)


def reduce_max(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    """Maximum over `axis` (an int, a tuple, or None for all axes)."""
    axis, keep = reduction_arguments("reduce_max", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_MAX, input_tensor, axis, keep, name)


def reduction_count(x: Tensor, axis: tuple[int, ...] | None) -> Any:
    """Number of elements a reduction of x over axis combines (a Python int when static)."""
    dims = x.shape if axis is None or x.shape is None else [x.shape[a] for a in axis]
    if dims is not None and shapes.is_fully_defined(tuple(dims)):
        return prod(dims)  # type: ignore[arg-type]
    return apply(REDUCTION_COUNT, x, axis=axis)


# -- min, prod, any, all ---------------------------------------------------------------------
# Products of floats multiply in float64 and round once to the input's dtype, as sums add
# (in every backend); products of integers wrap around in their dtype, as numpy's product
# converted back to it does. min propagates NaN, as numpy's does; any and all take booleans.
def _prod_ref(x: np.ndarray, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    if x.dtype.kind != "f":
        return np.prod(x, axis=axis, keepdims=keepdims).astype(x.dtype)
    with np.errstate(over="ignore", under="ignore"):  # rounding may give inf or 0
        return np.prod(x, axis=axis, keepdims=keepdims, dtype=np.float64).astype(x.dtype)


def _prod_grad(op: GradOp, g: Any) -> tuple[Any]:
    """d prod / dx_i = the product of the other elements, without dividing by a zero: with
    no zero among them it is prod / x_i; with one zero, the product of the nonzero ones at
    the zero and 0 elsewhere; with more, 0 everywhere."""
    x, axis = op.inputs[0], op.attrs["axis"]
    is_zero = equal(x, 0)
    nonzero = where(is_zero, 1, x)
    others = _expanded_keep(op, reduce_prod(nonzero, axis, keepdims=True))
    zeros = _expanded_keep(op, reduce_sum(cast(is_zero, x.dtype), axis, keepdims=True))
    one_zero = where(equal(zeros, 1), others, 0)
    return (_expanded(op, g) * where(is_zero, one_zero,
                                     where(equal(zeros, 0), others / nonzero, 0)),)


def _expanded_keep(op: GradOp, kept: Any) -> Any:
    """A keepdims reduction of the input broadcast back to the input's shape."""
    return broadcast_like(kept, op.inputs[0])


def _logical_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    if not types[0].dtype.is_bool:
        raise TypeError(f"expects a bool tensor, got {types[0].dtype.name}")
    return _reduce_infer(types, attrs)


def _no_bool_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    if types[0].dtype.is_bool:
        raise TypeError("expects numbers, got a bool tensor (cast it first)")
    return _reduce_infer(types, attrs)


# forward y = min of x over axes; backward dx = g shared equally among the minima
REDUCE_MIN = register(OpDef("reduce_min", _reduce_infer, lambda x, axis, keepdims:
                            np.min(x, axis=axis, keepdims=keepdims), _max_grad,
                            dims=_reduced_dims))
# forward y = product of x over axes (floats: in float64, rounded once); backward dx = g
# times the product of the other elements
REDUCE_PROD = register(OpDef("reduce_prod", _no_bool_infer, _prod_ref, _prod_grad,
                             dims=_reduced_dims))
# forward y = whether any / every element of boolean x over axes is true; no gradient
REDUCE_ANY = register(OpDef("reduce_any", _logical_infer, lambda x, axis, keepdims:
                            np.any(x, axis=axis, keepdims=keepdims), dims=_reduced_dims))
REDUCE_ALL = register(OpDef("reduce_all", _logical_infer, lambda x, axis, keepdims:
                            np.all(x, axis=axis, keepdims=keepdims), dims=_reduced_dims))


def reduce_min(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    """Minimum over `axis` (an int, a tuple, or None for all axes)."""
    axis, keep = reduction_arguments("reduce_min", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_MIN, input_tensor, axis, keep, name)


def reduce_prod(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                name: str | None = None, reduction_indices: Any = None,
                keep_dims: Any = None) -> Tensor:
    """Product over `axis` (an int, a tuple, or None for all axes); 1 over no elements."""
    axis, keep = reduction_arguments("reduce_prod", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_PROD, input_tensor, axis, keep, name)


def reduce_any(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    """Logical or of boolean x over `axis` (an int, a tuple, or None for all axes)."""
    axis, keep = reduction_arguments("reduce_any", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_ANY, input_tensor, axis, keep, name)


def reduce_all(input_tensor: Any, axis: Any = None, keepdims: Any = None,
               name: str | None = None, reduction_indices: Any = None,
               keep_dims: Any = None) -> Tensor:
    """Logical and of boolean x over `axis` (an int, a tuple, or None for all axes)."""
    axis, keep = reduction_arguments("reduce_all", axis, keepdims, reduction_indices,
                                     keep_dims)
    return _reduce(REDUCE_ALL, input_tensor, axis, keep, name)


# -- argmax, argmin ----------------------------------------------------------------------------
def _arg_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    axis = attrs["axis"]
    if x.dtype.is_bool:
        raise TypeError("expects numbers, got a bool tensor (cast it first)")
    if x.shape is None:
        return TensorType(attrs["output_type"], None)
    if x.shape[axis] == 0:
        raise ValueError(f"cannot take the index of an extreme along axis {axis} of shape "
                         f"{shapes.fmt(x.shape)}: it has no elements")
    return TensorType(attrs["output_type"], x.shape[:axis] + x.shape[axis + 1:])


def _arg_dims(dims: Sequence[tuple[Any, ...]], attrs: Any) -> tuple[Any, ...]:
    return shapes.reduced(dims[0], (attrs["axis"],), False)


def _arg_ref(pick: Any) -> Any:
    def reference(x: np.ndarray, axis: int, output_type: DType) -> Any:
        return pick(x, axis=axis).astype(output_type.np)  # a NaN counts as the extreme
    return reference


# forward y = the index of the largest (smallest) element along axis, the first of ties
# (and the first NaN, as numpy's); an index has no gradient
ARGMAX = register(OpDef("argmax", _arg_infer, _arg_ref(np.argmax), dims=_arg_dims))
ARGMIN = register(OpDef("argmin", _arg_infer, _arg_ref(np.argmin), dims=_arg_dims))


def _arg(opdef: OpDef, x: Any, axis: Any, name: str | None, dimension: Any,
         output_type: Any) -> Tensor:
    if dimension is not None:
        if axis is not None:
            raise ValueError(f"{opdef.name}: give axis or dimension (its TensorFlow 1 name), "
                             "not both")
        axis = dimension
    axis = 0 if axis is None else axis  # TensorFlow's default
    if isinstance(axis, Tensor) or core.is_eager(axis) or isinstance(axis, bool) or \
            not isinstance(axis, int | np.integer):
        raise TypeError(f"{opdef.name}: axis must be an int known when the graph is built, "
                        f"not {type(axis).__name__}")
    out = as_dtype(output_type)
    if out not in (int32, int64):
        raise TypeError(f"{opdef.name}: output_type must be int32 or int64, not {out.name}")
    shape = x.shape if isinstance(x, Tensor) or core.is_eager(x) else np.shape(x)
    if shape is None:
        raise ValueError(f"{opdef.name}: the input's rank must be known to take an index "
                         f"along axis {axis}")
    rank = len(shape)
    if not -rank <= axis < rank:
        raise ValueError(f"{opdef.name}: axis {axis} is out of range for a tensor of rank "
                         f"{rank} (shape {shapes.fmt(tuple(shape))})")
    return apply(opdef, x, name=name, axis=int(axis) % rank, output_type=out)


def argmax(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002 - TF's name
           dimension: Any = None, output_type: Any = int64) -> Tensor:
    """The index of the largest element along `axis` (TensorFlow's default: 0; TensorFlow
    1's `dimension` is the same argument), as output_type (int64 or int32). Ties give the
    first index, as does a NaN. `gc.argmax(logits, 1)` is a classifier's prediction."""
    return _arg(ARGMAX, input, axis, name, dimension, output_type)


def argmin(input: Any, axis: Any = None, name: str | None = None,  # noqa: A002 - TF's name
           dimension: Any = None, output_type: Any = int64) -> Tensor:
    """The index of the smallest element along `axis` (default 0), as argmax."""
    return _arg(ARGMIN, input, axis, name, dimension, output_type)


# -- log-sum-exp ------------------------------------------------------------------------------
@contextlib.contextmanager
def _scope(name: str | None, default: str, value: Any) -> Iterator[None]:
    """Graph mode: the ops built inside sit in the name scope `name` (else `default`), in
    value's graph. Eager mode: nothing."""
    if core.is_eager(value):
        yield
        return
    graph = core._graph_of((value,))
    with graph.as_default(), graph.name_scope(name or default):
        yield


def reduce_logsumexp(input_tensor: Any, axis: Any = None, keepdims: Any = None,
                     name: str | None = None, reduction_indices: Any = None,
                     keep_dims: Any = None) -> Any:
    """log(sum(exp(x))) over `axis` (an int, a tuple, or None for all), computed as
    m + log(sum(exp(x - m))) with m the maximum (0 where it is infinite, so a slice of
    -inf gives -inf, as in TensorFlow): finite for inputs of any size."""
    axis, keep = reduction_arguments("reduce_logsumexp", axis, keepdims, reduction_indices,
                                     keep_dims)
    shape = input_tensor.shape if isinstance(input_tensor, Tensor) or \
        core.is_eager(input_tensor) else np.shape(input_tensor)
    if shape is not None and axis is not None:  # errors name this function
        axis = shapes.normalize_axes(axis, len(shape), "reduce_logsumexp")
    with _scope(name, "reduce_logsumexp", input_tensor):
        raw = reduce_max(input_tensor, axis, keepdims=True)
        shift = stop_gradient(where(less(abs_(raw), np.inf), raw, 0))
        total = log(reduce_sum(exp(input_tensor - shift), axis, keepdims=keep))
        if not keep:
            raw = reduce_max(input_tensor, axis, keepdims=False)
            shift = stop_gradient(where(less(abs_(raw), np.inf), raw, 0))
        return total + shift
