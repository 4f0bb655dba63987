"""PyTorch's functions on tensors (torch.sin, torch.cat, torch.unsqueeze, ...), each one of
graphc's ops (or a few of them) under PyTorch's name and argument names, so gradients flow as
for the ops. They take graph tensors as well as eager ones (building nodes then): methods.py
installs them as methods on both, so one model function runs in both modes."""

from __future__ import annotations

import builtins
import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import bool as bool_
from graphc.ops import array as _array
from graphc.ops import core
from graphc.ops import elementwise as _elementwise
from graphc.ops.elementwise import (abs, cast, cos, divide, erf, exp, log, maximum, minimum,
                                    multiply, negative, not_equal, pow, relu, sigmoid, sign,
                                    sin, sqrt, square, tanh, where)
from graphc.ops.linalg import matmul as _matmul
from graphc.ops.operators import clamp
from graphc.ops.reduce import reduce_all, reduce_any, reduce_sum
from graphc.ops.shape import reshape as _reshape
from graphc.ops.shape import transpose as _transpose

__all__ = ["abs", "add", "cat", "clamp", "clip", "cos", "div", "dot", "equal", "erf", "exp",
           "flatten", "gather", "isnan", "log", "masked_fill", "matmul", "maximum", "minimum",
           "mm", "mul", "mv", "neg", "numel", "permute", "pow", "relu", "reshape", "sigmoid",
           "sign", "sin", "split", "sqrt", "square", "squeeze", "stack", "sub", "t", "tanh",
           "tile", "transpose", "unsqueeze", "where"]
__all__ += ["allclose", "lerp"]

mul, div, neg = multiply, divide, negative
clip = clamp  # PyTorch's alias


def is_number(value: Any) -> bool:
    return isinstance(value, numbers.Number) and not isinstance(value, complex)


def _floating(value: Any) -> bool:
    """Whether value is a floating-point number, or a tensor or array of floats."""
    if isinstance(value, float | np.floating):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and np.dtype(getattr(dtype, "np", dtype)).kind == "f"


def alpha_arguments(op: str, input: Any, other: Any, args: tuple[Any, ...],  # noqa: A002
                    alpha: Any) -> tuple[Any, Any]:
    """(other, alpha) from PyTorch's spellings of add and sub: (other, alpha=a), and the
    deprecated (a, other) that old tutorials use (`p.data.add_(-lr, p.grad)`), which
    warns as PyTorch does."""
    if args:
        if len(args) != 1 or alpha is not None or not is_number(other) or is_number(args[0]):
            raise TypeError(f"{op}() takes (other, *, alpha=1): a tensor or number, then alpha "
                            f"by keyword (or the deprecated ({op}(Number alpha, Tensor other))")
        warnings.warn(f"This overload of {op} is deprecated: {op}(Number alpha, Tensor other); "
                      f"use {op}(Tensor other, *, Number alpha) instead", UserWarning,
                      stacklevel=3)
        other, alpha = args[0], other
    if alpha is None:
        return other, 1
    if not is_number(alpha):
        raise TypeError(f"{op}(): alpha must be a number, not {type(alpha).__name__}")
    if isinstance(alpha, float | np.floating) and not (_floating(input) or _floating(other)):
        raise TypeError(f"{op}(): for integral input tensors, argument alpha must not be a "
                        f"floating point number (got {alpha!r})")
    return other, alpha


def scaled(other: Any, alpha: Any) -> Any:
    """alpha * other (other itself when alpha is 1)."""
    return other if alpha == 1 else other * alpha


def add(input: Any, other: Any, *args: Any, alpha: Any = None) -> Any:  # noqa: A002
    """input + alpha * other (alpha defaults to 1), as torch.add."""
    other, alpha = alpha_arguments("add", input, other, args, alpha)
    return _elementwise.add(input, scaled(other, alpha))


def sub(input: Any, other: Any, *args: Any, alpha: Any = None) -> Any:  # noqa: A002
    """input - alpha * other (alpha defaults to 1), as torch.sub."""
    other, alpha = alpha_arguments("sub", input, other, args, alpha)
    return _elementwise.subtract(input, scaled(other, alpha))


def matmul(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's names
    """The matrix product, as PyTorch's for 1-D and 2-D operands and for one operand of
    rank > 2 with a 1-D or 2-D other ((..., n, k) @ (k, m) -> (..., n, m)); two operands of
    rank > 2 are not supported (see graphc.ops.linalg.matmul)."""
    return _matmul(input, other)


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """The product of two matrices (2-d tensors)."""
    for name, m in (("input", input), ("mat2", mat2)):
        if len(m.shape) != 2:
            raise RuntimeError(f"mm: {name} must be a matrix (2-d), got shape {tuple(m.shape)}")
    return _matmul(input, mat2)


def dot(input: Any, tensor: Any) -> Any:  # noqa: A002
    """The inner product of two 1-D tensors of one dtype and size: a 0-d tensor."""
    shape, other = input_shape(input, "dot"), input_shape(tensor, "dot")
    if len(shape) != 1 or len(other) != 1:
        raise RuntimeError(f"1D tensors expected, but got {len(shape)}D and {len(other)}D "
                           "tensors")
    if None not in (shape[0], other[0]) and shape[0] != other[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{shape[0]}] and src "
                           f"[{other[0]}] to have the same number of elements, but got "
                           f"{shape[0]} and {other[0]} elements respectively")
    if input.dtype != tensor.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{input.dtype.name} and {tensor.dtype.name}")
    return _matmul(input, tensor)


def mv(input: Any, vec: Any) -> Any:  # noqa: A002
    """The product of a matrix (n, m) and a vector (m,): a vector (n,)."""
    shape, other = input_shape(input, "mv"), input_shape(vec, "mv")
    if len(shape) != 2 or len(other) != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {len(shape)}-d input and "
                           f"{len(other)}-d vec (shapes {shapes.fmt(shape)} and "
                           f"{shapes.fmt(other)})")
    return _matmul(input, vec)


def cat(tensors: Sequence[Any], dim: int = 0) -> Any:
    """The tensors joined along dim (one dtype; equal shapes but along dim)."""
    return _array.concat(list(tensors), dim)


def stack(tensors: Sequence[Any], dim: int = 0) -> Any:
    """The tensors (one shape) stacked along a new dim."""
    return _array.stack(list(tensors), dim)


def unsqueeze(input: Any, dim: int) -> Any:  # noqa: A002
    """input with a new dim of size 1 at `dim` (-1 appends one)."""
    return _array.expand_dims(input, dim)


def input_shape(input: Any, function: str) -> tuple[Any, ...]:  # noqa: A002
    """input's static shape (None for a graph tensor's unknown dims); its rank must be known."""
    shape = input.shape
    if shape is None:
        raise ValueError(f"{function}: the rank of graph tensor '{input.name}' must be known "
                         "when the graph is built")
    return tuple(shape)


def dim_index(dim: Any, rank: int, shape: tuple[Any, ...], function: str) -> int:
    """dim in [-rank, rank) as a non-negative int; an IndexError naming the shape if not."""
    if isinstance(dim, bool) or not isinstance(dim, int | np.integer):
        raise TypeError(f"{function}: dim must be an int, not {type(dim).__name__}")
    if not -max(rank, 1) <= dim < max(rank, 1):
        raise IndexError(f"{function}: dim {dim} is out of range for shape "
                         f"{shapes.fmt(shape)}")
    return int(dim) % max(rank, 1)


def squeeze(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """input without dims of size 1 (only `dim`, if given: left as is when its size is not
    1, as PyTorch does; so on a graph tensor the size of `dim` must be known, else a
    ValueError: name it in the placeholder's shape, or use gc.squeeze, TensorFlow's)."""
    if dim is None:
        return _array.squeeze(input)
    dims = dim if isinstance(dim, tuple | list) else (dim,)
    shape = input_shape(input, "squeeze")
    kept = [dim_index(d, len(shape), shape, "squeeze") for d in dims]
    if not shape:  # (a 0-d tensor stays as it is)
        return input
    unknown = [d for d in kept if shape[d] is None]
    if unknown:
        raise ValueError(f"squeeze: the size of dim {unknown[0]} of graph tensor "
                         f"'{input.name}' (shape {shapes.fmt(shape)}) is not known, and "
                         "squeeze(dim) keeps a dim whose size is not 1; give the placeholder "
                         "that size, or use gc.squeeze(x, axis), which requires it to be 1")
    ones = [d for d in kept if shape[d] == 1]
    return _array.squeeze(input, ones) if ones else input


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:  # noqa: A002
    """input with dims start_dim..end_dim merged into one (graphc.nn.functional.flatten)."""
    from graphc.nn import functional

    return functional.flatten(input, start_dim, end_dim)


def reshape(input: Any, shape: Sequence[int]) -> Any:  # noqa: A002
    """input's elements in `shape` (one dim may be -1)."""
    return _reshape(input, tuple(shape))


def transpose(input: Any, dim0: int, dim1: int) -> Any:  # noqa: A002
    """input with dims dim0 and dim1 swapped (gc.transpose(x, perm) is TensorFlow's)."""
    shape = input_shape(input, "transpose")
    try:
        d0, d1 = (dim_index(d, len(shape), shape, "transpose") for d in (dim0, dim1))
    except (IndexError, TypeError) as err:
        raise type(err)(f"{err} (Tensor.transpose is PyTorch's, of two dims; "
                        "gc.transpose(x, perm) takes a permutation)") from None
    if not shape:
        return input
    perm = list(range(len(shape)))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return _transpose(input, perm)


def permute(input: Any, *dims: Any) -> Any:  # noqa: A002
    """input with its dims reordered: dim k of the result is dim dims[k] of input. Takes
    permute(x, (1, 0)) and x.permute(1, 0); on the CPU an eager result shares input's
    memory, as PyTorch's view does."""
    order = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
    shape = input_shape(input, "permute")
    if len(order) != len(shape):
        raise RuntimeError(f"permute(): number of dims don't match in permute: the input has "
                           f"{len(shape)} dims (shape {shapes.fmt(shape)}) but {len(order)} "
                           f"were given, {order}")
    perm = [dim_index(d, len(shape), shape, "permute") for d in order]
    if len(set(perm)) != len(perm):
        raise RuntimeError(f"permute(): repeated dim in {order}")
    return _transpose(input, perm) if shape else input


def t(input: Any) -> Any:  # noqa: A002
    """A matrix transposed (0-d and 1-d tensors as they are)."""
    shape = input_shape(input, "t")
    if len(shape) > 2:
        raise RuntimeError(f"t() expects a tensor of at most 2 dims, got shape "
                           f"{shapes.fmt(shape)}; use transpose(input, dim0, dim1)")
    return _transpose(input) if len(shape) == 2 else input


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """tensor cut along dim into a tuple of parts: of split_size_or_sections elements each
    (an int; the last part is smaller when the size does not divide), or of the sizes
    listed, as torch.split (gc.split(x, n) is TensorFlow's: n equal parts)."""
    shape = input_shape(tensor, "split")
    d = dim_index(dim, len(shape), shape, "split")
    if isinstance(split_size_or_sections, int | np.integer) and \
            not isinstance(split_size_or_sections, bool):
        size, n = int(split_size_or_sections), shape[d]
        if n is None:
            raise ValueError(f"split: the size of dim {d} of graph tensor '{tensor.name}' "
                             f"(shape {shapes.fmt(shape)}) must be known to cut it into "
                             "parts of a size; give the sizes of the parts instead")
        if size < 1:
            raise ValueError(f"split: split_size must be at least 1, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size or n == 0 else [])
    else:
        sizes = [int(s) for s in split_size_or_sections]
    return tuple(_array.split(tensor, sizes, d))


def tile(input: Any, *dims: Any) -> Any:  # noqa: A002
    """input repeated dims[k] times along each dim k, as torch.tile: with fewer entries
    than input has dims, the leading dims are repeated once; with more, input gains
    leading dims of size 1. Takes tile(x, (2, 3)) and x.tile(2, 3)."""
    reps = tuple(dims[0]) if len(dims) == 1 and isinstance(dims[0], tuple | list) else dims
    rank = len(input_shape(input, "tile"))
    x = input
    for _ in range(len(reps) - rank):
        x = _array.expand_dims(x, 0)
    return _array.tile(x, (1,) * (rank - len(reps)) + tuple(reps))


def gather(input: Any, dim: int, index: Any) -> Any:  # noqa: A002
    """The elements of input at `index` along dim, as torch.gather: for dim 1 of a matrix,
    out[i][j] = input[i][index[i][j]]. index (integers) has input's number of dims, and
    along every other dim a size at most input's. The gradient adds up at the indices.
    An index outside 0..size-1 is an IndexError for eager tensors; in graphs it gives 0
    (gc.gather(params, indices, axis) is TensorFlow's, of whole slices)."""
    shape, index_shape = input_shape(input, "gather"), input_shape(index, "gather")
    rank = len(shape)
    if len(index_shape) != rank:
        raise RuntimeError(f"gather: index (shape {shapes.fmt(index_shape)}) must have as many "
                           f"dims as input (shape {shapes.fmt(shape)})")
    if not index.dtype.is_integer:
        raise RuntimeError(f"gather: index must be integers, not {index.dtype.name}")
    d = dim_index(dim, rank, shape, "gather")
    size = shape[d]
    if size is None:
        raise ValueError(f"gather: the size of dim {d} of graph tensor '{input.name}' "
                         f"(shape {shapes.fmt(shape)}) must be known when the graph is built")
    cut: list[slice] = []
    for k, (n, m) in enumerate(zip(shape, index_shape)):
        if k != d and n is not None and m is not None and m > n:
            raise RuntimeError(f"gather: index (shape {shapes.fmt(index_shape)}) is larger "
                               f"than input (shape {shapes.fmt(shape)}) along dim {k}")
        smaller = k != d and n is not None and m is not None and m < n
        cut.append(slice(0, m) if smaller else slice(None))
    x = input[tuple(cut)] if any(c.stop is not None for c in cut) else input
    if core.is_eager(index):
        values = np.asarray(index)
        if values.size and (values.min() < 0 or values.max() >= size):
            bad = values[(values < 0) | (values >= size)].ravel()[0]
            raise IndexError(f"gather: index {bad} is out of bounds for dimension {d} with "
                             f"size {size}")
    hot = _array.one_hot(index, size, axis=d + 1, dtype=bool_)  # index's shape, size at d+1
    spread = _array.expand_dims(x, d)  # x's shape, 1 at d
    if x.dtype == bool_:
        return reduce_any(where(hot, spread, False), d + 1)
    return reduce_sum(where(hot, spread, 0), d + 1)


def isnan(input: Any) -> Any:  # noqa: A002
    """Where input is NaN (a bool tensor; never for integers): x != x."""
    return not_equal(input, input)


def masked_fill(input: Any, mask: Any, value: Any) -> Any:  # noqa: A002
    """input with `value` (a number, or a 0-d tensor) where the bool `mask` (broadcast) is
    true, keeping input's dtype; the gradient flows to input where mask is false and to a
    tensor value where it is true."""
    mask_dtype = getattr(mask, "dtype", None)
    if mask_dtype is None or mask_dtype != bool_:
        name = getattr(mask_dtype, "name", type(mask).__name__)
        raise RuntimeError(f"masked_fill only supports boolean masks, but got mask with "
                           f"dtype {name}")
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        if len(input_shape(value, "masked_fill")) != 0:
            raise RuntimeError(f"masked_fill only supports a 0-dimensional value tensor, but "
                               f"got tensor with {len(value.shape)} dimension(s)")
        fill = value if value.dtype == input.dtype else cast(value, input.dtype)
    elif is_number(value) or isinstance(value, bool | np.bool_):
        fill = np.asarray(value).astype(input.dtype.np)  # as PyTorch casts the number
    else:
        raise TypeError(f"masked_fill: value must be a number or a 0-d tensor, not "
                        f"{type(value).__name__}")
    return where(mask, fill, input)


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """Whether the tensors have one shape and the same elements: a Python bool, as
    torch.equal (gc.equal is elementwise). A graph tensor's values are not known while the
    graph is built: there it is a TypeError (use gc.reduce_all(gc.equal(a, b)))."""
    for t_ in (input, other):
        if not core.is_eager(t_):
            raise TypeError(f"equal(): expected eager tensors, got {type(t_).__name__}; "
                            "on a graph tensor the answer is known only in a Session.run, so "
                            "build gc.reduce_all(gc.equal(a, b)) and run it")
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(reduce_all(_elementwise.equal(input, other)))  # (an eager 0-d tensor)


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements."""
    return int(input.numel())


def lerp(input: Any, end: Any, weight: Any) -> Any:  # noqa: A002
    """input + weight * (end - input), as PyTorch computes it: where |weight| >= 0.5, as
    end - (end - input) * (1 - weight), exact at weight 1. weight is a number or a tensor
    (broadcast); the gradient flows to all three."""
    diff = _elementwise.subtract(end, input)
    if is_number(weight):
        return input + diff * weight if builtins.abs(weight) < 0.5 else \
            end - diff * (1 - weight)
    return where(_elementwise.less(abs(weight), 0.5), input + weight * diff,
                 end - diff * (1 - weight))


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether |input - other| <= atol + rtol * |other| everywhere (broadcast): a Python
    bool, as torch.allclose (numpy's np.allclose rule; infinities of one sign are close).
    The tensors must have one dtype; graph tensors have no values until a run (a
    TypeError)."""
    for t_ in (input, other):
        if not core.is_eager(t_):
            raise TypeError(f"allclose(): expected eager tensors, got {type(t_).__name__}; "
                            "a graph tensor's values are known only in a Session.run")
    if input.dtype != other.dtype:
        raise RuntimeError(f"allclose(): the tensors have different dtypes: "
                           f"{input.dtype.name} and {other.dtype.name}")
    return bool(np.allclose(np.asarray(input), np.asarray(other), rtol=rtol, atol=atol,
                            equal_nan=equal_nan))
