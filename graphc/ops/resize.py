"""Resizing 2-D images, nearest-neighbour or bilinear, with its gradient op, in the layouts
of ops/conv.py (TensorFlow's NHWC, PyTorch's NCHW).

Attrs. `size` is the output's (height, width); an entry None is floor(input size *
scale_factor) along that dim, worked out from the size the op runs on (so an image of
unknown size can be scaled). `coordinates` says which input coordinate each output index
reads, by the ratio r along each dim (input size / output size, or 1 / scale_factor where
`scale_coordinates` is set, as PyTorch's interpolate does when it is given a scale_factor):

- "asymmetric": src = dst * r. Nearest takes floor(src): PyTorch's mode="nearest" and
  TensorFlow 1's legacy resize_nearest_neighbor; bilinear is TensorFlow 1's legacy
  resize_bilinear.
- "half_pixel": src = (dst + 0.5) * r - 0.5 for bilinear (clamped at 0): PyTorch's
  align_corners=False, TensorFlow's half_pixel_centers=True; nearest takes
  floor((dst + 0.5) * r): PyTorch's "nearest-exact".
- "align_corners": r = (input size - 1) / (output size - 1) (0 for an output of 1) and
  src = dst * r, so the corner pixels' centres line up; nearest rounds src (half away from
  zero), as TensorFlow does.

Nearest then reads input index min(that, size - 1); bilinear reads the two neighbours
low = floor(src) and high = min(low + 1, size - 1), weighted 1 - (src - low) and src - low.
The nearest indices are computed in float32 arithmetic, as both frameworks' kernels do (the
choice of a neighbour can turn on its rounding); the bilinear weights in float64.

References. Both methods are separable: they resize the height, then the width, each a
gather of whole rows (columns) of the image and, for bilinear, a weighted sum of two such
gathers. The gradient op is the transpose: each output row's gradient, weighted, is added
back to the input row it read, the width first, then the height; as the indices never
decrease along a dim, the rows that read one input row are a run, summed by one
np.add.reduceat. As the convolutions, the ops set OpDef.host (see ops/conv.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops.conv import (LAYOUTS, check_floating, check_gradient, check_rank,
                             data_format_attr, dims_of, with_spatial)
from graphc.ops.core import apply
from graphc.registry import GradOp, OpDef, register

METHODS = ("nearest", "bilinear")
COORDINATES = ("asymmetric", "half_pixel", "align_corners")


# -- sizes and coordinates -------------------------------------------------------------------
def output_size(size: int | None, scale_factor: float | None, in_size: int | None
                ) -> int | None:
    """The output's size along one dim: `size`, or floor(in_size * scale_factor)."""
    if size is not None:
        return size
    if in_size is None or scale_factor is None:
        return None
    return math.floor(in_size * scale_factor)


def _ratio(in_size: int, out: int, coordinates: str, scale_factor: float | None,
           scale_coordinates: bool, kind: Any) -> Any:
    """Input coordinates per output index, as `kind` (np.float32 or float)."""
    if coordinates == "align_corners":
        return kind(in_size - 1) / kind(out - 1) if out > 1 else kind(0)
    if scale_coordinates and scale_factor is not None:
        return kind(1.0 / scale_factor)
    return kind(in_size) / kind(out)


def nearest_indices(in_size: int, out: int, coordinates: str, scale_factor: float | None,
                    scale_coordinates: bool) -> np.ndarray:
    """The input index each output index reads, computed in float32 as the kernels do."""
    r = _ratio(in_size, out, coordinates, scale_factor, scale_coordinates, np.float32)
    dst = np.arange(out, dtype=np.float32)
    src = (dst + np.float32(0.5)) * r if coordinates == "half_pixel" else dst * r
    index = np.floor(src)
    if coordinates == "align_corners":  # (C's roundf: a half rounds up, src >= 0)
        index += src - index >= np.float32(0.5)
    return np.minimum(index.astype(np.int64), in_size - 1)


def linear_weights(in_size: int, out: int, coordinates: str, scale_factor: float | None,
                   scale_coordinates: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each output index: the input indices below and above its coordinate, and the
    weight of the one above (float64)."""
    r = _ratio(in_size, out, coordinates, scale_factor, scale_coordinates, float)
    dst = np.arange(out, dtype=np.float64)
    src = np.maximum((dst + 0.5) * r - 0.5, 0.0) if coordinates == "half_pixel" else dst * r
    low = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    return low, np.minimum(low + 1, in_size - 1), src - low


# -- shape and dtype rules -------------------------------------------------------------------
def _check_dtype(types: Sequence[TensorType], method: str) -> None:
    if method == "bilinear":
        check_floating(types, ("input",))
    elif types[0].dtype.is_bool:
        raise TypeError(f"input must be numeric, got {types[0]}")


def _sizes(shape: Sequence[int | None], attrs: Any) -> tuple[list[int | None],
                                                             list[int | None]]:
    """The input's and output's (height, width), None where unknown; empty sizes refused."""
    layout = LAYOUTS[attrs["data_format"]]
    ins = [shape[a] for a in layout.spatial]
    outs = [output_size(s, f, n) for s, f, n in zip(attrs["size"], attrs["scale_factor"], ins)]
    if any(n == 0 for n in ins) or any(o is not None and o < 1 for o in outs):
        fmt = lambda sizes: ", ".join(f"{d}: {'?' if v is None else v}"  # noqa: E731
                                      for d, v in zip("HW", sizes))
        raise ValueError(f"input and output sizes should be greater than 0, but got input "
                         f"({fmt(ins)}) output ({fmt(outs)}): input of shape "
                         f"{shapes.fmt(tuple(shape))} ({attrs['data_format']})")
    return ins, outs


def _resize_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    (x,) = types
    _check_dtype(types, attrs["method"])
    layout = LAYOUTS[attrs["data_format"]]
    check_rank(x, "input", layout)
    xs = dims_of(x)
    _, (oh, ow) = _sizes(xs, attrs)
    return TensorType(x.dtype, with_spatial(layout, xs[0], xs[layout.channel], oh, ow))


def _resize_grad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, like = types
    check_floating(types, ("gradient", "input"))
    check_gradient(g, _resize_infer([like], attrs), "resize's output")
    return TensorType(like.dtype, dims_of(like))


# -- references --------------------------------------------------------------------------------
def _axes(shape: Sequence[int], attrs: Any) -> list[tuple[int, int, int, float | None]]:
    """(axis, input size, output size, scale_factor) of the height, then the width."""
    ins, outs = _sizes(shape, attrs)
    return [(axis, int(n), int(o), f) for axis, n, o, f in  # type: ignore[arg-type]
            zip(LAYOUTS[attrs["data_format"]].spatial, ins, outs, attrs["scale_factor"])]


def _at(axis: int, index: Any) -> tuple[Any, ...]:
    return (slice(None),) * axis + (index,)


def _add_back(g: np.ndarray, index: np.ndarray, n: int, axis: int) -> np.ndarray:
    """The transpose of the gather x[..., index, ...] along `axis` of an input of size n:
    each slice of g added into slice index[i]. The indices never decrease, so the slices
    that share one are a run, summed by one np.add.reduceat."""
    shape = list(g.shape)
    shape[axis] = n
    dx = np.zeros(shape, g.dtype)
    if index.size == 0 or g.size == 0:
        return dx
    targets, starts = np.unique(index, return_index=True)
    dx[_at(axis, targets)] = np.add.reduceat(g, starts, axis=axis)
    return dx


def _weight(frac: np.ndarray, ndim: int, axis: int, dtype: Any) -> np.ndarray:
    shape = [1] * ndim
    shape[axis] = -1
    return frac.astype(dtype).reshape(shape)


def _resize_ref(x: np.ndarray, method: str, coordinates: str, size: Any, scale_factor: Any,
                scale_coordinates: bool, data_format: str) -> np.ndarray:
    attrs = {"size": size, "scale_factor": scale_factor, "data_format": data_format}
    for axis, n, out, factor in _axes(x.shape, attrs):
        if method == "nearest":
            x = x[_at(axis, nearest_indices(n, out, coordinates, factor, scale_coordinates))]
            continue
        low, high, frac = linear_weights(n, out, coordinates, factor, scale_coordinates)
        above = _weight(frac, x.ndim, axis, x.dtype)
        y = x[_at(axis, low)]
        y *= 1 - above
        part = x[_at(axis, high)]
        part *= above
        y += part
        x = y
    return np.ascontiguousarray(x)


def _resize_grad_ref(g: np.ndarray, like: np.ndarray, method: str, coordinates: str,
                     size: Any, scale_factor: Any, scale_coordinates: bool,
                     data_format: str) -> np.ndarray:
    attrs = {"size": size, "scale_factor": scale_factor, "data_format": data_format}
    for axis, n, out, factor in reversed(_axes(like.shape, attrs)):
        if method == "nearest":
            g = _add_back(g, nearest_indices(n, out, coordinates, factor, scale_coordinates),
                          n, axis)
            continue
        low, high, frac = linear_weights(n, out, coordinates, factor, scale_coordinates)
        above = _weight(frac, g.ndim, axis, g.dtype)
        dx = _add_back(g * (1 - above), low, n, axis)
        dx += _add_back(g * above, high, n, axis)
        g = dx
    return np.ascontiguousarray(g)


# -- gradient rules and registration -----------------------------------------------------------
def _resize_grad(op: GradOp, g: Any) -> tuple[Any]:
    # forward y = R x, linear in x (each output a weighted input element or two);
    # backward dx = R^T g, each output's gradient added back where it read
    return (apply(RESIZE_GRAD, g, op.inputs[0], **dict(op.attrs)),)


def _resize_grad_grad(op: GradOp, h: Any) -> tuple[Any, None]:
    # forward dx = R^T g, linear in g; backward dg = R h, the resize of h
    return apply(RESIZE, h, **dict(op.attrs)), None


RESIZE = register(OpDef("resize", _resize_infer, _resize_ref, _resize_grad, host=True))
RESIZE_GRAD = register(OpDef("resize_grad", _resize_grad_infer, _resize_grad_ref,
                             _resize_grad_grad, host=True))


# -- builder -----------------------------------------------------------------------------------
def _pair_of(value: Any, kind: type, what: str, function: str) -> tuple[Any, Any]:
    items = tuple(value) if isinstance(value, list | tuple) else (value, value)
    if len(items) != 2:
        raise ValueError(f"{function}: {what} must be one value or a pair, got {value!r}")
    out: list[Any] = []
    for v in items:
        if v is None:
            out.append(None)
        elif isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating) \
                or (kind is int and not isinstance(v, int | np.integer)) or v <= 0:
            raise ValueError(f"{function}: {what} must be positive {kind.__name__}s, got "
                             f"{value!r}")
        else:
            out.append(kind(v))
    return out[0], out[1]


def resize(x: Any, size: Any = None, method: str = "bilinear",
           coordinates: str = "asymmetric", scale_factor: Any = None,
           scale_coordinates: bool = False, data_format: str = "NHWC",
           name: str | None = None) -> Tensor:
    """x (NHWC or NCHW) resized to size (height, width), an entry None being floor(input
    size * scale_factor) there, by `method` ("nearest" or "bilinear") with the coordinate
    rule `coordinates` (see the module's docstring)."""
    if method not in METHODS:
        raise ValueError(f"resize: method must be one of {list(METHODS)}, not {method!r}")
    if coordinates not in COORDINATES:
        raise ValueError(f"resize: coordinates must be one of {list(COORDINATES)}, not "
                         f"{coordinates!r}")
    sizes = _pair_of(size, int, "size", "resize")
    factors = _pair_of(scale_factor, float, "scale_factor", "resize")
    if any(s is None and f is None for s, f in zip(sizes, factors)):
        raise ValueError("resize: give each output size, or a scale_factor for it")
    return apply(RESIZE, x, name=name, method=method, coordinates=coordinates, size=sizes,
                 scale_factor=factors, scale_coordinates=bool(scale_coordinates),
                 data_format=data_format_attr(data_format, "resize"))
