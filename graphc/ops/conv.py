"""2-D convolution, with its gradient ops and the transposed convolution, and the layouts,
padding and windows that pooling (ops/pool.py) shares.

Layouts. Every op takes `data_format`: "NHWC" (TensorFlow's: input (batch, height, width,
channels), filter HWIO (height, width, in, out)) or "NCHW" (PyTorch's: input (batch,
channels, height, width), filter OIHW (out, in, height, width)). Each op computes in the
layout it is given, so neither spelling builds transposes around it.

Padding (the `padding` attr): "VALID" (none), "SAME" (TensorFlow's: an output of
ceil(size / stride) along each spatial dim, the odd pad at the end, bottom and right) or
explicit ((top, bottom), (left, right)). "SAME" is resolved from the input's size when it
runs, so a placeholder of unknown height works.

The convolution is a cross-correlation (no filter flip), as in both frameworks.

References. The numpy references are the kernels a native backend would write. Each kernel
position (i, j) reads a strided view of the padded input (`tap`); the convolution copies
those views into a patch matrix (im2col), one position at a time, for one BLAS matmul, and
gradients add one piece per position back into the input's shape (`scatter`, col2im):
every numpy call runs over whole images, never a Python loop over pixels.

Backends. The ops set OpDef.host: the numba backend runs them in its host program on these
references, with no FallbackWarning. A native kernel on the CPU would do the same im2col
and the same BLAS call, so host code loses only the copy into the patch matrix, which
numba would make too; it splits a step's native code into the segments before and after
each convolution. On CUDA they have no kernel and run on the references on host copies of
their inputs, with the backend's FallbackWarning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import float64
from graphc.graph import Tensor, TensorType
from graphc.ops.core import apply
from graphc.registry import GradOp, OpDef, register

Pads = tuple[tuple[int, int], tuple[int, int]]


@dataclass(frozen=True)
class Layout:
    """Where a data_format keeps its dims: the input's spatial and channel axes, and the
    filter's kernel, in-channel and out-channel axes."""

    spatial: tuple[int, int]
    channel: int
    kernel: tuple[int, int]
    filter_in: int
    filter_out: int
    filter_name: str


LAYOUTS = {"NHWC": Layout((1, 2), 3, (0, 1), 2, 3, "HWIO"),
           "NCHW": Layout((2, 3), 1, (2, 3), 1, 0, "OIHW")}


# -- windows: sizes and padding --------------------------------------------------------------
def window(size: int | None, k: int | None, stride: int, dilation: int, padding: Any,
           axis: int) -> tuple[int | None, int, int]:
    """(output size, pad before, pad after) along spatial axis `axis` (0: height, 1: width)
    of an input of `size` and a kernel of `k`; None where it cannot be known yet. Raises
    ValueError when the dilated kernel is larger than the padded input."""
    if size is None or k is None:
        return None, 0, 0
    span = dilation * (k - 1) + 1
    if padding == "VALID":
        before = after = 0
    elif padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + span - size, 0)
        return out, total // 2, total - total // 2
    else:
        before, after = padding[axis]
    if span > size + before + after:
        return -1, before, after  # (the caller names the shapes)
    return (size + before + after - span) // stride + 1, before, after


def plan(shape: Sequence[int | None], layout: Layout, kernel: Sequence[int | None],
         strides: Sequence[int], dilations: Sequence[int], padding: Any,
         what: str) -> tuple[tuple[int | None, int | None], Pads]:
    """The output's spatial size and the pads of an input of `shape`; a window larger than
    the padded input is a ValueError naming the shapes."""
    outs, pads = [], []
    for i, axis in enumerate(layout.spatial):
        out, before, after = window(shape[axis], kernel[i], strides[i], dilations[i],
                                    padding, i)
        if out == -1:
            sizes = "x".join(str(shape[a]) for a in layout.spatial)
            spans = "x".join(str(d * (int(k or 0) - 1) + 1) for k, d in zip(kernel, dilations))
            dilated = f", dilated to {spans}" if any(d != 1 for d in dilations) else ""
            raise ValueError(f"the {what} ({_fmt_kernel(kernel)}{dilated}) is larger than the "
                             f"padded input: input of shape {shapes.fmt(tuple(shape))} "
                             f"({layout_name(layout)}) is {sizes}, padding "
                             f"{_fmt_padding(padding)}")
        outs.append(out)
        pads.append((before, after))
    return (outs[0], outs[1]), (pads[0], pads[1])


def layout_name(layout: Layout) -> str:
    return next(name for name, lay in LAYOUTS.items() if lay is layout)


def _fmt_padding(padding: Any) -> str:
    if isinstance(padding, str):
        return padding
    (t, b), (l_, r) = padding
    return f"(top {t}, bottom {b}, left {l_}, right {r})"


def with_spatial(layout: Layout, n: Any, c: Any, h: Any, w: Any) -> tuple[Any, ...]:
    """A 4-d shape in the layout from its batch, channel and spatial sizes."""
    return (n, h, w, c) if layout.channel == 3 else (n, c, h, w)


def padded(x: np.ndarray, layout: Layout, pads: Pads, value: float) -> np.ndarray:
    if pads == ((0, 0), (0, 0)):
        return x
    widths = [(0, 0)] * 4
    widths[layout.spatial[0]], widths[layout.spatial[1]] = pads
    return np.pad(x, widths, constant_values=value)


def tap(xp: np.ndarray, layout: Layout, i: int, j: int, strides: Sequence[int],
        dilations: Sequence[int], out: Sequence[int]) -> np.ndarray:
    """The elements of the padded input `xp` that kernel position (i, j) reads for each
    output, a strided view in the output's layout."""
    index: list[slice] = [slice(None)] * 4
    for axis, start, s, o in zip(layout.spatial, (i * dilations[0], j * dilations[1]),
                                 strides, out):
        index[axis] = slice(start, start + (o - 1) * s + 1 if o else start, s)
    return xp[tuple(index)]


def taps(xp: np.ndarray, layout: Layout, kernel: Sequence[int], strides: Sequence[int],
         dilations: Sequence[int], out: Sequence[int]) -> Iterator[np.ndarray]:
    """tap() of every kernel position, in row-major order (top row first)."""
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            yield tap(xp, layout, i, j, strides, dilations, out)


def scatter(pieces: Iterable[np.ndarray], shape: Sequence[int], dtype: Any,
            layout: Layout, pads: Pads, kernel: Sequence[int], strides: Sequence[int],
            dilations: Sequence[int], out: Sequence[int]) -> np.ndarray:
    """The input-shaped sum of the pieces (one a kernel position, in taps' order, each in
    the output's layout), each added where its position read (col2im), the padding cut
    off."""
    padded = list(shape)
    for axis, (before, after) in zip(layout.spatial, pads):
        padded[axis] += before + after
    dxp = np.zeros(padded, dtype)
    for view, piece in zip(taps(dxp, layout, kernel, strides, dilations, out), pieces):
        view += piece
    (top, _), (left, _) = pads
    h, w = (shape[a] for a in layout.spatial)
    crop: list[slice] = [slice(None)] * 4
    crop[layout.spatial[0]], crop[layout.spatial[1]] = slice(top, top + h), \
        slice(left, left + w)
    return np.ascontiguousarray(dxp[tuple(crop)])


# -- shape and dtype rules -----------------------------------------------------------------
def check_floating(types: Sequence[TensorType], names: Sequence[str]) -> None:
    first = types[0]
    for t, name in zip(types, names):
        if not t.dtype.is_floating:
            raise TypeError(f"{name} must be float32 or float64, got {t}")
        if t.dtype != first.dtype:
            raise TypeError(f"operands have different dtypes: {names[0]} {first} and {name} "
                            f"{t}; convert one with gc.cast")


def check_rank(t: TensorType, name: str, layout: Layout, filter_: bool = False) -> None:
    if t.shape is not None and len(t.shape) != 4:
        dims = layout.filter_name if filter_ else layout_name(layout)
        raise ValueError(f"{name} must have rank 4 ({dims}), got shape {shapes.fmt(t.shape)}")


def dims_of(t: TensorType) -> tuple[int | None, ...]:
    return (None,) * 4 if t.shape is None else t.shape


def _conv_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, w = types
    check_floating(types, ("input", "filter"))
    layout = LAYOUTS[attrs["data_format"]]
    check_rank(x, "input", layout)
    check_rank(w, "filter", layout, filter_=True)
    xs, ws = dims_of(x), dims_of(w)
    _check_channels(xs, ws, layout.filter_in, attrs["data_format"], layout.filter_name)
    kernel = [ws[a] for a in layout.kernel]
    (oh, ow), _ = plan(xs, layout, kernel, attrs["strides"], attrs["dilations"],
                       attrs["padding"], "filter")
    return TensorType(x.dtype, with_spatial(layout, xs[0], ws[layout.filter_out], oh, ow))


def _check_channels(xs: tuple[int | None, ...], ws: tuple[int | None, ...], filter_axis: int,
                    data_format: str, filter_name: str) -> None:
    """The input's channels are the filter's on `filter_axis` (its in-channels for a
    convolution, its out-channels for the transposed one), where both are known."""
    c, wc = xs[LAYOUTS[data_format].channel], ws[filter_axis]
    if c is not None and wc is not None and c != wc:
        raise ValueError(f"input has {c} channels but the filter expects {wc}: input of shape "
                         f"{shapes.fmt(xs)} ({data_format}), filter of shape "
                         f"{shapes.fmt(ws)} ({filter_name})")


def _fmt_kernel(kernel: Sequence[int | None]) -> str:
    return "x".join("?" if k is None else str(k) for k in kernel)


def check_gradient(g: TensorType, expected: TensorType, what: str) -> None:
    if g.shape is not None and expected.shape is not None and (
            len(g.shape) != len(expected.shape) or not shapes.compatible(g.shape,
                                                                         expected.shape)):
        raise ValueError(f"the gradient has shape {shapes.fmt(g.shape)}, but the {what} "
                         f"has shape {shapes.fmt(expected.shape)}")


def _input_grad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    g, w, like = types
    check_floating(types, ("gradient", "filter", "input"))
    check_gradient(g, _conv_infer([like, w], attrs), "convolution's output")
    return TensorType(like.dtype, dims_of(like))


def _filter_grad_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, g, like = types
    check_floating(types, ("input", "gradient", "filter"))
    check_gradient(g, _conv_infer([x, like], attrs), "convolution's output")
    return TensorType(like.dtype, dims_of(like))


# -- convolution: references -----------------------------------------------------------------
def run_plan(shape: Sequence[int], layout: Layout, kernel: Sequence[int],
              strides: Sequence[int], dilations: Sequence[int], padding: Any,
              what: str) -> tuple[tuple[int, int], Pads]:
    """plan() of an input whose sizes are all known (a reference's, as it runs)."""
    (oh, ow), pads = plan(shape, layout, kernel, strides, dilations, padding, what)
    assert oh is not None and ow is not None
    return (oh, ow), pads


def _kernel_of(w_shape: Sequence[int], layout: Layout) -> tuple[int, int]:
    return w_shape[layout.kernel[0]], w_shape[layout.kernel[1]]


# The patch matrix (im2col) of M = batch * out_h * out_w windows of P = channels * kh * kw
# values, in the order of the filter's dims so the filter is a (P, out) or (out, P) matrix
# as it lies: for NHWC, (M, P) with P as (kh, kw, c); for NCHW, (P, M) with P as
# (c, kh, kw) and M as (n, oh, ow). It is filled one kernel position at a time, each a copy
# of a strided view of the input (runs of an image row), as native im2col kernels do.
def _im2col(x: np.ndarray, layout: Layout, kernel: Sequence[int], strides: Sequence[int],
            dilations: Sequence[int], padding: Any) -> tuple[np.ndarray, tuple[int, int]]:
    """The patch matrix of x's windows, and the output's spatial size."""
    out, pads = run_plan(x.shape, layout, kernel, strides, dilations, padding, "filter")
    (kh, kw), (oh, ow) = kernel, out
    n, c = x.shape[0], x.shape[layout.channel]
    views = taps(padded(x, layout, pads, 0.0), layout, kernel, strides, dilations, out)
    if layout.channel == 3:
        cols = np.empty((n, oh, ow, kh, kw, c), x.dtype)
        for k, view in enumerate(views):
            cols[:, :, :, k // kw, k % kw] = view
        return cols.reshape(n * oh * ow, kh * kw * c), out
    cols = np.empty((c, kh, kw, n, oh, ow), x.dtype)
    for k, view in enumerate(views):
        cols[:, k // kw, k % kw] = view.transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow), out


def _filter_matrix(w: np.ndarray, layout: Layout) -> np.ndarray:
    """The filter as a (P, out) matrix for NHWC, (out, P) for NCHW (a view)."""
    out = w.shape[layout.filter_out]
    patch = prod(d for a, d in enumerate(w.shape) if a != layout.filter_out)
    return w.reshape(patch, out) if layout.channel == 3 else w.reshape(out, patch)


def _output_matrix(g: np.ndarray, layout: Layout) -> np.ndarray:
    """An output-shaped array as an (M, out) matrix for NHWC, (out, M) for NCHW."""
    n, c = g.shape[0], g.shape[layout.channel]
    h, w = (g.shape[a] for a in layout.spatial)
    if layout.channel == 3:
        return g.reshape(n * h * w, c)
    return g.transpose(1, 0, 2, 3).reshape(c, n * h * w)


def _conv_ref(x: np.ndarray, w: np.ndarray, strides: Sequence[int], dilations: Sequence[int],
              padding: Any, data_format: str) -> np.ndarray:
    layout = LAYOUTS[data_format]
    # (shapes known only now: the shape rule's checks, on the values' shapes)
    _conv_infer([TensorType(float64, x.shape), TensorType(float64, w.shape)],
                {"data_format": data_format, "strides": strides, "dilations": dilations,
                 "padding": padding})
    cols, (oh, ow) = _im2col(x, layout, _kernel_of(w.shape, layout), strides, dilations,
                             padding)
    n, o = x.shape[0], w.shape[layout.filter_out]
    if layout.channel == 3:
        return (cols @ _filter_matrix(w, layout)).reshape(n, oh, ow, o)
    y = (_filter_matrix(w, layout) @ cols).reshape(o, n, oh, ow)
    return np.ascontiguousarray(y.transpose(1, 0, 2, 3))


def _input_grad_ref(g: np.ndarray, w: np.ndarray, like: np.ndarray, strides: Sequence[int],
                    dilations: Sequence[int], padding: Any, data_format: str) -> np.ndarray:
    return _col2im(g, w, like.shape, like.dtype, strides, dilations, padding, data_format)


def _col2im(g: np.ndarray, w: np.ndarray, shape: Sequence[int], dtype: Any,
            strides: Sequence[int], dilations: Sequence[int], padding: Any,
            data_format: str) -> np.ndarray:
    """The transposed convolution of g with w into an array of `shape`: each output of the
    convolution of such an array sends g through its taps (the input gradient)."""
    layout = LAYOUTS[data_format]
    (kh, kw) = kernel = _kernel_of(w.shape, layout)
    out, pads = run_plan(shape, layout, kernel, strides, dilations, padding, "filter")
    n, c = shape[0], shape[layout.channel]
    if layout.channel == 3:  # (M, P) = (M, out) @ (out, P)
        nhwc = (_output_matrix(g, layout) @ _filter_matrix(w, layout).T).reshape(
            n, out[0], out[1], kh, kw, c)
        pieces = (nhwc[:, :, :, i, j, :] for i in range(kh) for j in range(kw))
    else:  # (P, M) = (P, out) @ (out, M)
        nchw = (_filter_matrix(w, layout).T @ _output_matrix(g, layout)).reshape(
            c, kh, kw, n, out[0], out[1])
        pieces = (nchw[:, i, j].transpose(1, 0, 2, 3) for i in range(kh) for j in range(kw))
    return scatter(pieces, shape, dtype, layout, pads, kernel, strides, dilations, out)


def _filter_grad_ref(x: np.ndarray, g: np.ndarray, like: np.ndarray, strides: Sequence[int],
                     dilations: Sequence[int], padding: Any, data_format: str) -> np.ndarray:
    layout = LAYOUTS[data_format]
    cols, _ = _im2col(x, layout, _kernel_of(like.shape, layout), strides, dilations, padding)
    gm = _output_matrix(g, layout)
    if layout.channel == 3:
        return (cols.T @ gm).reshape(like.shape)
    return (gm @ cols.T).reshape(like.shape)


# -- convolution: gradient rules and registration -----------------------------------------
def op_attrs(op: GradOp) -> dict[str, Any]:
    return dict(op.attrs)


def _conv_grad(op: GradOp, g: Any) -> tuple[Any, Any]:
    # forward y = conv(x, w); backward dx = conv2d_backprop_input(g, w) (the transposed
    # convolution), dw = conv2d_backprop_filter(x, g) (patches^T @ g)
    x, w = op.inputs
    dx = apply(CONV2D_BACKPROP_INPUT, g, w, x, **op_attrs(op)) if op.wants[0] else None
    dw = apply(CONV2D_BACKPROP_FILTER, x, g, w, **op_attrs(op)) if op.wants[1] else None
    return dx, dw


def _input_grad_grad(op: GradOp, h: Any) -> tuple[Any, Any, None]:
    # forward dx = B(g, w), bilinear, with <h, B(g, w)> = <conv(h, w), g>; backward
    # dg = conv(h, w), dw = conv2d_backprop_filter(h, g); `like` gives only a shape
    g, w, like = op.inputs
    dg = apply(CONV2D, h, w, **op_attrs(op)) if op.wants[0] else None
    dw = apply(CONV2D_BACKPROP_FILTER, h, g, w, **op_attrs(op)) if op.wants[1] else None
    return dg, dw, None


def _filter_grad_grad(op: GradOp, k: Any) -> tuple[Any, Any, None]:
    # forward dw = F(x, g), bilinear, with <k, F(x, g)> = <conv(x, k), g>; backward
    # dx = conv2d_backprop_input(g, k), dg = conv(x, k)
    x, g, like = op.inputs
    dx = apply(CONV2D_BACKPROP_INPUT, g, k, x, **op_attrs(op)) if op.wants[0] else None
    dg = apply(CONV2D, x, k, **op_attrs(op)) if op.wants[1] else None
    return dx, dg, None


CONV2D = register(OpDef("conv2d", _conv_infer, _conv_ref, _conv_grad, host=True))
CONV2D_BACKPROP_INPUT = register(OpDef("conv2d_backprop_input", _input_grad_infer,
                                       _input_grad_ref, _input_grad_grad, host=True))
CONV2D_BACKPROP_FILTER = register(OpDef("conv2d_backprop_filter", _filter_grad_infer,
                                        _filter_grad_ref, _filter_grad_grad, host=True))


# -- transposed convolution ----------------------------------------------------------------
# conv2d_transpose(x, w) into an output of spatial size attrs["size"] is the input gradient
# of the convolution of such an output with w: conv2d_backprop_input with the output's size
# as an attribute instead of a tensor of its shape, so the batch comes from x and nothing
# of the output's size is computed to give its shape. The filter is the convolution's:
# HWIO for NHWC, which the transposed convolution reads as HWOI (height, width, out, in),
# and OIHW for NCHW, read as IOHW (PyTorch's (in, out, height, width)).
TRANSPOSED_FILTER = {"NHWC": "HWOI", "NCHW": "IOHW"}


def conv_attrs(attrs: Any) -> dict[str, Any]:
    """The attrs of the convolution a transposed convolution transposes."""
    return {k: v for k, v in dict(attrs).items() if k != "size"}


def _transpose_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    x, w = types
    check_floating(types, ("input", "filter"))
    fmt = attrs["data_format"]
    layout, filter_name = LAYOUTS[fmt], TRANSPOSED_FILTER[fmt]
    check_rank(x, "input", layout)
    if w.shape is not None and len(w.shape) != 4:
        raise ValueError(f"filter must have rank 4 ({filter_name}), got shape "
                         f"{shapes.fmt(w.shape)}")
    xs, ws = dims_of(x), dims_of(w)
    _check_channels(xs, ws, layout.filter_out, fmt, filter_name)
    size, kernel = attrs["size"], [ws[a] for a in layout.kernel]
    spans = "x".join(str(d * (int(k or 0) - 1) + 1) for k, d in zip(kernel, attrs["dilations"]))
    reached: list[int | None] = []
    for i in range(2):
        fits, _, _ = window(size[i], kernel[i], attrs["strides"][i], attrs["dilations"][i],
                            attrs["padding"], i)
        if fits == -1:
            raise ValueError(f"the output ({size[0]}x{size[1]}) is smaller than the filter "
                             f"({_fmt_kernel(kernel)}, spanning {spans}) with padding "
                             f"{_fmt_padding(attrs['padding'])}")
        reached.append(fits)
    if any(r is not None and xs[a] is not None and r != xs[a]
           for r, a in zip(reached, layout.spatial)):
        sizes = "x".join(str(xs[a]) for a in layout.spatial)
        raise ValueError(f"an output of {size[0]}x{size[1]} does not fit the input's "
                         f"{sizes}: the convolution it transposes (filter "
                         f"{_fmt_kernel(kernel)}, strides {attrs['strides'][0]}x"
                         f"{attrs['strides'][1]}, padding {_fmt_padding(attrs['padding'])}) "
                         f"takes {size[0]}x{size[1]} to {reached[0]}x{reached[1]}; input of "
                         f"shape {shapes.fmt(xs)} ({fmt})")
    return TensorType(x.dtype, with_spatial(layout, xs[0], ws[layout.filter_in], *size))


def _transpose_ref(x: np.ndarray, w: np.ndarray, size: Sequence[int], strides: Sequence[int],
                   dilations: Sequence[int], padding: Any, data_format: str) -> np.ndarray:
    attrs = {"size": size, "strides": strides, "dilations": dilations, "padding": padding,
             "data_format": data_format}
    # (shapes known only now: the shape rule's checks, on the values' shapes)
    out = _transpose_infer([TensorType(float64, x.shape), TensorType(float64, w.shape)], attrs)
    assert out.shape is not None
    return _col2im(x, w, out.shape, x.dtype, strides, dilations, padding,  # type: ignore[arg-type]
                   data_format)


def _transpose_grad(op: GradOp, h: Any) -> tuple[Any, Any]:
    # forward y = T(x, w), the input gradient of the convolution C(y, w) of a y-sized array,
    # bilinear, with <h, T(x, w)> = <C(h, w), x>; backward dx = conv2d(h, w),
    # dw = conv2d_backprop_filter(h, x)
    x, w = op.inputs
    attrs = conv_attrs(op.attrs)
    dx = apply(CONV2D, h, w, **attrs) if op.wants[0] else None
    dw = apply(CONV2D_BACKPROP_FILTER, h, x, w, **attrs) if op.wants[1] else None
    return dx, dw


CONV2D_TRANSPOSE = register(OpDef("conv2d_transpose", _transpose_infer, _transpose_ref,
                                  _transpose_grad, host=True))


# -- builders ------------------------------------------------------------------------------
def pair(value: Any, what: str, function: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each at least `minimum`, as a pair."""
    items = (value, value) if isinstance(value, int | np.integer) else tuple(value)
    if len(items) != 2 or any(isinstance(v, bool) or not isinstance(v, int | np.integer)
                              or v < minimum for v in items):
        raise ValueError(f"{function}: {what} must be an int or a pair of ints of at least "
                         f"{minimum}, got {value!r}")
    return int(items[0]), int(items[1])


def padding_attr(padding: Any, function: str) -> Any:
    """"SAME", "VALID", or ((top, bottom), (left, right)) of non-negative ints."""
    if isinstance(padding, str):
        if padding not in ("SAME", "VALID"):
            raise ValueError(f"{function}: padding must be 'SAME', 'VALID' or explicit pads, "
                             f"not {padding!r}")
        return padding
    try:
        rows, cols = padding
        return pair(rows, "padding", function, 0), pair(cols, "padding", function, 0)
    except (TypeError, ValueError):
        raise ValueError(f"{function}: explicit padding must be ((top, bottom), (left, "
                         f"right)) of non-negative ints, got {padding!r}") from None


def data_format_attr(data_format: str, function: str) -> str:
    if data_format not in LAYOUTS:
        raise ValueError(f"{function}: data_format must be 'NHWC' or 'NCHW', not "
                         f"{data_format!r}")
    return data_format


def conv2d(x: Any, w: Any, strides: Any = 1, padding: Any = "VALID", dilations: Any = 1,
           data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """The 2-D cross-correlation of x with filter w (HWIO for NHWC, OIHW for NCHW):
    strides and dilations an int or (height, width); padding "SAME", "VALID" or
    ((top, bottom), (left, right))."""
    return apply(CONV2D, x, w, name=name, strides=pair(strides, "strides", "conv2d"),
                 dilations=pair(dilations, "dilations", "conv2d"),
                 padding=padding_attr(padding, "conv2d"),
                 data_format=data_format_attr(data_format, "conv2d"))


def conv2d_transpose(x: Any, w: Any, size: Any, strides: Any = 1, padding: Any = "VALID",
                     dilations: Any = 1, data_format: str = "NHWC",
                     name: str | None = None) -> Tensor:
    """The transposed convolution of x with filter w (HWOI [height, width, out, in] for
    NHWC, IOHW (in, out, height, width) for NCHW) into an output of spatial size `size`
    (height, width): the gradient of conv2d(y, w, strides, padding, dilations) with respect
    to its input y of that size, which must convolve to x's height and width. padding is
    the convolution's ("SAME" worked out from `size`)."""
    return apply(CONV2D_TRANSPOSE, x, w, name=name,
                 size=pair(size, "the output size", "conv2d_transpose"),
                 strides=pair(strides, "strides", "conv2d_transpose"),
                 dilations=pair(dilations, "dilations", "conv2d_transpose"),
                 padding=padding_attr(padding, "conv2d_transpose"),
                 data_format=data_format_attr(data_format, "conv2d_transpose"))
