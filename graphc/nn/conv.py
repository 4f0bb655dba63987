"""PyTorch's 2-D convolution and pooling functions, F.conv2d, F.max_pool2d and F.avg_pool2d
(their modules, nn.Conv2d, nn.MaxPool2d and nn.AvgPool2d, are in conv_layers.py), in
PyTorch's NCHW layout with OIHW weights, on graphc's conv2d, max_pool and avg_pool ops
(graphc/ops/conv.py): eagerly with autograd and in graphs alike. An input of rank 3,
(C, H, W), is one unbatched image, as in PyTorch.

Not supported, each a NotImplementedError that says so: groups other than 1, padding modes
other than "zeros", and max pooling's dilation, ceil_mode=True and return_indices=True."""

from __future__ import annotations

from typing import Any

from graphc.ops import conv as ops
from graphc.ops import pool
from graphc.ops.array import expand_dims, squeeze
from graphc.ops.shape import reshape, static_shape

__all__ = ["avg_pool2d", "conv2d", "max_pool2d"]
__all__ += ["conv_transpose2d"]


def _pair(value: Any, what: str, function: str, minimum: int = 1) -> tuple[int, int]:
    if isinstance(value, list | tuple) and len(value) == 1:
        value = value[0]
    return ops.pair(value, what, function, minimum)


def _batched(input: Any, function: str) -> tuple[Any, bool]:  # noqa: A002
    """input as a batch (N, C, H, W), and whether it was one image (C, H, W)."""
    shape = static_shape(input)
    if shape is None or len(shape) not in (3, 4):
        size = "<unknown rank>" if shape is None else list(shape)
        raise RuntimeError(f"Expected 3D (unbatched) or 4D (batched) input to {function}, but "
                           f"got input of size: {size}")
    return (expand_dims(input, 0), True) if len(shape) == 3 else (input, False)


def _conv_padding(padding: Any, stride: tuple[int, int]) -> Any:
    """PyTorch's padding (an int, a pair, "valid" or "same") as the op's padding attr. With
    stride 1 PyTorch's "same" is TensorFlow's SAME (a total pad of d * (k - 1), its odd
    element at the end), which the op works out from the sizes it runs on."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string '{padding}', should be one of "
                             "{'valid', 'same'}")
        if padding == "same" and stride != (1, 1):
            raise ValueError("padding='same' is not supported for strided convolutions")
        return padding.upper()
    rows, cols = _pair(padding, "padding", "conv2d", 0)
    return (rows, rows), (cols, cols)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
           padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Any:
    """The 2-D cross-correlation of input (N, C, H, W) with weight (out, C, kH, kW), plus
    bias (out,) where given: PyTorch's F.conv2d. padding is an int, a pair, "valid" or
    "same" (stride 1 only; an odd total pad puts the extra row and column at the end)."""
    if groups != 1:
        raise NotImplementedError(f"conv2d: groups={groups} is not supported: graphc "
                                  "convolves every input channel with every filter (groups=1)")
    x, single = _batched(input, "conv2d")
    stride_, dilation_ = _pair(stride, "stride", "conv2d"), _pair(dilation, "dilation",
                                                                   "conv2d")
    y = ops.conv2d(x, weight, stride_, _conv_padding(padding, stride_), dilation_, "NCHW")
    if bias is not None:
        y = y + reshape(bias, (-1, 1, 1))
    return squeeze(y, [0]) if single else y


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1,  # noqa: A002
                     padding: Any = 0, output_padding: Any = 0, groups: int = 1,
                     dilation: Any = 1) -> Any:
    """The transposed convolution of input (N, C, H, W) or (C, H, W) with weight (C, out, kH,
    kW), plus bias (out,) where given: PyTorch's F.conv_transpose2d, the gradient of
    F.conv2d with respect to its input. The output is (H - 1) * stride - 2 * padding +
    dilation * (kH - 1) + output_padding + 1 high (and so wide), output_padding adding rows
    and columns at the bottom and right."""
    function = "conv_transpose2d"
    if groups != 1:
        raise NotImplementedError(f"{function}: groups={groups} is not supported: graphc "
                                  "convolves every input channel with every filter (groups=1)")
    x, single = _batched(input, function)
    stride_ = _pair(stride, "stride", function)
    dilation_ = _pair(dilation, "dilation", function)
    pad, extra = _pair(padding, "padding", function, 0), \
        _pair(output_padding, "output_padding", function, 0)
    size = transposed_size(static_shape(x), static_shape(weight), stride_, pad, extra,
                           dilation_, function)
    if any(e >= s + p for e, s, p in zip(extra, stride_, pad)):
        raise NotImplementedError(f"{function}: output_padding={output_padding} of at least "
                                  f"stride + padding is not supported (stride={stride}, "
                                  f"padding={padding})")
    # the convolution this transposes takes the output to H x W with these pads: the
    # output_padding rows at the bottom are under the padding or beyond every window
    pads = tuple((p, max(p - e, 0)) for p, e in zip(pad, extra))
    y = ops.conv2d_transpose(x, weight, size, stride_, pads, dilation_, "NCHW")
    if bias is not None:
        y = y + reshape(bias, (-1, 1, 1))
    return squeeze(y, [0]) if single else y


def transposed_size(x_shape: Any, w_shape: Any, stride: tuple[int, int],
                    padding: tuple[int, int], output_padding: tuple[int, int],
                    dilation: tuple[int, int], function: str) -> tuple[int, int]:
    """PyTorch's output height and width of a transposed convolution of an (N, C, H, W)
    input with an (in, out, kH, kW) weight."""
    if w_shape is None or len(w_shape) != 4 or None in w_shape[2:]:
        given = "<unknown rank>" if w_shape is None else list(w_shape)
        raise RuntimeError(f"{function}: expected a weight of size (in_channels, out_channels, "
                           f"kH, kW) with known kH and kW, but got weight of size: {given}")
    if None in x_shape[2:]:
        raise ValueError(f"{function}: the input's height and width must be known when the "
                         f"graph is built, got input of shape {list(x_shape)}")
    if any(e >= max(s, d) for e, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation, "
                           f"but got output_padding_height: {output_padding[0]} "
                           f"output_padding_width: {output_padding[1]} stride_height: "
                           f"{stride[0]} stride_width: {stride[1]} dilation_height: "
                           f"{dilation[0]} dilation_width: {dilation[1]}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + e + 1 for n, k, s, p, e, d in zip(
        x_shape[2:], w_shape[2:], stride, padding, output_padding, dilation))
    if min(size) < 1:
        raise RuntimeError(f"Given input size per channel: ({x_shape[2]} x {x_shape[3]}). "
                           f"Calculated output size per channel: ({size[0]} x {size[1]}). "
                           f"Output size is too small")
    return size[0], size[1]


def _pool_arguments(kernel_size: Any, stride: Any, padding: Any, function: str
                    ) -> tuple[tuple[int, int], tuple[int, int], Any]:
    kernel = _pair(kernel_size, "kernel_size", function)
    strides = kernel if stride is None or (isinstance(stride, list | tuple) and not stride) \
        else _pair(stride, "stride", function)
    pad = _pair(padding, "padding", function, 0)
    if any(p > k // 2 for p, k in zip(pad, kernel)):
        raise RuntimeError(f"{function}: pad should be at most half of effective kernel size, "
                           f"but got pad={padding}, kernel_size={kernel_size}")
    return kernel, strides, ((pad[0], pad[0]), (pad[1], pad[1]))


def max_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               dilation: Any = 1, ceil_mode: bool = False, return_indices: bool = False
               ) -> Any:
    """The maximum of each kernel_size window of input (N, C, H, W) or (C, H, W), moved by
    stride (default: kernel_size); padding (-inf, at most half the kernel) on both sides.
    The gradient goes to the first maximum of a window (row-major), as PyTorch's CPU
    kernel."""
    if _pair(dilation, "dilation", "max_pool2d") != (1, 1):
        raise NotImplementedError(f"max_pool2d: dilation={dilation} is not supported (only 1)")
    if ceil_mode:
        raise NotImplementedError("max_pool2d: ceil_mode=True is not supported (the output "
                                  "size is rounded down, as with ceil_mode=False)")
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    kernel, strides, pads = _pool_arguments(kernel_size, stride, padding, "max_pool2d")
    x, single = _batched(input, "max_pool2d")
    y = pool.max_pool(x, kernel, strides, pads, "NCHW")
    return squeeze(y, [0]) if single else y


def avg_pool2d(input: Any, kernel_size: Any, stride: Any = None, padding: Any = 0,  # noqa: A002
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: Any = None) -> Any:
    """The mean of each kernel_size window of input (N, C, H, W) or (C, H, W), moved by
    stride (default: kernel_size), zero padding on both sides counted in the mean
    (count_include_pad=True, PyTorch's default) or not."""
    if ceil_mode:
        raise NotImplementedError("avg_pool2d: ceil_mode=True is not supported (the output "
                                  "size is rounded down, as with ceil_mode=False)")
    if divisor_override is not None:
        raise NotImplementedError("avg_pool2d: divisor_override is not supported")
    kernel, strides, pads = _pool_arguments(kernel_size, stride, padding, "avg_pool2d")
    x, single = _batched(input, "avg_pool2d")
    y = pool.avg_pool(x, kernel, strides, pads, "NCHW", count_include_pad=count_include_pad)
    return squeeze(y, [0]) if single else y
