"""Cumulative ops along an axis: cumsum (TensorFlow's exclusive and reverse flags are
attributes of the op) and cumprod (an op for the plain inclusive product; TensorFlow's
flags are flips and a shift around it).

Float sums and products accumulate in float64 and round each result once to the input's
dtype, as reduce_sum does; integers accumulate in their own dtype (wrapping as numpy's).

Backends: the ops set OpDef.host, so the numba backend runs these numpy references in its
host program, with no FallbackWarning (numpy's accumulating loops are what a
native kernel would run); on CUDA they run on host copies of their inputs, with the
backend's FallbackWarning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import TensorType
from graphc.ops.array import axis_index, static_rank, concat
from graphc.ops.composite import scope
from graphc.ops.constant import ones_like
from graphc.ops.core import apply
from graphc.ops.elementwise import cast, equal, where
from graphc.ops.index import getitem
from graphc.ops.shape import static_shape
from graphc.registry import GradOp, OpDef, like_input, register


def _scan_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    if x.dtype.is_bool:
        raise TypeError("a cumulative sum or product of bool values is not supported; cast "
                        "them to a number type first")
    if x.shape is not None and not 0 <= attrs["axis"] < max(len(x.shape), 1):
        raise ValueError(f"axis {attrs['axis']} is out of range for shape "
                         f"{shapes.fmt(x.shape)}")
    return x


def _along(x: np.ndarray, axis: int, ufunc: Any) -> np.ndarray:
    """ufunc.accumulate along axis: in float64 for floats (rounded once), else x's dtype."""
    if x.dtype.kind == "f":
        with np.errstate(over="ignore", invalid="ignore"):
            return ufunc.accumulate(x, axis=axis, dtype=np.float64).astype(x.dtype)
    return ufunc.accumulate(x, axis=axis, dtype=x.dtype)


def _cumsum_ref(x: np.ndarray, axis: int, exclusive: bool, reverse: bool) -> np.ndarray:
    if x.ndim == 0:
        return np.zeros_like(x) if exclusive else x.copy()
    y = np.flip(x, axis) if reverse else x
    out = _along(y, axis, np.add)
    if exclusive:  # shifted one place along axis, a zero first
        shifted = np.zeros_like(out)
        dst = [slice(None)] * out.ndim
        src = list(dst)
        dst[axis], src[axis] = slice(1, None), slice(0, max(out.shape[axis] - 1, 0))
        shifted[tuple(dst)] = out[tuple(src)]
        out = shifted
    return np.ascontiguousarray(np.flip(out, axis) if reverse else out)


def _cumsum_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = C x, C the (strictly, if exclusive) lower-triangular ones along axis
    # (upper, if reverse); backward dx = C^T g: the same sum run the other way
    a = op.attrs
    return (apply(CUMSUM, g, axis=a["axis"], exclusive=a["exclusive"],
                  reverse=not a["reverse"]),)


CUMSUM = register(OpDef("cumsum", _scan_infer, _cumsum_ref, _cumsum_grad, dims=like_input(0),
                        host=True))


def _cumprod_ref(x: np.ndarray, axis: int) -> np.ndarray:
    return x.copy() if x.ndim == 0 else _along(x, axis, np.multiply)


def _cumprod_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y_i = x_0 ... x_i along axis. backward dx_k = sum_{i >= k} g_i y_i / x_k before
    # the first zero of x; at the first zero z, sum_{i >= z} g_i y'_i with y' the product
    # with x_z taken as 1; after it 0 (every product holds x_z). Built of ops, so it has a
    # gradient of its own, exact away from zeros (after z it is held at 0, so its
    # derivative by x_z is lost).
    (x,), (y,), axis = op.inputs, op.outputs, op.attrs["axis"]
    zero = equal(x, 0)
    zeros_so_far = apply(CUMSUM, cast(zero, x.dtype), axis=axis, exclusive=False,
                         reverse=False)
    before = equal(zeros_so_far, 0)
    first = where(zero, equal(zeros_so_far, 1), False)
    y_first = apply(CUMPROD, where(first, 1, x), axis=axis)

    def rsum(v: Any) -> Any:
        return apply(CUMSUM, v, axis=axis, exclusive=False, reverse=True)
    return (where(before, rsum(g * y) / where(before, x, 1),
                  where(first, rsum(g * y_first), 0)),)


CUMPROD = register(OpDef("cumprod", _scan_infer, _cumprod_ref, _cumprod_grad,
                         dims=like_input(0), host=True))


def _scan_axis(x: Any, axis: Any, function: str) -> int:
    rank = static_rank(x, function)
    return axis_index(axis, max(rank, 1), function, static_shape(x))


def cumsum(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
           name: str | None = None) -> Any:
    """The cumulative sum of x along `axis`, as tf.cumsum: y_i = x_0 + ... + x_i; with
    exclusive=True, x_0 + ... + x_(i-1) (0 first); with reverse=True, summed from the end
    (x_i + ... + x_(n-1)). Floats add in float64, rounded once; the gradient is the same sum
    run the other way."""
    return apply(CUMSUM, x, name=name, axis=_scan_axis(x, axis, "cumsum"),
                 exclusive=bool(exclusive), reverse=bool(reverse))


def cumprod(x: Any, axis: Any = 0, exclusive: bool = False, reverse: bool = False,
            name: str | None = None) -> Any:
    """The cumulative product of x along `axis`, as tf.cumprod (exclusive: 1 first; reverse:
    from the end). The gradient is exact where x holds zeros (PyTorch's, not TensorFlow's
    NaN); the gradient's own gradient is exact where x has no zeros."""
    a = _scan_axis(x, axis, "cumprod")
    rank = static_rank(x, "cumprod")
    if rank == 0 and exclusive:
        return ones_like(x, name=name)  # (the empty product, as an exclusive cumsum gives 0)
    if rank == 0 or not (exclusive or reverse):
        return apply(CUMPROD, x, name=name, axis=a)
    flip = tuple(slice(None, None, -1) if d == a else slice(None) for d in range(rank))
    with scope(name, "cumprod", x):
        y = getitem(x, flip) if reverse else x
        if exclusive:  # 1, y_0, ..., y_(n-2) along the axis
            head = tuple(slice(0, 1) if d == a else slice(None) for d in range(rank))
            body = tuple(slice(None, -1) if d == a else slice(None) for d in range(rank))
            y = concat([ones_like(getitem(y, head)), getitem(y, body)], a)
        out = apply(CUMPROD, y, axis=a)
        return getitem(out, flip) if reverse else out
