"""tensordot: transposes, reshapes and one matmul, so it runs on the BLAS where matmul does;
an einsum (ops/einsum.py) where the shapes known while building cannot be reshaped into a
matrix."""

from __future__ import annotations

import string
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.array import static_int
from graphc.ops.composite import scope
from graphc.ops.einsum import einsum
from graphc.ops.linalg import matmul
from graphc.ops.shape import reshape, static_shape, transpose

__all__ = ["einsum", "tensordot"]


# -- tensordot --------------------------------------------------------------------------------
def _tensordot_axes(axes: Any, ra: int, rb: int, sa: Any, sb: Any,
                    function: str) -> tuple[list[int], list[int]]:
    """(a's axes, b's axes) to contract, as non-negative ints."""
    if isinstance(axes, int | np.integer) and not isinstance(axes, bool):
        n = int(axes)
        if n < 0 or n > min(ra, rb):
            raise ValueError(f"{function}: axes = {n} must be in 0..{min(ra, rb)} for "
                             f"shapes {shapes.fmt(sa)} and {shapes.fmt(sb)}")
        return list(range(ra - n, ra)), list(range(n))
    if core.is_eager(axes) or isinstance(axes, Tensor):
        raise TypeError(f"{function}: axes must be an int or two lists of ints, not a tensor")
    try:
        first, second = axes
    except (TypeError, ValueError):
        raise ValueError(f"{function}: axes must be an int or a pair of lists of axes, got "
                         f"{axes!r}") from None
    pairs = []
    for items, rank, shape in ((first, ra, sa), (second, rb, sb)):
        items = [items] if isinstance(items, int | np.integer) else list(items)
        listed = [static_int(a, "each axis", function) for a in items]
        if any(not -rank <= a < rank for a in listed) or \
                len({a % rank for a in listed}) != len(listed):
            raise ValueError(f"{function}: axes {listed} are out of range or repeated for "
                             f"shape {shapes.fmt(shape)}")
        pairs.append([a % rank for a in listed])
    if len(pairs[0]) != len(pairs[1]):
        raise ValueError(f"{function}: {len(pairs[0])} axes of a and {len(pairs[1])} of b "
                         f"(axes {axes!r}); they must pair up")
    return pairs[0], pairs[1]


def tensordot(a: Any, b: Any, axes: Any, name: str | None = None) -> Any:
    """The sum of products of a's `axes[0]` with b's `axes[1]` (pairwise), as tf.tensordot
    and np.tensordot: an int n pairs a's last n dims with b's first n. The result's dims are
    a's left over, then b's."""
    sa, sb = static_shape(a), static_shape(b)
    if sa is None or sb is None:
        raise ValueError("tensordot: the operands' ranks must be known when the graph is built")
    ra, rb = len(sa), len(sb)
    axes_a, axes_b = _tensordot_axes(axes, ra, rb, sa, sb, "tensordot")
    for i, j in zip(axes_a, axes_b):
        if sa[i] is not None and sb[j] is not None and sa[i] != sb[j]:
            raise ValueError(f"tensordot: axis {i} of a (shape {shapes.fmt(sa)}) and axis {j} "
                             f"of b (shape {shapes.fmt(sb)}) differ in size")
    free_a = [d for d in range(ra) if d not in axes_a]
    free_b = [d for d in range(rb) if d not in axes_b]
    letters = string.ascii_letters
    subs_a = "".join(letters[d] for d in range(ra))
    contracted = {j: subs_a[i] for i, j in zip(axes_a, axes_b)}
    subs_b = "".join(contracted.get(d, letters[ra + d]) for d in range(rb))
    out = "".join(subs_a[d] for d in free_a) + "".join(subs_b[d] for d in free_b)
    dims = [sa[d] for d in free_a] + [sb[d] for d in free_b]
    k = [sa[d] for d in axes_a]
    with scope(name, "Tensordot", a, b):
        if None in k or sum(d is None for d in dims) > 1 or (None in dims and 0 in dims + k):
            return einsum(f"{subs_a},{subs_b}->{out}", a, b)  # (no single reshape fits)
        size = prod(d for d in k if d is not None)  # (all known here)
        left = _moved(a, free_a + axes_a, (_product([sa[d] for d in free_a]), size))
        right = _moved(b, axes_b + free_b, (size, _product([sb[d] for d in free_b])))
        return reshape(matmul(left, right), [-1 if d is None else d for d in dims])


def _product(dims: list[Any]) -> int:
    """The number of elements dims hold, -1 when one is unknown."""
    return -1 if None in dims else prod(dims)


def _moved(x: Any, order: list[int], shape: tuple[int, int]) -> Any:
    if order != sorted(order):
        x = transpose(x, order)
    return reshape(x, shape)
