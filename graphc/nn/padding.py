"""PyTorch's padding: F.pad and the modules nn.ZeroPad1d/2d/3d, nn.ConstantPad1d/2d/3d,
nn.ReflectionPad1d/2d/3d, nn.ReplicationPad1d/2d/3d and nn.CircularPad1d/2d/3d, on graphc's
pad op (graphc/ops/pad.py): eagerly with autograd and in graphs alike.

PyTorch lists the pads from the last dim backward, (left, right, top, bottom, front, back);
a negative pad in mode "constant" crops (a slice, then the padding)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.index import getitem
from graphc.ops.pad import as_tensor, pad_op
from graphc.ops.shape import static_shape
from graphc.nn.module import Module

__all__ = ["CircularPad1d", "CircularPad2d", "CircularPad3d", "ConstantPad1d",
           "ConstantPad2d", "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d",
           "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
           "ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "pad"]

MODES = ("constant", "reflect", "replicate", "circular")


def _pad_list(pad: Any) -> list[int]:
    if isinstance(pad, Tensor) or core.is_eager(pad):
        raise TypeError("pad(): argument 'pad' must be a tuple of ints known when the graph "
                        "is built, not a tensor")
    try:
        items = list(pad)
    except TypeError:
        raise TypeError(f"pad(): argument 'pad' must be tuple of ints, not "
                        f"{type(pad).__name__}") from None
    for k, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, int | np.integer):
            raise TypeError(f"pad(): argument 'pad' must be tuple of ints, but found element "
                            f"of type {type(item).__name__} at pos {k}")
    return [int(item) for item in items]


def pad(input: Any, pad: Any, mode: str = "constant", value: Any = None) -> Any:  # noqa: A002
    """input padded as PyTorch's F.pad: `pad` lists (before, after) pairs from the last dim
    backward, (left, right), (left, right, top, bottom), ...; mode "constant" (with `value`,
    default 0; a negative pad crops), "reflect" (mirrored, edges not repeated),
    "replicate" (the edge repeated) or "circular" (wrapped around). The last three pad the
    last 1, 2 or 3 dims of an input with 1 or 2 more dims, as PyTorch's."""
    x = as_tensor(input, "pad")
    items = _pad_list(pad)
    shape = static_shape(x)
    if shape is None:
        raise ValueError("pad: the input's rank must be known when the graph is built")
    rank = len(shape)
    if len(items) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if len(items) > 2 * rank:
        raise RuntimeError(f"Padding length should be less than or equal to two times the "
                           f"input dimension but got padding length {len(items)} and input "
                           f"of dimension {rank}")
    if mode not in MODES:
        raise NotImplementedError(f"Unrecognised padding mode {mode} (expected one of "
                                  f"{list(MODES)})")
    count = len(items) // 2
    if mode != "constant":
        if value is not None and value != 0:
            raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
        if count not in (1, 2, 3) or rank not in (count + 1, count + 2):
            raise RuntimeError(f"Only 2D, 3D, 4D, 5D padding with non-constant padding are "
                               f"supported for now (pad of length {len(items)} on an input "
                               f"of {rank} dimensions: mode '{mode}' pads the last 1, 2 or "
                               "3 dimensions of an input with 1 or 2 more)")
    paddings = [(0, 0)] * rank
    for k in range(count):
        paddings[rank - 1 - k] = (items[2 * k], items[2 * k + 1])
    if mode == "constant" and any(b < 0 or a < 0 for b, a in paddings):
        x, paddings = _cropped(x, shape, paddings)
    dtype = as_dtype(x.dtype)
    fill = 0 if value is None else value
    if not dtype.is_floating and not isinstance(fill, Tensor) and not core.is_eager(fill):
        fill = np.asarray(fill).astype(dtype.np).item()  # (PyTorch casts the value)
    return pad_op(x, paddings, mode, fill, function="pad")


def _cropped(x: Any, shape: tuple[Any, ...], paddings: list[tuple[int, int]]
             ) -> tuple[Any, list[tuple[int, int]]]:
    """x with its negative pads cropped off, and the pads left to add."""
    for axis, (n, (before, after)) in enumerate(zip(shape, paddings)):
        if n is not None and n + before + after < 0:
            raise RuntimeError(f"The input size {n}, plus negative padding {before} and "
                               f"{after} resulted in a negative output size, which is "
                               f"invalid. Check dimension {axis} of your input.")
    index = tuple(slice(max(-before, 0), -max(-after, 0) or None)
                  for before, after in paddings)
    return getitem(x, index), [(max(before, 0), max(after, 0)) for before, after in paddings]


def _ntuple(padding: Any, n: int) -> tuple[Any, ...]:
    """An int repeated 2n times (PyTorch's _pair, _quadruple...); a sequence as given."""
    if isinstance(padding, int | np.integer) and not isinstance(padding, bool):
        return (int(padding),) * (2 * n)
    return tuple(padding)


class _PadNd(Module):
    mode = "constant"
    dims = 1

    def __init__(self, padding: Any, value: Any = 0.0) -> None:
        super().__init__()
        self.padding = _ntuple(padding, self.dims)
        self.value = value

    def forward(self, input: Any) -> Any:  # noqa: A002
        if self.mode == "constant":
            return pad(input, self.padding, "constant", self.value)
        return pad(input, self.padding, self.mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding: Any, value: Any) -> None:
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pads the last dim with `value`: padding an int or (left, right)."""


class ConstantPad2d(_ConstantPadNd):
    """Pads the last two dims with `value`: padding an int or (left, right, top, bottom)."""

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pads the last three dims with `value`: padding an int or (left, right, top, bottom,
    front, back)."""

    dims = 3


class _ZeroPadNd(_PadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding, 0.0)


class ZeroPad1d(_ZeroPadNd):
    """Pads the last dim with zeros: padding an int or (left, right)."""


class ZeroPad2d(_ZeroPadNd):
    """Pads the last two dims with zeros: padding an int or (left, right, top, bottom)."""

    dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pads the last three dims with zeros: padding an int or six ints."""

    dims = 3


class _ModePadNd(_PadNd):
    def __init__(self, padding: Any) -> None:
        super().__init__(padding)


class ReflectionPad1d(_ModePadNd):
    """Pads the last dim of (C, W) or (N, C, W) with its reflection (edges not repeated)."""

    mode = "reflect"


class ReflectionPad2d(_ModePadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with their reflection."""

    mode, dims = "reflect", 2


class ReflectionPad3d(_ModePadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with their reflection."""

    mode, dims = "reflect", 3


class ReplicationPad1d(_ModePadNd):
    """Pads the last dim of (C, W) or (N, C, W) with copies of its edge elements."""

    mode = "replicate"


class ReplicationPad2d(_ModePadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) with copies of their edges."""

    mode, dims = "replicate", 2


class ReplicationPad3d(_ModePadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) with copies of their
    edges."""

    mode, dims = "replicate", 3


class CircularPad1d(_ModePadNd):
    """Pads the last dim of (C, W) or (N, C, W) by wrapping around."""

    mode = "circular"


class CircularPad2d(_ModePadNd):
    """Pads the last two dims of (C, H, W) or (N, C, H, W) by wrapping around."""

    mode, dims = "circular", 2


class CircularPad3d(_ModePadNd):
    """Pads the last three dims of (C, D, H, W) or (N, C, D, H, W) by wrapping around."""

    mode, dims = "circular", 3
