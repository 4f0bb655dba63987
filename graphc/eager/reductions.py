"""PyTorch's reductions (torch.max, Tensor.sum, ...), built on graphc's ops.

Each is a function of the tensor first, so it serves as `torch.max(x, 1)` and, installed on
eager and graph tensors (methods.py), as `x.max(1)`. `dim` is PyTorch's name for numpy's
`axis`; numpy's own spellings (np.mean(t) calls t.mean(axis=None, dtype=None, out=None)) are
accepted too.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype, float64, int64
from graphc.dtypes import bool as bool_
from graphc.eager.defaults import get_default_dtype
from graphc.eager.tape import is_grad_enabled
from graphc.ops import core, reduce
from graphc.ops.array import expand_dims, one_hot
from graphc.ops.elementwise import abs as abs_
from graphc.ops.elementwise import cast, equal, maximum, minimum, not_equal, sqrt, where
from graphc.ops.shape import reshape


class ValuesIndices(NamedTuple):
    """What torch.max(x, dim), torch.min(x, dim), torch.sort and torch.topk return: the
    values and their indices (int64) along dim."""

    values: Any
    indices: Any


def _axis(dim: Any, axis: Any, keepdim: bool, keepdims: Any, out: Any, op: str
          ) -> tuple[Any, bool]:
    if out is not None:
        raise TypeError(f"{op}: out= is not supported")
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: give dim or axis, not both")
        dim = axis
    if isinstance(dim, list):
        dim = tuple(dim)
    return dim, bool(keepdim if keepdims is None else keepdims)


def sum(input: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A001, A002
        dtype: Any = None, axis: Any = None, keepdims: Any = None, out: Any = None) -> Any:
    """The sum over `dim` (an int, a tuple, or None for all); integers and booleans sum as
    int64, as PyTorch's do."""
    dim, keep = _axis(dim, axis, keepdim, keepdims, out, "sum")
    x = input
    if dtype is not None:
        x = cast(x, as_dtype(dtype))
    elif not x.dtype.is_floating and x.dtype != int64:
        x = cast(x, int64)
    return reduce.reduce_sum(x, dim, keep)


_NOT_GIVEN = object()  # numpy's np.mean(t) passes out=None; PyTorch code never passes out


def mean(input: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None, axis: Any = None, keepdims: Any = None,
         out: Any = _NOT_GIVEN) -> Any:
    """The mean over `dim`; floating-point tensors only, as in PyTorch (numpy's np.mean(t)
    keeps numpy's meaning: a boolean or integer tensor's mean is a fraction)."""
    numpy_call = out is not _NOT_GIVEN
    dim, keep = _axis(dim, axis, keepdim, keepdims, out if numpy_call else None, "mean")
    x = input
    if dtype is not None:
        x = cast(x, as_dtype(dtype))
    elif numpy_call and x.dtype.is_integer:
        x = cast(x, float64)  # numpy's mean of integers is float64
    elif not x.dtype.is_floating and not numpy_call:
        raise RuntimeError(f"mean(): input dtype should be a floating point type, got "
                           f"{x.dtype.name} (shape {tuple(x.shape)}); cast it with "
                           ".float() or pass dtype=torch.float")
    return reduce.reduce_mean(x, dim, keep)


def _extreme(op: str, x: Any, dim: Any, keepdim: bool, pick: Any, arg: Any,
             elementwise: Any) -> Any:
    if dim is None:
        return pick(x)
    if isinstance(dim, np.integer):
        dim = int(dim)
    if hasattr(dim, "shape") and hasattr(dim, "dtype"):  # max(a, b): elementwise
        return elementwise(x, dim)
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, not {type(dim).__name__}")
    indices = arg(x, dim)
    if _differentiable(x, dim):  # the gradient goes to the element at each index alone, as
        # PyTorch's (reduce_max's shares it among ties)
        hot = one_hot(indices, x.shape[dim], axis=dim % len(x.shape), dtype=bool_)
        values = reduce.reduce_sum(where(hot, x, 0), dim, keepdim)
    else:
        values = pick(x, dim, keepdim)
    return ValuesIndices(values, expand_dims(indices, dim) if keepdim else indices)


def _differentiable(x: Any, dim: int) -> bool:
    """Whether max(x, dim)'s values may be differentiated: for an eager tensor, whether its
    ops are recorded for backward(); a graph tensor may always be (by gc.gradients), when
    the size of dim is known (else reduce_max's gradient, shared among ties, applies)."""
    if core.is_eager(x):
        return bool(x.requires_grad and is_grad_enabled())
    shape = x.shape
    return shape is not None and -len(shape) <= dim < len(shape) and shape[dim] is not None


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """max(x): the largest element; max(x, dim): (values, indices) along dim; max(a, b):
    the elementwise maximum."""
    return _extreme("max", input, dim, keepdim, reduce.reduce_max, reduce.argmax, maximum)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """min(x): the smallest element; min(x, dim): (values, indices) along dim; min(a, b):
    the elementwise minimum."""
    return _extreme("min", input, dim, keepdim, reduce.reduce_min, reduce.argmin, minimum)


def _arg(fn: Any, x: Any, dim: Any, keepdim: bool) -> Any:
    if dim is None:  # the index into the flattened tensor
        flat = fn(reshape(x, (-1,)), 0)
        return reshape(flat, (1,) * len(x.shape)) if keepdim else flat
    out = fn(x, dim)
    return expand_dims(out, dim) if keepdim else out


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The index (int64) of the largest element along dim; of the flattened tensor when
    dim is None."""
    return _arg(reduce.argmax, input, dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The index (int64) of the smallest element along dim, as argmax."""
    return _arg(reduce.argmin, input, dim, keepdim)


def _truth(x: Any) -> Any:
    return x if x.dtype == bool_ else not_equal(x, 0)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Whether every element (along dim) is true (nonzero)."""
    return reduce.reduce_all(_truth(input), dim, keepdim)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Whether some element (along dim) is true (nonzero)."""
    return reduce.reduce_any(_truth(input), dim, keepdim)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The vector p-norm over dim (all elements when None): p = 2 or 'fro' (sqrt of the sum
    of squares), 1, or inf."""
    if not input.dtype.is_floating:
        raise RuntimeError(f"norm(): input dtype should be a floating point type, got "
                           f"{input.dtype.name}; cast it with .float()")
    if p in ("fro", 2):  # at a zero norm the gradient is 0 (PyTorch's), not 0 * inf
        squares = reduce.reduce_sum(input * input, dim, keepdim)
        zero = equal(squares, 0)
        return where(zero, 0, sqrt(where(zero, 1, squares)))
    if p == 1:
        return reduce.reduce_sum(abs_(input), dim, keepdim)
    if p == math.inf:
        return reduce.reduce_max(abs_(input), dim, keepdim)
    raise ValueError(f"norm(): p={p!r} is not supported; use 'fro', 2, 1 or inf")


def prod(input: Any, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
         dtype: Any = None) -> Any:
    """The product over `dim` (one int, or None for all elements); integers and booleans
    multiply as int64, as PyTorch's do."""
    if dim is not None and (isinstance(dim, bool) or not isinstance(dim, int | np.integer)):
        raise TypeError(f"prod(): dim must be an int or None, not {type(dim).__name__}")
    x = input
    if dtype is not None:
        x = cast(x, as_dtype(dtype))
    elif not x.dtype.is_floating and x.dtype != int64:
        x = cast(x, int64)
    return reduce.reduce_prod(x, None if dim is None else int(dim), keepdim)


def _correction(op: str, dim: Any, unbiased: Any, correction: Any) -> tuple[Any, Any]:
    """(dim, correction) from PyTorch's spellings: var(x, dim, unbiased, keepdim),
    var(x, unbiased) (a bool where dim goes), and the newer correction= keyword."""
    if isinstance(dim, bool):  # var(x, False): the bool is `unbiased`
        dim, unbiased = None, dim
    if correction is not None and unbiased is not None:
        raise TypeError(f"{op}(): give unbiased or correction, not both")
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    return (tuple(dim) if isinstance(dim, list) else dim), correction


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Any:
    """The variance over `dim` (an int, a tuple, or None for all elements):
    sum((x - mean)^2) / (N - correction), N the number of elements reduced. correction
    defaults to 1 (Bessel's, PyTorch's unbiased=True); unbiased=False is correction=0.
    Where N <= correction the result is inf or NaN, as in PyTorch."""
    dim, correction = _correction("var", dim, unbiased, correction)
    x = input
    if not x.dtype.is_floating:
        raise RuntimeError(f"var(): std and var only support floating point dtypes, got "
                           f"{x.dtype.name}")
    if dim is not None and x.shape is None:
        raise ValueError(f"var(): the rank of graph tensor '{x.name}' must be known to "
                         f"reduce over dim {dim}")
    axes = None if dim is None else shapes.normalize_axes(dim, len(x.shape), "var")
    d = x - reduce.reduce_mean(x, axes, True)
    return reduce.reduce_sum(d * d, axes, keepdim) / (reduce.reduction_count(x, axes)
                                                      - correction)


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,  # noqa: A002
        correction: Any = None) -> Any:
    """The standard deviation, sqrt(var(...)) with var's arguments. Where it is 0 the
    gradient is 0, as PyTorch's (not 0 * inf)."""
    v = var(input, dim, unbiased, keepdim, correction=correction)
    zero = equal(v, 0)
    return where(zero, 0, sqrt(where(zero, 1, v)))


def logsumexp(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """log(sum(exp(x))) over dim (an int, a tuple, or None for all), computed stably
    (gc.reduce_logsumexp); integers and bools as the default float dtype, as PyTorch's."""
    x = input if input.dtype.is_floating else cast(input, get_default_dtype())
    return reduce.reduce_logsumexp(x, tuple(dim) if isinstance(dim, list) else dim,
                                   bool(keepdim))


def softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Any:  # noqa: A002
    """exp(x) / sum(exp(x)) over dim (graphc.nn.functional.softmax)."""
    from graphc.nn import functional

    return functional.softmax(input if dtype is None else cast(input, as_dtype(dtype)), dim)


def log_softmax(input: Any, dim: int | None = None, dtype: Any = None) -> Any:  # noqa: A002
    """log(softmax(x)) over dim, computed stably (graphc.nn.functional.log_softmax)."""
    from graphc.nn import functional

    return functional.log_softmax(input if dtype is None else cast(input, as_dtype(dtype)),
                                  dim)
