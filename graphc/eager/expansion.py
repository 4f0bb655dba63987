"""PyTorch's expand, expand_as and repeat, on eager and graph tensors: broadcast_like (whose
gradient sums back to the input's shape) and tile, under PyTorch's names and rules."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import shapes
from graphc.eager.functions import input_shape, tile
from graphc.eager.tensor import Tensor
from graphc.ops import core
from graphc.ops.array import expand_dims
from graphc.ops.constant import FILL_LIKE, fill
from graphc.ops.core import apply
from graphc.ops.shape import broadcast_like
from graphc.runtime.cuda.device import is_device_array, to_device


def _sizes(sizes: tuple[Any, ...]) -> tuple[Any, ...]:
    """PyTorch takes expand(2, 3) and expand((2, 3)) alike."""
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], tuple | list) \
        else sizes


def expanded_shape(shape: tuple[Any, ...], sizes: tuple[Any, ...]) -> tuple[Any, ...]:
    """The shape expand(*sizes) gives a tensor of `shape` (None for a graph tensor's unknown
    dim): sizes line up with shape's trailing dims; -1 keeps a dim; a dim of size 1 may take
    any size; new leading dims are added (not -1). PyTorch's errors otherwise."""
    sizes = tuple(int(s) for s in sizes)
    lead = len(sizes) - len(shape)
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be "
                           f"greater or equal to the number of dimensions in the tensor "
                           f"({len(shape)}, shape {shapes.fmt(shape)})")
    out: list[Any] = []
    for i, size in enumerate(sizes):
        if i < lead:
            if size < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({size}) isn't "
                                   f"allowed in a leading, non-existing dimension {i}")
            out.append(size)
            continue
        have = shape[i - lead]
        if size == -1 or size == have:
            out.append(have)
        elif (have == 1 or have is None) and size >= 0:  # (an unknown dim: checked at run time)
            out.append(size)
        else:
            raise RuntimeError(f"expand: the expanded size of the tensor ({size}) must match "
                               f"the existing size ({have}) at non-singleton dimension {i}. "
                               f"Target sizes: {list(sizes)}. Tensor sizes: "
                               f"{list(shape)}")
    return tuple(out)


def expand(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """input broadcast to `sizes` (see expanded_shape); the gradient sums back over the
    expanded dims. An eager result is a new tensor (PyTorch's shares memory, with stride
    0: writing into an expanded tensor is rare, and an error there)."""
    shape = input_shape(input, "expand")
    target = expanded_shape(shape, _sizes(sizes))
    if target == shape:
        return input
    return broadcast_like(input, _like(input, shape, target))


def _like(x: Any, shape: tuple[Any, ...], target: tuple[Any, ...]) -> Any:
    """A tensor of `target` shape whose values are never read (broadcast_like reads only
    its shape): eagerly one zero seen through stride-0 dims, no memory of that size."""
    if core.is_eager(x):
        zeros = np.broadcast_to(np.zeros((), x.dtype.np), target)
        return Tensor(to_device(np.zeros(target, x.dtype.np)) if is_device_array(x.array)
                      else zeros)
    if None not in target:
        return fill(target, 0, x.dtype)
    # a graph tensor's unknown dims are kept (-1): x's run-time shape, with the new and the
    # widened dims of a zero fill broadcast onto it
    like = apply(FILL_LIKE, x, value=x.dtype.np.type(0), dtype=x.dtype)
    for _ in range(len(target) - len(shape)):
        like = expand_dims(like, 0)
    ones = tuple(1 if d is None else d for d in target)
    return like + fill(ones, 0, x.dtype)


def expand_as(input: Any, other: Any) -> Any:  # noqa: A002
    """input expanded to other's shape (expand(*other.shape))."""
    shape = input_shape(other, "expand_as")
    if None not in shape:
        return expand(input, *shape)
    own = input_shape(input, "expand_as")
    expanded_shape(own, tuple(-1 if d is None else d for d in shape))  # PyTorch's checks
    return broadcast_like(input, other)


def repeat(input: Any, *sizes: Any) -> Any:  # noqa: A002
    """input repeated sizes[k] times along each dim k, as Tensor.repeat: sizes has at least
    as many entries as input has dims (more add leading dims). Unlike expand it copies."""
    reps = _sizes(sizes)
    rank = len(input_shape(input, "repeat"))
    if len(reps) < rank:
        raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(reps)}) can "
                           f"not be smaller than number of dimensions of tensor ({rank})")
    if any(int(r) < 0 for r in reps):
        raise RuntimeError(f"repeat: trying to create tensor with negative dimension: {reps}")
    return tile(input, *reps)
