"""2-D max and average pooling, with their gradient ops, in the layouts, padding and window
rules of ops/conv.py.

Max pooling pads with -inf; average pooling divides by the window's size
(`count_include_pad`, PyTorch's default) or by the number of input elements in it
(TensorFlow's SAME). The max-pool gradient goes to the first maximum of each window in
row-major order (top row first, then left to right), as both frameworks' CPU kernels
choose, never to padding (a window of -infs gives it to its first input element); a NaN
counts as a maximum (and is one: the max of a window holding a NaN is NaN).

References. Each works one kernel position at a time (conv.taps: a strided view of the
padded input for each position, in the output's layout): a running maximum or sum over
the positions, and for the max-pool gradient, a mask of the outputs whose maximum each
position holds that no earlier position held, scattered back (conv.scatter). So every
numpy call runs over an output-sized array, never a reduction over small windows. As the
convolutions, the ops set OpDef.host (see ops/conv.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from graphc.graph import Tensor, TensorType
from graphc.ops.conv import (LAYOUTS, Layout, Pads, check_floating, check_gradient,
                             check_rank, data_format_attr, dims_of, op_attrs, padded,
                             padding_attr, pair, plan, run_plan, scatter, taps, with_spatial)
from graphc.ops.core import apply
from graphc.registry import GradOp, InferRule, OpDef, register

NO_DILATION = (1, 1)


# -- shape and dtype rules -------------------------------------------------------------------
def _pool_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    check_floating(types, ("input",))
    layout = LAYOUTS[attrs["data_format"]]
    check_rank(x, "input", layout)
    xs = dims_of(x)
    (oh, ow), _ = plan(xs, layout, attrs["ksize"], attrs["strides"], NO_DILATION,
                       attrs["padding"], "pooling window")
    return TensorType(x.dtype, with_spatial(layout, xs[0], xs[layout.channel], oh, ow))


def gradient_infers(forward: Callable[[Sequence[TensorType], Any], TensorType]
                    ) -> tuple[InferRule, InferRule]:
    """The shape rules of a pooling's gradient ops, given its own: max's (input, gradient)
    and average's (gradient, input), each the input's type, the gradient checked against
    the pooling's output."""
    def max_grad(types: Sequence[TensorType], attrs: Any) -> TensorType:
        x, g = types
        check_floating(types, ("input", "gradient"))
        check_gradient(g, forward([x], attrs), "pooling's output")
        return TensorType(x.dtype, dims_of(x))

    def avg_grad(types: Sequence[TensorType], attrs: Any) -> TensorType:
        g, like = types
        check_floating(types, ("gradient", "input"))
        check_gradient(g, forward([like], attrs), "pooling's output")
        return TensorType(like.dtype, dims_of(like))
    return max_grad, avg_grad


_max_pool_grad_infer, _avg_pool_grad_infer = gradient_infers(_pool_infer)


# -- references --------------------------------------------------------------------------------
def _windows(x: np.ndarray, ksize: Sequence[int], strides: Sequence[int], padding: Any,
             data_format: str, value: float
             ) -> tuple[Iterator[np.ndarray], Layout, tuple[int, int], Pads]:
    """The views of x, padded with `value`, that each kernel position reads (conv.taps);
    the layout, the output's spatial size and the pads."""
    layout = LAYOUTS[data_format]
    out, pads = run_plan(x.shape, layout, ksize, strides, NO_DILATION, padding,
                         "pooling window")
    views = taps(padded(x, layout, pads, value), layout, ksize, strides, NO_DILATION, out)
    return views, layout, out, pads


def _max_pool_ref(x: np.ndarray, ksize: Sequence[int], strides: Sequence[int], padding: Any,
                  data_format: str) -> np.ndarray:
    views, *_ = _windows(x, ksize, strides, padding, data_format, -np.inf)
    result = np.array(next(views))
    for view in views:
        np.maximum(result, view, out=result)  # (NaN wins, as in max())
    return result


def _max_pool_grad_ref(x: np.ndarray, g: np.ndarray, ksize: Sequence[int],
                       strides: Sequence[int], padding: Any, data_format: str) -> np.ndarray:
    windows, layout, out, pads = _windows(x, ksize, strides, padding, data_format, -np.inf)
    views = list(windows)
    top = np.array(views[0])
    for view in views[1:]:
        np.maximum(top, view, out=top)
    taken = np.zeros(top.shape, bool)
    zero = np.zeros((), g.dtype)
    # (a window of -infs holds padding's -infs too: only an input element may take g)
    inside = taps(padded(np.ones(x.shape, bool), layout, pads, False), layout, ksize, strides,
                  NO_DILATION, out)

    def pieces() -> Iterator[np.ndarray]:
        for view, real in zip(views, inside):  # the first holding its window's maximum
            first = ((view == top) | (view != view)) & real & ~taken  # (!=: a NaN)
            taken[...] |= first
            yield np.where(first, g, zero)
    return scatter(pieces(), x.shape, x.dtype, layout, pads, ksize, strides, NO_DILATION,
                   out)


def _counts(size: int, k: int, stride: int, before: int, out: int) -> np.ndarray:
    """How many input (not padding) elements each output's window covers along one dim."""
    start = np.arange(out) * stride - before
    return np.minimum(start + k, size) - np.maximum(start, 0)


def _divisor(shape: Sequence[int], ksize: Sequence[int], strides: Sequence[int], pads: Pads,
             out: Sequence[int], layout: Layout, count_include_pad: bool, dtype: Any
             ) -> np.ndarray:
    """What each output of an average pool divides by, broadcast against the output."""
    if count_include_pad:
        return np.asarray(ksize[0] * ksize[1], dtype)
    h, w = (_counts(shape[a], k, s, p[0], o) for a, k, s, p, o in
            zip(layout.spatial, ksize, strides, pads, out))
    counts = np.outer(h, w).astype(dtype)
    return counts[:, :, None] if layout.channel == 3 else counts


def _avg_pool_ref(x: np.ndarray, ksize: Sequence[int], strides: Sequence[int], padding: Any,
                  data_format: str, count_include_pad: bool) -> np.ndarray:
    views, layout, out, pads = _windows(x, ksize, strides, padding, data_format, 0.0)
    total = np.array(next(views))
    for view in views:
        total += view
    total /= _divisor(x.shape, ksize, strides, pads, out, layout, count_include_pad, x.dtype)
    return total


def _avg_pool_grad_ref(g: np.ndarray, like: np.ndarray, ksize: Sequence[int],
                       strides: Sequence[int], padding: Any, data_format: str,
                       count_include_pad: bool) -> np.ndarray:
    layout = LAYOUTS[data_format]
    out, pads = run_plan(like.shape, layout, ksize, strides, NO_DILATION, padding,
                         "pooling window")
    share = g / _divisor(like.shape, ksize, strides, pads, out, layout, count_include_pad,
                         g.dtype)
    return scatter((share for _ in range(ksize[0] * ksize[1])), like.shape, like.dtype,
                   layout, pads, ksize, strides, NO_DILATION, out)


# -- gradient rules and registration -----------------------------------------------------------
def _max_pool_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = the max of each window; backward: g to the first maximum of its window
    return (apply(MAX_POOL_GRAD, op.inputs[0], g, **op_attrs(op)),)


def _avg_pool_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = window sums / divisor; backward: g / divisor spread over each window
    return (apply(AVG_POOL_GRAD, g, op.inputs[0], **op_attrs(op)),)


def _avg_pool_grad_grad(op: GradOp, h: Any) -> tuple[Any, None]:
    # forward dx = A^T g, linear in g; backward dg = A h, the average pool of h
    return apply(AVG_POOL, h, **op_attrs(op)), None


MAX_POOL = register(OpDef("max_pool", _pool_infer, _max_pool_ref, _max_pool_grad, host=True))
# (no gradient rule: its gradient with respect to g picks values at each window's maximum,
# an op graphc does not have, so max pooling has no second derivative)
MAX_POOL_GRAD = register(OpDef("max_pool_grad", _max_pool_grad_infer, _max_pool_grad_ref,
                               host=True))
AVG_POOL = register(OpDef("avg_pool", _pool_infer, _avg_pool_ref, _avg_pool_grad, host=True))
AVG_POOL_GRAD = register(OpDef("avg_pool_grad", _avg_pool_grad_infer, _avg_pool_grad_ref,
                               _avg_pool_grad_grad, host=True))


# -- builders ----------------------------------------------------------------------------------
def max_pool(x: Any, ksize: Any, strides: Any, padding: Any = "VALID",
             data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """The maximum of each ksize window (padding with -inf); ksize and strides an int or
    (height, width)."""
    return apply(MAX_POOL, x, name=name, ksize=pair(ksize, "ksize", "max_pool"),
                 strides=pair(strides, "strides", "max_pool"),
                 padding=padding_attr(padding, "max_pool"),
                 data_format=data_format_attr(data_format, "max_pool"))


def avg_pool(x: Any, ksize: Any, strides: Any, padding: Any = "VALID",
             data_format: str = "NHWC", count_include_pad: bool = False,
             name: str | None = None) -> Tensor:
    """The mean of each ksize window: divided by the window's size (count_include_pad) or
    by the number of input elements in it (TensorFlow's SAME)."""
    return apply(AVG_POOL, x, name=name, ksize=pair(ksize, "ksize", "avg_pool"),
                 strides=pair(strides, "strides", "avg_pool"),
                 padding=padding_attr(padding, "avg_pool"),
                 data_format=data_format_attr(data_format, "avg_pool"),
                 count_include_pad=bool(count_include_pad))
