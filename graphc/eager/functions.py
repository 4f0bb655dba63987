"""PyTorch's functions on tensors (torch.sin, torch.cat, torch.unsqueeze, ...), each one of
graphc's ops under PyTorch's name and argument names, so gradients flow as for the op."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphc.ops import array as _array
from graphc.ops.elementwise import (abs, add, cos, divide, exp, log, multiply, negative, pow,
                                    relu, sigmoid, sin, sqrt, square, subtract, tanh, where)
from graphc.ops.linalg import matmul as _matmul
from graphc.ops.operators import clamp
from graphc.ops.shape import reshape as _reshape
from graphc.ops.shape import transpose as _transpose

__all__ = ["abs", "add", "cat", "clamp", "cos", "div", "exp", "flatten", "log", "matmul",
           "mm", "mul", "neg", "numel", "pow", "relu", "reshape", "sigmoid", "sin", "sqrt",
           "square", "squeeze", "stack", "sub", "t", "tanh", "transpose", "unsqueeze",
           "where"]

sub, mul, div, neg = subtract, multiply, divide, negative


def matmul(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's names
    """The matrix product (batched over leading dims, as numpy's matmul)."""
    return _matmul(input, other)


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """The product of two matrices (2-d tensors)."""
    for name, m in (("input", input), ("mat2", mat2)):
        if len(m.shape) != 2:
            raise RuntimeError(f"mm: {name} must be a matrix (2-d), got shape {tuple(m.shape)}")
    return _matmul(input, mat2)


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """The tensors joined along dim (one dtype; equal shapes but along dim)."""
    return _array.concat(list(tensors), dim)


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """The tensors (one shape) stacked along a new dim."""
    return _array.stack(list(tensors), dim)


def unsqueeze(input: Any, dim: int) -> Any:  # noqa: A002
    """input with a new dim of size 1 at `dim` (-1 appends one)."""
    return _array.expand_dims(input, dim)


def squeeze(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """input without dims of size 1 (only `dim`, if given: left as is when its size is not
    1, as PyTorch does)."""
    if dim is None:
        return _array.squeeze(input)
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    rank = len(input.shape)
    for d in dims:
        if not -rank <= d < rank:
            raise IndexError(f"squeeze: dim {d} is out of range for shape {tuple(input.shape)}")
    ones = [d for d in dims if input.shape[d] == 1]
    return _array.squeeze(input, ones) if ones else input


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:  # noqa: A002
    """input with dims start_dim..end_dim merged into one (graphc.nn.functional.flatten)."""
    from graphc.nn import functional

    return functional.flatten(input, start_dim, end_dim)


def reshape(input: Any, shape: Sequence[int]) -> Any:  # noqa: A002
    """input's elements in `shape` (one dim may be -1)."""
    return _reshape(input, tuple(shape))


def transpose(input: Any, dim0: int, dim1: int) -> Any:  # noqa: A002
    """input with dims dim0 and dim1 swapped."""
    rank = len(input.shape)
    perm = list(range(rank))
    try:
        perm[dim0], perm[dim1] = perm[dim1], perm[dim0]
    except IndexError:
        raise IndexError(f"transpose: dims ({dim0}, {dim1}) are out of range for shape "
                         f"{tuple(input.shape)}") from None
    return _transpose(input, perm)


def t(input: Any) -> Any:  # noqa: A002
    """A matrix transposed (0-d and 1-d tensors as they are)."""
    if len(input.shape) > 2:
        raise RuntimeError(f"t() expects a tensor of at most 2 dims, got shape "
                           f"{tuple(input.shape)}; use transpose(input, dim0, dim1)")
    return _transpose(input) if len(input.shape) == 2 else input


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements."""
    return int(input.numel())
