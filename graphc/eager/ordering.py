"""PyTorch's functions that scan, sort, flip, mask or cut along dims (torch.cumsum,
torch.sort, torch.topk, torch.flip, torch.tril, torch.chunk, torch.index_select, ...), on
graphc's ops (ops/scan.py, ops/sort.py, ops/arrange.py, ops/array.py). Like functions.py's,
they take graph tensors too, and methods.py installs them as methods on both."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype, int64
from graphc.eager.functions import dim_index, input_shape, split
from graphc.eager.reductions import ValuesIndices
from graphc.ops import array as _array
from graphc.ops import core, scan
from graphc.ops.arrange import band, reversed_along
from graphc.ops.elementwise import cast
from graphc.ops.shape import identity, reshape
from graphc.ops.sort import sort_along

__all__ = ["argsort", "chunk", "cumprod", "cumsum", "flip", "index_select", "sort", "topk",
           "tril", "triu"]


def _accumulated(input: Any, dtype: Any) -> Any:  # noqa: A002
    """input as the dtype PyTorch accumulates it in: `dtype` if given, int64 for integers
    and bools, else its own."""
    if dtype is not None:
        return cast(input, as_dtype(dtype))
    return input if input.dtype.is_floating or input.dtype == int64 else cast(input, int64)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """The cumulative sum along dim (integers and bools sum as int64)."""
    shape = input_shape(input, "cumsum")
    return scan.cumsum(_accumulated(input, dtype), dim_index(dim, len(shape), shape, "cumsum"))


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """The cumulative product along dim (integers and bools multiply as int64); its
    gradient is exact where input holds zeros."""
    shape = input_shape(input, "cumprod")
    return scan.cumprod(_accumulated(input, dtype), dim_index(dim, len(shape), shape, "cumprod"))


def sort(input: Any, dim: int = -1, descending: bool = False,  # noqa: A002
         stable: bool = False) -> ValuesIndices:
    """(values, indices) of input sorted along dim; always stable (equal values keep their
    order), NaN largest (last when ascending, first when descending). The indices are
    int64; the gradient flows back to each value's place."""
    shape = input_shape(input, "sort")
    d = dim_index(dim, len(shape), shape, "sort")
    return ValuesIndices(*sort_along(input, d, bool(descending), None, int64, "sort"))


def argsort(input: Any, dim: int = -1, descending: bool = False,  # noqa: A002
            stable: bool = False) -> Any:
    """The int64 indices that sort input along dim (stable, NaN largest)."""
    shape = input_shape(input, "argsort")
    d = dim_index(dim, len(shape), shape, "argsort")
    return sort_along(input, d, bool(descending), None, int64, "argsort", values=False)[1]


def topk(input: Any, k: int, dim: int = -1, largest: bool = True,  # noqa: A002
         sorted: bool = True) -> ValuesIndices:  # noqa: A002 - PyTorch's name
    """(values, indices) of the k largest (smallest, with largest=False) entries along dim,
    in order (also when sorted=False); of equal values the lower index comes first, NaN is
    the largest. k larger than the dim is a ValueError naming the shape."""
    shape = input_shape(input, "topk")
    d = dim_index(dim, len(shape), shape, "topk")
    return ValuesIndices(*sort_along(input, d, bool(largest), k, int64, "topk"))


def flip(input: Any, *args: Any, dims: Any = None) -> Any:  # noqa: A002
    """input with its elements in reverse order along each of dims (a copy, as PyTorch's);
    takes flip(x, (0, 1)), flip(x, dims=0) and x.flip(0, 1)."""
    axes_given = dims if dims is not None else args[0] if len(args) == 1 else args
    out = reversed_along(input, axes_given, "flip")
    # (eagerly its own memory: a copy of the reversed view)
    return identity(out) if core.is_eager(out) and out._base is not None else out


def tril(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The lower triangle of each innermost matrix (entries with j - i <= diagonal); the
    others 0."""
    return band(input, None, _int(diagonal, "diagonal", "tril"), "tril")


def triu(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The upper triangle of each innermost matrix (entries with j - i >= diagonal); the
    others 0."""
    return band(input, _int(diagonal, "diagonal", "triu"), None, "triu")


def _int(value: Any, what: str, function: str) -> int:
    return _array.static_int(value, what, function)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:  # noqa: A002
    """input cut along dim into at most `chunks` parts of ceil(size / chunks) elements
    (the last one smaller), as torch.chunk."""
    chunks = _int(chunks, "chunks", "chunk")
    if chunks < 1:
        raise ValueError(f"chunk: chunks must be greater than 0, got {chunks}")
    shape = input_shape(input, "chunk")
    d = dim_index(dim, len(shape), shape, "chunk")
    n = shape[d] if shape else 1
    if n is None:
        raise ValueError(f"chunk: the size of dim {d} of graph tensor '{input.name}' (shape "
                         f"{shapes.fmt(shape)}) must be known when the graph is built")
    return split(input, max(math.ceil(n / chunks), 1), d)


def index_select(input: Any, dim: int, index: Any) -> Any:  # noqa: A002
    """The slices of input at `index` (a vector of integers) along dim: input's shape with
    dim's size the index's length. The gradient adds up at the indices."""
    shape = input_shape(input, "index_select")
    d = dim_index(dim, len(shape), shape, "index_select")
    index = _array.indices_for(index, input, "index_select")
    index_shape = tuple(index.shape)
    if len(index_shape) > 1:
        raise ValueError(f"index_select: the index must be a vector (1-D), got shape "
                         f"{shapes.fmt(index_shape)}")
    if not index.dtype.is_integer:
        raise TypeError(f"index_select: the index must be integers, not {index.dtype.name}")
    x = reshape(input, (1,)) if not shape else input
    if core.is_eager(index) and shape and shape[d] is not None:
        values = np.asarray(index)
        if values.size and (values.min() < 0 or values.max() >= shape[d]):
            bad = values[(values < 0) | (values >= shape[d])].ravel()[0]
            raise IndexError(f"index_select: index {bad} is out of range for dim {d} of "
                             f"shape {shapes.fmt(shape)}")
    out = _array.gather(x, reshape(index, (-1,)) if not index_shape else index, axis=d)
    return reshape(out, ()) if not shape else out
