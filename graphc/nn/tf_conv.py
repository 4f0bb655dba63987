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
from graphc.ops.shape import transpose

__all__ = ["avg_pool", "avg_pool2d", "conv2d", "max_pool", "max_pool2d"]


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
