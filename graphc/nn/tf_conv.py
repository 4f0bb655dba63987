"""TensorFlow 1's convolution and pooling in tf.nn: conv2d, max_pool, avg_pool (and the
later names max_pool2d, avg_pool2d), on graphc's conv2d, max_pool and avg_pool ops
(graphc/ops/conv.py), with TensorFlow's arguments: strides, ksize and dilations as an int or
a list of 1, 2 or 4 ints (of 4, the batch and channel entries must be 1), padding "SAME" or
"VALID" (conv2d also takes explicit pads, [[0, 0], [top, bottom], [left, right], [0, 0]] for
NHWC). The filter is HWIO in either data_format, as in TensorFlow: with "NCHW" it is
transposed to the op's OIHW (a transpose of the filter, never of the activations)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.ops import conv as ops
from graphc.ops import pool
from graphc.graph import Tensor
from graphc.ops.shape import static_shape, transpose

__all__ = ["avg_pool", "avg_pool2d", "conv2d", "max_pool", "max_pool2d"]
__all__ += ["conv2d_transpose"]


def _spatial(value: Any, what: str, data_format: str, function: str) -> tuple[int, int]:
    """TensorFlow's strides, ksize or dilations as (height, width)."""
    items = [value] if isinstance(value, int | np.integer) else \
        list(value) if value is not None else []
    if len(items) == 4:
        h, w = ops.LAYOUTS[data_format].spatial
        if any(items[a] != 1 for a in range(4) if a not in (h, w)):
            raise ValueError(f"{function}: {what} {value!r} moves along the batch or channel "
                             f"dimension, which is not supported: give 1 there "
                             f"({data_format}: {_example(data_format)})")
        items = [items[h], items[w]]
    elif len(items) == 1:
        items = items * 2
    if len(items) != 2:
        raise ValueError(f"{function}: {what} must be an int or a list of 1, 2 or 4 ints, "
                         f"got {value!r}")
    return ops.pair(items, what, function)


def _example(data_format: str) -> str:
    return "[1, 2, 2, 1]" if data_format == "NHWC" else "[1, 1, 2, 2]"


def _format(data_format: str | None, function: str) -> str:
    return ops.data_format_attr(data_format or "NHWC", function)


def _padding(padding: Any, data_format: str, function: str, explicit: bool) -> Any:
    """"SAME", "VALID", or (conv2d) explicit pads as ((top, bottom), (left, right))."""
    if isinstance(padding, str):
        if padding.upper() not in ("SAME", "VALID"):
            raise ValueError(f"{function}: padding must be 'SAME' or 'VALID'"
                             f"{' or a list of pads' if explicit else ''}, not {padding!r}")
        return padding.upper()
    if not explicit or not isinstance(padding, list | tuple) or len(padding) != 4:
        raise ValueError(f"{function}: padding must be 'SAME' or 'VALID'"
                         f"{', or 4 pairs of pads' if explicit else ''}, got {padding!r}")
    h, w = ops.LAYOUTS[data_format].spatial
    pairs = [tuple(p) for p in padding]
    if any(pairs[a] != (0, 0) for a in range(4) if a not in (h, w)):
        raise ValueError(f"{function}: explicit padding {padding!r} pads the batch or channel "
                         f"dimension; only height and width may be padded")
    return ops.padding_attr((pairs[h], pairs[w]), function)


def conv2d(input: Any, filter: Any = None, strides: Any = None,  # noqa: A002
           padding: Any = None, use_cudnn_on_gpu: bool = True, data_format: str = "NHWC",
           dilations: Any = None, name: str | None = None, filters: Any = None) -> Any:
    """The 2-D cross-correlation of input (NHWC, or NCHW) with filter [height, width, in,
    out] (`filter`, or TF2's `filters`), TensorFlow's tf.nn.conv2d: SAME pads so the output
    is ceil(size / stride), the odd pad at the bottom and right. use_cudnn_on_gpu is
    accepted and ignored."""
    if (filter is None) == (filters is None):
        raise ValueError("conv2d: give the filter once, as filter= or filters=")
    kernel = filter if filter is not None else filters
    data_format = _format(data_format, "conv2d")
    if strides is None or padding is None:
        raise ValueError("conv2d: strides and padding are required")
    stride = _spatial(strides, "strides", data_format, "conv2d")
    dilation = _spatial(1 if dilations is None else dilations, "dilations", data_format,
                        "conv2d")
    pads = _padding(padding, data_format, "conv2d", explicit=True)
    return ops.conv2d(input, filter_for(kernel, data_format), stride, pads, dilation,
                      data_format, name=name)


def conv2d_transpose(value: Any = None, filter: Any = None,  # noqa: A002
                     output_shape: Any = None, strides: Any = None, padding: Any = "SAME",
                     data_format: str = "NHWC", name: str | None = None, input: Any = None,  # noqa: A002
                     filters: Any = None, dilations: Any = None) -> Any:
    """The transposed convolution of value (NHWC, or NCHW) with filter [height, width,
    output_channels, in_channels] into output_shape, TensorFlow's tf.nn.conv2d_transpose:
    the gradient of tf.nn.conv2d of an output_shape input with the filter, strides, padding
    and dilations, so padding "SAME" and "VALID" are that convolution's. output_shape is a
    list or a 1-D int tensor of 4 sizes in data_format's order; its height, width and
    channels must be known while building the graph; the batch may be computed at run time
    (tf.shape(x)[0]), and the output's batch is value's."""
    function = "conv2d_transpose"
    if (value is None) == (input is None):
        raise ValueError(f"{function}: give the input once, as value= or input=")
    if (filter is None) == (filters is None):
        raise ValueError(f"{function}: give the filter once, as filter= or filters=")
    if output_shape is None or strides is None:
        raise ValueError(f"{function}: output_shape and strides are required")
    x = value if value is not None else input
    kernel = filter if filter is not None else filters
    data_format = _format(data_format, function)
    stride = _spatial(strides, "strides", data_format, function)
    dilation = _spatial(1 if dilations is None else dilations, "dilations", data_format,
                        function)
    pads = _padding(padding, data_format, function, explicit=True)
    layout = ops.LAYOUTS[data_format]
    dims = _output_sizes(output_shape, function)
    for what, axis in (("height", layout.spatial[0]), ("width", layout.spatial[1]),
                       ("channels", layout.channel)):
        if dims[axis] is None:
            raise ValueError(f"{function}: the output's {what} (output_shape[{axis}]) must be "
                             f"an int known while building the graph; only the batch may be "
                             f"computed at run time")
    kernel_shape = static_shape(kernel) or ()
    channels = kernel_shape[2] if len(kernel_shape) == 4 else None
    if channels is not None and channels != dims[layout.channel]:
        raise ValueError(f"{function}: output_shape {dims} asks for {dims[layout.channel]} "
                         f"channels, but the filter of shape {list(kernel_shape)} "
                         f"([height, width, output_channels, in_channels]) makes {channels}")
    x_shape = static_shape(x)
    batch = x_shape[0] if x_shape else None
    if dims[0] is not None and batch is not None and dims[0] != batch:
        raise ValueError(f"{function}: output_shape {dims} has a batch of {dims[0]}, but the "
                         f"input's batch is {batch}")
    size = (dims[layout.spatial[0]], dims[layout.spatial[1]])
    return ops.conv2d_transpose(x, filter_for(kernel, data_format), size, stride, pads,
                                dilation, data_format, name=name)


def _output_sizes(output_shape: Any, function: str) -> list[int | None]:
    """output_shape's 4 sizes: ints, with None for those computed at run time."""
    if isinstance(output_shape, Tensor):
        sizes = _known_ints(output_shape)
    elif isinstance(output_shape, list | tuple):
        sizes = [_known_int(d) for d in output_shape]
    else:
        sizes = [int(d) for d in np.ravel(np.asarray(output_shape))]
    if sizes is None or len(sizes) != 4:
        raise ValueError(f"{function}: output_shape must hold 4 sizes (batch, height, width "
                         f"and channels, in data_format's order), got {output_shape!r}")
    if any(d is not None and d < 1 for d in sizes):
        raise ValueError(f"{function}: output_shape must hold positive sizes, got {sizes}")
    return sizes


def _known_int(d: Any) -> int | None:
    """A size: an int, or a scalar int tensor (None when it is computed at run time)."""
    if isinstance(d, Tensor):
        known = _known_ints(d)
        return known[0] if known is not None and len(known) == 1 else None
    if isinstance(d, bool) or not isinstance(d, int | np.integer):
        raise TypeError(f"conv2d_transpose: output_shape holds {d!r}, which is not a size")
    return int(d)


def _known_ints(t: Tensor) -> list[int | None] | None:
    """The elements of a scalar or 1-D int tensor that are known while building (constants
    put together by tf.stack, tf.concat, reshapes), None for the others; None when even
    how many there are is unknown."""
    node = t.node
    if node is None or (t.dtype is not None and not t.dtype.is_integer):
        return None
    if node.op == "constant":
        return [int(v) for v in np.ravel(node.attrs["value"])]
    if node.op in ("reshape", "expand_dims", "identity", "squeeze"):
        return _known_ints(node.inputs[0])
    if node.op == "concat" and node.attrs.get("axis") in (0, -1):
        parts = [_known_ints(i) for i in node.inputs]
        if any(p is None for p in parts):
            return None
        return [d for p in parts for d in p]  # type: ignore[union-attr]
    shape = t.shape
    if shape is None or len(shape) > 1:
        return None
    length = shape[0] if shape else 1
    return None if length is None else [None] * length


def filter_for(kernel: Any, data_format: str) -> Any:
    """TensorFlow's filter, HWIO in either layout, as the conv op takes it for data_format:
    itself for NHWC, transposed to OIHW for NCHW."""
    return kernel if data_format == "NHWC" else transpose(kernel, (3, 2, 0, 1))


def _pool(function: str, value: Any, input: Any, ksize: Any, strides: Any,  # noqa: A002
          padding: Any, data_format: str | None) -> tuple[Any, tuple[int, int],
                                                          tuple[int, int], str, str]:
    if (value is None) == (input is None):
        raise ValueError(f"{function}: give the input once, as value= or input=")
    data_format = _format(data_format, function)
    return (value if value is not None else input,
            _spatial(ksize, "ksize", data_format, function),
            _spatial(strides, "strides", data_format, function),
            _padding(padding, data_format, function, explicit=False), data_format)


def max_pool(value: Any = None, ksize: Any = None, strides: Any = None, padding: Any = None,
             data_format: str = "NHWC", name: str | None = None, input: Any = None  # noqa: A002
             ) -> Any:
    """The maximum of each ksize window, moved by strides; SAME pads with -inf (the pad
    never wins). The gradient goes to the first maximum of a window (row-major)."""
    x, k, s, pads, data_format = _pool("max_pool", value, input, ksize, strides, padding,
                                       data_format)
    return pool.max_pool(x, k, s, pads, data_format, name=name)


def avg_pool(value: Any = None, ksize: Any = None, strides: Any = None, padding: Any = None,
             data_format: str = "NHWC", name: str | None = None, input: Any = None  # noqa: A002
             ) -> Any:
    """The mean of each ksize window, moved by strides; with SAME, a window that overhangs
    the input is the mean of the input elements in it (TensorFlow's: padding is not
    counted)."""
    x, k, s, pads, data_format = _pool("avg_pool", value, input, ksize, strides, padding,
                                       data_format)
    return pool.avg_pool(x, k, s, pads, data_format, count_include_pad=False, name=name)


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any,  # noqa: A002
               data_format: str = "NHWC", name: str | None = None) -> Any:
    """tf.nn.max_pool2d (TensorFlow 1.14 and later): max_pool."""
    return max_pool(input=input, ksize=ksize, strides=strides, padding=padding,
                    data_format=data_format, name=name)


def avg_pool2d(input: Any, ksize: Any, strides: Any, padding: Any,  # noqa: A002
               data_format: str = "NHWC", name: str | None = None) -> Any:
    """tf.nn.avg_pool2d (TensorFlow 1.14 and later): avg_pool."""
    return avg_pool(input=input, ksize=ksize, strides=strides, padding=padding,
                    data_format=data_format, name=name)
