"""Compositions that move or mask elements by position: reverse (a flip along axes: an
index with negative steps) and matrix_band_part (the band of each innermost matrix: a
selection against a mask of positions). No ops of their own, so they run natively where
their ops do and differentiate through them."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import int64
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.array import axis_index, own_dtype, static_rank, static_int
from graphc.ops.composite import scope
from graphc.ops.constant import ones_like
from graphc.ops.elementwise import greater_equal, less_equal, where
from graphc.ops.index import getitem
from graphc.ops.scan import cumsum
from graphc.ops.shape import identity, static_shape


def reverse_axes(x: Any, axis: Any, function: str) -> tuple[int, ...]:
    """The axes of a flip as non-negative ints: each in range, none given twice."""
    shape = static_shape(x)
    if shape is None:
        raise ValueError(f"{function}: the input's rank must be known when the graph is built")
    if core.is_eager(axis) or hasattr(axis, "node"):
        raise TypeError(f"{function}: the axes must be ints known when the graph is built, "
                        "not a tensor")
    items = list(axis) if isinstance(axis, list | tuple | np.ndarray) else [axis]
    rank = len(shape)
    axes = [axis_index(a, max(rank, 1), function, tuple(shape)) for a in items]
    for a in set(axes):
        if axes.count(a) > 1:
            raise ValueError(f"{function}: axis {a} is given twice in {items} for shape "
                             f"{shapes.fmt(tuple(shape))}")
    return tuple(axes) if rank else ()


def reverse(tensor: Any, axis: Any, name: str | None = None) -> Any:
    """tensor with the order of its elements reversed along each axis in `axis` (a list of
    ints; an int), as tf.reverse. A view where numpy gives one."""
    return reversed_along(tensor, axis, "reverse", name)


def reversed_along(x: Any, axis: Any, function: str, name: str | None = None) -> Any:
    """x reversed along the axes `axis` names (reverse_axes), errors naming `function`: an
    index with negative steps (a view where numpy gives one), or x's identity for none."""
    axes = reverse_axes(x, axis, function)
    if not axes:
        return identity(x, name=name)
    rank = static_rank(x, function)
    index = tuple(slice(None, None, -1) if d in axes else slice(None) for d in range(rank))
    return getitem(x, index, name=name)


def band(x: Any, low: int | None, high: int | None, function: str,
         name: str | None = None) -> Any:
    """x with each innermost matrix's entries (i, j) kept where low <= j - i <= high (a
    bound of None: no bound), and the others zero (False for bools)."""
    shape = static_shape(x)
    if shape is None or len(shape) < 2:
        raise ValueError(f"{function}: the input must have at least 2 dimensions, got shape "
                         f"{shapes.fmt(None if shape is None else tuple(shape))}")
    if not isinstance(x, Tensor) and not core.is_eager(x):
        x = core.convert_to_tensor(x, op=function)
    if low is None and high is None:
        return identity(x, name=name)
    n, m = tuple(shape)[-2:]
    zero = False if x.dtype.is_bool else 0
    if n is not None and m is not None:
        offsets = np.arange(m)[None, :] - np.arange(n)[:, None]
        keep = np.ones((n, m), bool)
        if low is not None:
            keep &= offsets >= low
        if high is not None:
            keep &= offsets <= high
        if keep.all():
            return identity(x, name=name)
        with scope(name, function, x):
            return where(own_dtype(keep, x, function), x, zero)
    with scope(name, function, x):  # sizes known at run time: positions counted by cumsum
        ones = ones_like(x, dtype=int64)
        rank = len(shape)
        offsets = cumsum(ones, rank - 1, exclusive=True) - cumsum(ones, rank - 2, exclusive=True)
        above = None if low is None else greater_equal(offsets, low)
        below = None if high is None else less_equal(offsets, high)
        kept = below if above is None else above if below is None else \
            where(above, below, False)
        return where(kept, x, zero)


def matrix_band_part(input: Any, num_lower: Any, num_upper: Any,  # noqa: A002 - TF's name
                     name: str | None = None) -> Any:
    """The band of each innermost matrix of input, as tf.matrix_band_part (tf.linalg.
    band_part): entry (i, j) is kept where num_lower < 0 or i - j <= num_lower, and
    num_upper < 0 or j - i <= num_upper; the others are 0. (0, -1) is the upper triangle,
    (-1, 0) the lower, (0, 0) the diagonal. The gradient flows to the band."""
    lower = static_int(num_lower, "num_lower", "matrix_band_part")
    upper = static_int(num_upper, "num_upper", "matrix_band_part")
    return band(input, -lower if lower >= 0 else None, upper if upper >= 0 else None,
                "matrix_band_part", name)
