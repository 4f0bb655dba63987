"""TensorFlow 1's convolution and pooling layers, gc.layers.conv2d, max_pooling2d and
average_pooling2d (exported by graphc/layers.py beside dense): conv2d makes its variables
with gc.get_variable in a variable scope of the layer's name, as TensorFlow 1 names them,
`conv2d/kernel` [kernel_h, kernel_w, in, filters] and `conv2d/bias` [filters], then
`conv2d_1/...` for the next unnamed layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphc import initializers, shapes
from graphc.errors import refuse_unsupported
from graphc.graph import Tensor
from graphc.nn.tf_conv import filter_for
from graphc.nn.tf_functions import bias_add
from graphc.ops import conv as ops
from graphc.ops import pool
from graphc.ops.composite import scope
from graphc.ops.core import convert_to_tensor
from graphc.variable_scope import get_variable, variable_scope

__all__ = ["average_pooling2d", "conv2d", "max_pooling2d"]
__all__ += ["conv2d_transpose"]

FORMATS = {"channels_last": "NHWC", "channels_first": "NCHW"}


def _image_batch(inputs: Any, function: str) -> Tensor:
    """inputs as a floating-point graph tensor of rank 4."""
    x = convert_to_tensor(inputs, op=function)
    if not x.dtype.is_floating:
        raise TypeError(f"{function}: inputs must be floating point, got {x.dtype.name} "
                        f"'{x.name}'")
    if x.shape is None or len(x.shape) != 4:
        raise ValueError(f"{function}: inputs must have rank 4 (batch, height, width, "
                         f"channels, or channels first); '{x.name}' has shape "
                         f"{shapes.fmt(x.shape)}")
    return x


def _format(data_format: str, function: str) -> str:
    if data_format not in FORMATS:
        raise ValueError(f"{function}: data_format must be 'channels_last' or "
                         f"'channels_first', not {data_format!r}")
    return FORMATS[data_format]


def _padding(padding: str, function: str) -> str:
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ValueError(f"{function}: padding must be 'valid' or 'same', not {padding!r}")
    return padding.upper()


def conv2d(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
           padding: str = "valid", data_format: str = "channels_last",
           dilation_rate: Any = (1, 1), activation: Callable[[Any], Any] | None = None,
           use_bias: bool = True, kernel_initializer: Any = None,
           bias_initializer: Any = None, kernel_regularizer: Any = None,
           bias_regularizer: Any = None, activity_regularizer: Any = None,
           kernel_constraint: Any = None, bias_constraint: Any = None, trainable: bool = True,
           name: str | None = None, reuse: Any = None) -> Tensor:
    """activation(conv2d(inputs, kernel) + bias), a 2-D convolution layer: kernel
    [kernel_h, kernel_w, in, filters] (kernel_initializer, default glorot_uniform) and bias
    [filters] (bias_initializer, default zeros) made by get_variable as `<name>/kernel` and
    `<name>/bias`; `name` defaults to a unique "conv2d", "conv2d_1", ...; `reuse` shares the
    variables of an earlier layer of that name. kernel_size, strides and dilation_rate are
    an int or a pair; padding "valid" or "same". kernel_regularizer and bias_regularizer
    add their losses to REGULARIZATION_LOSSES when the variables are made (as dense's do);
    activity_regularizer and constraints are not supported."""
    refuse_unsupported("conv2d", activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    x = _image_batch(inputs, "conv2d")
    data_format = _format(data_format, "conv2d")
    channels = x.shape[ops.LAYOUTS[data_format].channel]  # type: ignore[index]
    if channels is None:
        raise ValueError(f"conv2d: the channel dimension of the inputs should be defined; "
                         f"'{x.name}' has shape {shapes.fmt(x.shape)} ({data_format})")
    if isinstance(filters, bool) or int(filters) != filters or filters < 1:
        raise ValueError(f"conv2d: filters must be a positive integer, got {filters!r}")
    kernel_hw = ops.pair(kernel_size, "kernel_size", "conv2d")
    stride, dilation = ops.pair(strides, "strides", "conv2d"), \
        ops.pair(dilation_rate, "dilation_rate", "conv2d")
    if stride != (1, 1) and dilation != (1, 1):
        raise ValueError(f"conv2d: strides > 1 not supported in conjunction with "
                         f"dilation_rate > 1 (strides {stride}, dilation_rate {dilation})")
    pads = _padding(padding, "conv2d")
    graph = x.graph
    assert graph is not None
    with graph.as_default(), variable_scope(name, default_name="conv2d", reuse=reuse):
        kernel = get_variable("kernel", (*kernel_hw, channels, int(filters)), x.dtype,
                              kernel_initializer, kernel_regularizer,
                              trainable=trainable)
        out = ops.conv2d(x, filter_for(kernel, data_format), stride, pads, dilation,
                         data_format, name="Conv2D")
        if use_bias:
            bias = get_variable("bias", (int(filters),), x.dtype,
                                bias_initializer or initializers.Zeros(), bias_regularizer,
                                trainable=trainable)
            out = bias_add(out, bias, data_format=data_format, name="BiasAdd")
        return activation(out) if activation is not None else out


def conv2d_transpose(inputs: Any, filters: int, kernel_size: Any, strides: Any = (1, 1),
                     padding: str = "valid", data_format: str = "channels_last",
                     activation: Callable[[Any], Any] | None = None, use_bias: bool = True,
                     kernel_initializer: Any = None, bias_initializer: Any = None,
                     kernel_regularizer: Any = None, bias_regularizer: Any = None,
                     activity_regularizer: Any = None, kernel_constraint: Any = None,
                     bias_constraint: Any = None, trainable: bool = True,
                     name: str | None = None, reuse: Any = None) -> Tensor:
    """activation(conv2d_transpose(inputs, kernel) + bias), a transposed convolution layer:
    kernel [kernel_h, kernel_w, filters, in] (kernel_initializer, default glorot_uniform)
    and bias [filters] (bias_initializer, default zeros) made by get_variable as
    `<name>/kernel` and `<name>/bias`; `name` defaults to a unique "conv2d_transpose",
    "conv2d_transpose_1", ... The output's height and width are TensorFlow's: size * stride
    with "same" padding, size * stride + max(kernel - stride, 0) with "valid". Regularizers
    as conv2d's."""
    function = "conv2d_transpose"
    refuse_unsupported(function, activity_regularizer=activity_regularizer,
                       kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
    x = _image_batch(inputs, function)
    data_format = _format(data_format, function)
    layout = ops.LAYOUTS[data_format]
    channels = x.shape[layout.channel]  # type: ignore[index]
    if channels is None:
        raise ValueError(f"{function}: the channel dimension of the inputs should be defined; "
                         f"'{x.name}' has shape {shapes.fmt(x.shape)} ({data_format})")
    if isinstance(filters, bool) or int(filters) != filters or filters < 1:
        raise ValueError(f"{function}: filters must be a positive integer, got {filters!r}")
    kernel_hw = ops.pair(kernel_size, "kernel_size", function)
    stride = ops.pair(strides, "strides", function)
    pads = _padding(padding, function)
    size = []
    for axis, k, s in zip(layout.spatial, kernel_hw, stride):
        n = x.shape[axis]  # type: ignore[index]
        if n is None:
            raise ValueError(f"{function}: the height and width of the inputs should be "
                             f"defined; '{x.name}' has shape {shapes.fmt(x.shape)} "
                             f"({data_format})")
        size.append(n * s if pads == "SAME" else n * s + max(k - s, 0))
    graph = x.graph
    assert graph is not None
    with graph.as_default(), variable_scope(name, default_name=function, reuse=reuse):
        kernel = get_variable("kernel", (*kernel_hw, int(filters), channels), x.dtype,
                              kernel_initializer, kernel_regularizer,
                              trainable=trainable)
        out = ops.conv2d_transpose(x, filter_for(kernel, data_format), size, stride, pads, 1,
                                   data_format, name="conv2d_transpose")
        if use_bias:
            bias = get_variable("bias", (int(filters),), x.dtype,
                                bias_initializer or initializers.Zeros(), bias_regularizer,
                                trainable=trainable)
            out = bias_add(out, bias, data_format=data_format, name="BiasAdd")
        return activation(out) if activation is not None else out


def _pooling(pool: Callable[..., Tensor], function: str, default: str, inputs: Any,
             pool_size: Any, strides: Any, padding: str, data_format: str,
             name: str | None, **extra: Any) -> Tensor:
    x = _image_batch(inputs, function)
    kernel = ops.pair(pool_size, "pool_size", function)
    stride = ops.pair(strides, "strides", function)
    pads, layout = _padding(padding, function), _format(data_format, function)
    with scope(name, default, x):
        return pool(x, kernel, stride, pads, layout, **extra)


def max_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                  data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """The maximum of each pool_size window (an int or a pair), moved by strides; "same"
    padding never lets the pad win (tf.nn.max_pool)."""
    return _pooling(pool.max_pool, "max_pooling2d", "max_pooling2d", inputs, pool_size,
                    strides, padding, data_format, name)


def average_pooling2d(inputs: Any, pool_size: Any, strides: Any, padding: str = "valid",
                      data_format: str = "channels_last", name: str | None = None) -> Tensor:
    """The mean of each pool_size window (an int or a pair), moved by strides; with "same"
    padding, the mean of the input elements in the window (tf.nn.avg_pool)."""
    return _pooling(pool.avg_pool, "average_pooling2d", "average_pooling2d", inputs,
                    pool_size, strides, padding, data_format, name, count_include_pad=False)
