"""PyTorch's convolution and pooling modules, nn.Conv2d, nn.MaxPool2d and nn.AvgPool2d, on
the functions of conv.py (F.conv2d, F.max_pool2d, F.avg_pool2d)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager.defaults import get_default_dtype
from graphc.nn import init
from graphc.nn.conv import _conv_padding, _pair, avg_pool2d, conv2d, max_pool2d
from graphc.nn.conv import conv_transpose2d, transposed_size
from graphc.ops.shape import static_shape
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d"]
__all__ += ["ConvTranspose2d"]


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _init_parameters(module: Module, weight_shape: tuple[int, ...], out_channels: int,
                     bias: bool, dtype: Any) -> None:
    """PyTorch's initial weight and bias of a convolution: kaiming_uniform_ (a = sqrt 5) for
    the weight, and uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias, fan_in being the
    weight's dim 1 times its kernel's size (in_channels for Conv2d, out_channels for
    ConvTranspose2d, as PyTorch computes it)."""
    np_dtype = (get_default_dtype() if dtype is None else as_dtype(dtype)).np
    module.weight = Parameter(np.empty(weight_shape, np_dtype))
    init.kaiming_uniform_(module.weight, a=math.sqrt(5))
    if bias:
        bound = 1 / math.sqrt(math.prod(weight_shape[1:]))
        module.bias = Parameter(np.empty(out_channels, np_dtype))
        init.uniform_(module.bias, -bound, bound)
    else:
        object.__setattr__(module, "bias", None)


def _conv_repr(layer: Any) -> str:
    """A convolution's extra_repr as PyTorch writes it: the sizes, then each setting that
    is not its default."""
    text = (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
            f"stride={layer.stride}")
    for name, default in (("padding", (0, 0)), ("dilation", (1, 1)),
                          ("output_padding", (0, 0))):
        value = getattr(layer, name, default)
        if value != default:
            text += f", {name}={value}"
    if layer._parameters.get("bias") is None:
        text += ", bias=False"
    return text


class Conv2d(Module):
    """A 2-D convolution layer: weight (out_channels, in_channels, kH, kW) and bias
    (out_channels,), both initialized as PyTorch's: kaiming_uniform_(a=sqrt(5)) for the
    weight, that is uniform in +-1/sqrt(fan_in), fan_in = in_channels * kH * kW, and the
    bias uniform in the same bound. The parameters' dtype is `dtype`, or the eager default
    dtype (float32 unless changed) when it is None."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", dtype: Any = None) -> None:
        super().__init__()
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode='{padding_mode}' is not "
                                      "supported (only 'zeros')")
        if groups != 1:
            raise NotImplementedError(f"Conv2d: groups={groups} is not supported (only 1)")
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"Conv2d: {what} must be a positive integer, got {n!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", "Conv2d")
        self.stride = _pair(stride, "stride", "Conv2d")
        self.dilation = _pair(dilation, "dilation", "Conv2d")
        self.padding = padding if isinstance(padding, str) else \
            _pair(padding, "padding", "Conv2d", 0)
        _conv_padding(self.padding, self.stride)  # (checks)
        self.groups, self.padding_mode = groups, padding_mode
        _init_parameters(self, (out_channels, in_channels, *self.kernel_size), out_channels,
                         bias, dtype)

    def forward(self, input: Any) -> Any:  # noqa: A002
        return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                      self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self)


class ConvTranspose2d(Module):
    """A 2-D transposed convolution layer (F.conv_transpose2d): weight (in_channels,
    out_channels, kH, kW) and bias (out_channels,), initialized as PyTorch's:
    kaiming_uniform_(a=sqrt(5)) for the weight, that is uniform in +-1/sqrt(fan_in) with
    fan_in = out_channels * kH * kW (the weight's dim 1 and kernel), and the bias uniform
    in the same bound. forward(input, output_size=None): output_size (H, W), or the
    whole (N, C, H, W), picks the output_padding that gives it."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                 bias: bool = True, dilation: Any = 1, padding_mode: str = "zeros",
                 dtype: Any = None) -> None:
        super().__init__()
        function = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {function}, got '
                             f"padding_mode='{padding_mode}'")
        if groups != 1:
            raise NotImplementedError(f"{function}: groups={groups} is not supported (only 1)")
        for what, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                raise ValueError(f"{function}: {what} must be a positive integer, got {n!r}")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _pair(kernel_size, "kernel_size", function)
        self.stride = _pair(stride, "stride", function)
        self.padding = _pair(padding, "padding", function, 0)
        self.output_padding = _pair(output_padding, "output_padding", function, 0)
        self.dilation = _pair(dilation, "dilation", function)
        self.groups, self.padding_mode = groups, padding_mode
        _init_parameters(self, (in_channels, out_channels, *self.kernel_size), out_channels,
                         bias, dtype)

    def forward(self, input: Any, output_size: Any = None) -> Any:  # noqa: A002
        extra = self.output_padding if output_size is None else \
            self._output_padding(input, output_size)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                extra, self.groups, self.dilation)

    def _output_padding(self, input: Any, output_size: Any) -> tuple[int, int]:  # noqa: A002
        """The output_padding that makes the output output_size (PyTorch's rule: between
        the smallest size and stride - 1 more)."""
        shape = static_shape(input)
        wanted = [int(d) for d in list(output_size)[-2:]]
        if shape is None or len(shape) not in (3, 4) or len(list(output_size)) not in (2, 4):
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or 4 elements (got "
                             f"{len(list(output_size))}) for an input of 3 or 4 dims")
        batch = tuple(shape) if len(shape) == 4 else (1, *shape)
        smallest = transposed_size(batch, (1, 1, *self.kernel_size), self.stride, self.padding,
                                   (0, 0), self.dilation, "ConvTranspose2d")
        largest = [m + s - 1 for m, s in zip(smallest, self.stride)]
        if any(not m <= w <= b for m, w, b in zip(smallest, wanted, largest)):
            raise ValueError(f"requested an output size of {wanted}, but valid sizes range "
                             f"from {list(smallest)} to {largest} (for an input of "
                             f"{list(batch[2:])})")
        return wanted[0] - smallest[0], wanted[1] - smallest[1]

    def extra_repr(self) -> str:
        return _conv_repr(self)


class MaxPool2d(Module):
    """F.max_pool2d with these arguments (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Any) -> Any:  # noqa: A002
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                          self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """F.avg_pool2d with these arguments (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: Any = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Any) -> Any:  # noqa: A002
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                          self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
