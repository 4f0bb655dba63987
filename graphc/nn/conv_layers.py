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
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter

__all__ = ["AvgPool2d", "Conv2d", "MaxPool2d"]


PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


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
        np_dtype = (get_default_dtype() if dtype is None else as_dtype(dtype)).np
        self.weight = Parameter(np.empty((out_channels, in_channels, *self.kernel_size),
                                         np_dtype))
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if bias:
            fan_in = in_channels * self.kernel_size[0] * self.kernel_size[1]
            bound = 1 / math.sqrt(fan_in)
            self.bias = Parameter(np.empty(out_channels, np_dtype))
            init.uniform_(self.bias, -bound, bound)
        else:
            object.__setattr__(self, "bias", None)

    def forward(self, input: Any) -> Any:  # noqa: A002
        return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                      self.dilation, self.groups)

    def extra_repr(self) -> str:
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self._parameters.get("bias") is None:
            text += ", bias=False"
        return text


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
