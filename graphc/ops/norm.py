"""tf.norm (tf.linalg.norm): vector and matrix norms composed of elementwise ops and
reductions, so their gradients are those ops' gradients. The euclidean norm is
sqrt(reduce_sum(square(x))): its gradient at x = 0 is NaN (0 * inf), as TensorFlow's is."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.graph import Tensor
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import abs, pow, sqrt, square
from graphc.ops.reduce import reduce_max, reduce_sum
from graphc.ops.shape import identity

__all__ = ["norm"]

_EUCLIDEAN = ("euclidean", "fro")


def _is(ord: Any, value: Any) -> bool:  # noqa: A002 - TensorFlow's name
    """Whether ord is `value` (a string compared as a string, a number as a number)."""
    if isinstance(ord, str) or isinstance(value, str):
        return ord == value
    return isinstance(ord, int | float | np.integer | np.floating) and float(ord) == value


def _axes(axis: Any, rank: int | None) -> tuple[int, ...] | None:
    """axis as a tuple of one or two ints (non-negative where the rank is known)."""
    if axis is None:
        return None
    if isinstance(axis, Tensor):
        raise TypeError("norm: axis must be an int or a pair of ints known when the graph is "
                        "built, not a tensor")
    items = tuple(int(a) for a in (axis if isinstance(axis, list | tuple | np.ndarray)
                                   else (axis,)))
    if len(items) not in (1, 2):
        raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                         f"integers, got {axis}")
    if rank is not None:
        for a in items:
            if not -rank <= a < rank:
                raise ValueError(f"norm: axis {a} is out of range for a tensor of rank {rank}")
        items = tuple(a % rank for a in items)
    if len(items) == 2 and items[0] == items[1]:
        raise ValueError(f"norm: 'axis' must be None, an integer, or a tuple of 2 unique "
                         f"integers, got {axis}")
    return items


def norm(tensor: Any, ord: Any = "euclidean", axis: Any = None,  # noqa: A002 - TF's name
         keepdims: Any = None, name: str | None = None, keep_dims: Any = None) -> Any:
    """The norm of `tensor` over `axis`, as TensorFlow's tf.norm computes it.

    axis None: the norm of all the values as one vector; an int: vector norms along it; a
    pair of ints: matrix norms over those two dims. Vector norms: ord 'euclidean' (also
    'fro' and 2), 1, np.inf, or any p > 0 (sum(|x|**p) ** (1/p)). Matrix norms: 'euclidean'
    or 'fro' (Frobenius), 1 (largest column sum of |x|), np.inf (largest row sum); ord 2
    (the largest singular value) is not supported. keepdims keeps the reduced dims as 1s
    (keep_dims is TensorFlow 1's name for it)."""
    if keep_dims is not None:
        if keepdims is not None:
            raise ValueError("norm: give keepdims or keep_dims (its TensorFlow 1 name), not both")
        keepdims = keep_dims
    keep = bool(keepdims)
    x = convert_to_tensor(tensor)
    rank = None if x.shape is None else len(x.shape)
    axes = _axes(axis, rank)
    if axes is not None and len(axes) == 2:  # a matrix norm
        if any(_is(ord, o) for o in _EUCLIDEAN):
            result = sqrt(reduce_sum(square(x), axes, keepdims=keep))
        elif _is(ord, 1) or _is(ord, np.inf):
            summed = axes[0] if _is(ord, 1) else axes[1]  # columns' sums, or rows'
            result = reduce_max(reduce_sum(abs(x), summed, keepdims=True), axes, keepdims=keep)
        elif _is(ord, 2):
            raise ValueError("norm: ord=2 over a pair of axes (the spectral norm, the largest "
                             "singular value) is not supported; 'fro', 'euclidean', 1 and "
                             "np.inf are")
        else:
            raise ValueError(f"norm: 'ord' must be a supported matrix norm in ['euclidean', "
                             f"'fro', 1, inf] for a pair of axes, got {ord!r}")
    elif any(_is(ord, o) for o in (*_EUCLIDEAN, 2)):
        result = sqrt(reduce_sum(square(x), axes, keepdims=keep))
    elif _is(ord, 1):
        result = reduce_sum(abs(x), axes, keepdims=keep)
    elif _is(ord, np.inf):
        result = reduce_max(abs(x), axes, keepdims=keep)
    elif not isinstance(ord, str) and isinstance(ord, int | float | np.integer | np.floating) \
            and 0 < float(ord) < np.inf:
        p = float(ord)
        result = pow(reduce_sum(pow(abs(x), p), axes, keepdims=keep), 1.0 / p)
    else:
        raise ValueError(f"norm: 'ord' must be a supported vector norm ('euclidean', 'fro', "
                         f"1, 2, np.inf or a number p > 0), got {ord!r}")
    return identity(result, name=name) if name is not None else result
