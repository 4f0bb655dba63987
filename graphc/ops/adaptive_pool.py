"""2-D adaptive average and max pooling (PyTorch's), with their gradient ops: the input
(N, C, H, W) is cut into output_size bins along each spatial dim, bin i of n over a size
H spanning [floor(i * H / n), ceil((i + 1) * H / n)) (neighbouring bins overlap where n does
not divide H, and repeat elements where n > H), and each output is its bin's mean or
maximum. The attr output_size is (height, width), an entry None keeping the input's size;
the bins are worked out from the sizes the op runs on, so a height and width known only at
run time work (a global pool, output_size (1, 1), has output (N, C, 1, 1) whatever they
are).

The max-pool gradient goes to the first maximum of each bin in row-major order, a NaN
counting as a maximum, as ops/pool.py's does; overlapping bins add their gradients.

References. A rectangle's mean is the mean of its rows' means and its maximum the maximum
of its rows' maxima, so the forward ops reduce one spatial dim and then the other: where
the bins divide the size evenly, as one reduction over a reshaped axis, else one bin at a
time. The max-pool gradient takes each bin's argmax (one bin at a time, over every image
and channel at once). As the convolutions, the ops set OpDef.host (see ops/conv.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops.conv import LAYOUTS, check_floating, check_rank, dims_of
from graphc.ops.core import apply
from graphc.ops.pool import gradient_infers
from graphc.registry import GradOp, OpDef, register

NCHW = LAYOUTS["NCHW"]


def bins(size: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive bins: [floor(i * size / out), ceil((i + 1) * size / out))."""
    return [((i * size) // out, -(-((i + 1) * size) // out)) for i in range(out)]


def _output_size(output_size: Sequence[int | None], hw: Sequence[int | None]
                 ) -> tuple[int | None, int | None]:
    oh, ow = (s if o is None else o for o, s in zip(output_size, hw))
    return oh, ow


# -- shape and dtype rules -------------------------------------------------------------------
def _check_sizes(hw: Sequence[int | None], shape: Any) -> None:
    if any(s == 0 for s in hw):
        raise ValueError(f"adaptive pooling needs a non-empty input image: input of shape "
                         f"{shapes.fmt(tuple(shape))} (NCHW) has a height or width of 0")


def _pool_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    check_floating(types, ("input",))
    check_rank(x, "input", NCHW)
    n, c, h, w = dims_of(x)
    _check_sizes((h, w), (n, c, h, w))
    return TensorType(x.dtype, (n, c, *_output_size(attrs["output_size"], (h, w))))


_max_grad_infer, _avg_grad_infer = gradient_infers(_pool_infer)


# -- references --------------------------------------------------------------------------------
def _at(axis: int, index: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index,)


def _reduce(x: np.ndarray, axis: int, out: int, reduce: Callable[..., np.ndarray]
            ) -> np.ndarray:
    """x reduced over each of `out` bins along `axis`."""
    size = x.shape[axis]
    if size % out == 0:  # (even bins: one reduction over a reshaped axis)
        return reduce(x.reshape(x.shape[:axis] + (out, size // out) + x.shape[axis + 1:]),
                      axis=axis + 1)
    return np.stack([reduce(x[_at(axis, slice(s, e))], axis=axis) for s, e in bins(size, out)],
                    axis=axis)


def _sizes(x: np.ndarray, output_size: Sequence[int | None]) -> tuple[int, int]:
    _check_sizes(x.shape[2:], x.shape)
    oh, ow = _output_size(output_size, x.shape[2:])
    assert oh is not None and ow is not None
    return oh, ow


def _avg_ref(x: np.ndarray, output_size: Sequence[int | None]) -> np.ndarray:
    oh, ow = _sizes(x, output_size)
    return np.ascontiguousarray(_reduce(_reduce(x, 2, oh, np.mean), 3, ow, np.mean))


def _max_ref(x: np.ndarray, output_size: Sequence[int | None]) -> np.ndarray:
    oh, ow = _sizes(x, output_size)
    return np.ascontiguousarray(_reduce(_reduce(x, 2, oh, np.max), 3, ow, np.max))


def _spread(g: np.ndarray, axis: int, size: int) -> np.ndarray:
    """The transpose of the mean over bins along `axis`: each bin's g divided by its
    length, added over the bin's `size`-long span."""
    out = g.shape[axis]
    if size % out == 0:
        return np.repeat(g / (size // out), size // out, axis=axis)
    shape = list(g.shape)
    shape[axis] = size
    dx = np.zeros(shape, g.dtype)
    for i, (s, e) in enumerate(bins(size, out)):
        dx[_at(axis, slice(s, e))] += g[_at(axis, slice(i, i + 1))] / (e - s)
    return dx


def _avg_grad_ref(g: np.ndarray, like: np.ndarray, output_size: Sequence[int | None]
                  ) -> np.ndarray:
    _sizes(like, output_size)
    h, w = like.shape[2:]
    return np.ascontiguousarray(_spread(_spread(g, 3, w), 2, h))


def _max_grad_ref(x: np.ndarray, g: np.ndarray, output_size: Sequence[int | None]
                  ) -> np.ndarray:
    oh, ow = _sizes(x, output_size)
    n, c, h, w = x.shape
    dx = np.zeros(x.shape, x.dtype)
    images, channels = np.indices((n, c), sparse=True)
    for i, (top, bottom) in enumerate(bins(h, oh)):
        for j, (left, right) in enumerate(bins(w, ow)):
            window = x[:, :, top:bottom, left:right].reshape(n, c, (bottom - top) *
                                                             (right - left))
            first = np.argmax(window, axis=2)  # (the first maximum, or the first NaN)
            rows, cols = np.divmod(first, right - left)
            # (one element a window for each image and channel: no index repeats)
            dx[images, channels, top + rows, left + cols] += g[:, :, i, j]
    return dx


# -- gradient rules and registration -----------------------------------------------------------
def _avg_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = the mean of each bin; backward: g / bin size spread over each bin
    return (apply(ADAPTIVE_AVG_POOL_GRAD, g, op.inputs[0], **dict(op.attrs)),)


def _avg_grad_grad(op: GradOp, h: Any) -> tuple[Any, None]:
    # forward dx = A^T g, linear in g; backward dg = A h, the adaptive average pool of h
    return apply(ADAPTIVE_AVG_POOL, h, **dict(op.attrs)), None


def _max_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = the max of each bin; backward: g to the first maximum of its bin
    return (apply(ADAPTIVE_MAX_POOL_GRAD, op.inputs[0], g, **dict(op.attrs)),)


ADAPTIVE_AVG_POOL = register(OpDef("adaptive_avg_pool", _pool_infer, _avg_ref, _avg_grad,
                                   host=True))
ADAPTIVE_AVG_POOL_GRAD = register(OpDef("adaptive_avg_pool_grad", _avg_grad_infer,
                                        _avg_grad_ref, _avg_grad_grad, host=True))
ADAPTIVE_MAX_POOL = register(OpDef("adaptive_max_pool", _pool_infer, _max_ref, _max_grad,
                                   host=True))
# (no gradient rule: as max_pool_grad's, it would pick values at each bin's maximum)
ADAPTIVE_MAX_POOL_GRAD = register(OpDef("adaptive_max_pool_grad", _max_grad_infer,
                                        _max_grad_ref, host=True))


# -- builders ----------------------------------------------------------------------------------
def output_size_attr(output_size: Any, function: str) -> tuple[int | None, int | None]:
    """An int, or a pair of ints (each at least 1) or None, as (height, width)."""
    items = (output_size, output_size) if not isinstance(output_size, list | tuple) \
        else tuple(output_size)
    if len(items) != 2 or any(v is not None and (isinstance(v, bool) or not isinstance(
            v, int | np.integer) or v < 1) for v in items):
        raise ValueError(f"{function}: output_size must be an int or a pair of ints of at "
                         f"least 1 (or None, keeping the input's size), got {output_size!r}")
    return tuple(None if v is None else int(v) for v in items)  # type: ignore[return-value]


def adaptive_avg_pool(x: Any, output_size: Any, name: str | None = None) -> Tensor:
    """The mean of each of output_size bins of x (N, C, H, W), PyTorch's
    adaptive_avg_pool2d."""
    return apply(ADAPTIVE_AVG_POOL, x, name=name,
                 output_size=output_size_attr(output_size, "adaptive_avg_pool"))


def adaptive_max_pool(x: Any, output_size: Any, name: str | None = None) -> Tensor:
    """The maximum of each of output_size bins of x (N, C, H, W), PyTorch's
    adaptive_max_pool2d."""
    return apply(ADAPTIVE_MAX_POOL, x, name=name,
                 output_size=output_size_attr(output_size, "adaptive_max_pool"))
