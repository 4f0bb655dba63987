"""More of PyTorch's functions on tensors, composed of graphc's ops (so gradients flow as
for the ops): rounding (floor, ceil, round), the float tests (isinf, isfinite), log1p and
expm1, clone and as_tensor, the cuts unbind and narrow, masked_select, nonzero, and
scatter (eager: the index must be known), with inference_mode and set_printoptions."""

from __future__ import annotations

import builtins
import contextlib
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.dtypes import int64 as int64_
from graphc.eager import creation, printing
from graphc.eager.tape import no_grad
from graphc.eager.tensor import Tensor
from graphc.ops import core
from graphc.ops.array import unstack
from graphc.ops.composite import log1p as _log1p
from graphc.ops.elementwise import (abs, cast, equal, exp, floor as _floor, less, log,
                                    multiply, negative, not_equal, where)
from graphc.ops.elementwise import round as _round
from graphc.ops.index import getitem, setitem
from graphc.ops.shape import identity, stop_gradient
from graphc.runtime.arrays import host

__all__ = ["as_tensor", "ceil", "clone", "expm1", "floor", "inference_mode", "isfinite",
           "isinf", "log1p", "masked_select", "narrow", "nonzero", "round", "scatter",
           "set_printoptions", "unbind"]


def _is_integral(x: Any) -> bool:
    dtype = getattr(x, "dtype", None)
    return dtype is not None and (as_dtype(dtype).is_integer or as_dtype(dtype).is_bool)


def _rank(x: Any, function: str) -> int:
    shape = getattr(x, "shape", None)
    if shape is None:
        raise ValueError(f"{function}: the input's rank must be known")
    return len(shape)


def wrap_dim(dim: int, rank: int, function: str) -> int:
    """dim as a non-negative index into `rank` dims, by PyTorch's rule (a 0-d tensor takes
    dims -1 and 0); IndexError in PyTorch's words otherwise."""
    low, high = -builtins.max(rank, 1), builtins.max(rank, 1) - 1
    if not low <= dim <= high:
        raise IndexError(f"{function}: dimension out of range (expected to be in range of "
                         f"[{low}, {high}], but got {dim})")
    return dim % builtins.max(rank, 1)


# -- elementwise ----------------------------------------------------------------------------
def floor(input: Any) -> Any:  # noqa: A002
    """The largest integer not above each element (an integer tensor as it is); its
    gradient is zero."""
    return identity(input) if _is_integral(input) else _floor(input)


def ceil(input: Any) -> Any:  # noqa: A002
    """The smallest integer not below each element: -floor(-x) (an integer tensor as it
    is); its gradient is zero."""
    return identity(input) if _is_integral(input) else negative(_floor(negative(input)))


def round(input: Any, decimals: int = 0) -> Any:  # noqa: A001, A002
    """Each element rounded to the nearest integer, halves to the even one (round(2.5) is
    2.0, as PyTorch's); with decimals, to that many decimal places (round(x * 10**d) /
    10**d, as PyTorch computes it). Its gradient is zero."""
    if _is_integral(input):
        return identity(input)
    if decimals == 0:
        return _round(input)
    scale = 10.0 ** decimals
    return _round(multiply(input, scale)) / scale


def isinf(input: Any) -> Any:  # noqa: A002
    """Where the element is +inf or -inf (a bool tensor; all false for integers)."""
    if _is_integral(input):
        return not_equal(input, input)
    return equal(abs(input), np.inf)


def isfinite(input: Any) -> Any:  # noqa: A002
    """Where the element is neither inf nor NaN (a bool tensor; all true for integers)."""
    if _is_integral(input):
        return equal(input, input)
    return less(abs(input), np.inf)


def log1p(input: Any) -> Any:  # noqa: A002
    """log(1 + x), to full precision near 0; its gradient is 1 / (1 + x)."""
    return _log1p(input)


def expm1(input: Any) -> Any:  # noqa: A002
    """exp(x) - 1, to full precision near 0 (Kahan's (u - 1) * x / log(u), u = exp(x),
    where |x| < 1); its gradient is exp(x)."""
    plain = exp(input) - 1
    u = plain + 1
    ones = equal(u, 1)
    small = where(ones, input, (u - 1) * (input / where(ones, 1, log(u))))
    return where(less(abs(input), 1), plain + stop_gradient(small - plain), plain)


# -- copies ---------------------------------------------------------------------------------
def clone(input: Any, memory_format: Any = None) -> Any:  # noqa: A002
    """A copy with its own memory; gradients flow through it."""
    return identity(input)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Any:
    """data as a tensor, sharing memory where it can: a tensor of that dtype (and device)
    is returned as it is, a tensor of another dtype is cast (recorded), a numpy array of
    that dtype is shared (from_numpy), anything else is copied (torch.tensor)."""
    if isinstance(data, Tensor):
        out: Any = data if dtype is None or as_dtype(dtype) == data.dtype else cast(data, dtype)
        return out if device is None else out.to(device)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf" and \
            (dtype is None or as_dtype(dtype).np == data.dtype) and device in (None, "cpu"):
        return creation.from_numpy(data)
    return creation.tensor(data, dtype=dtype, device="cpu" if device is None else device)


# -- cuts and selections --------------------------------------------------------------------
def unbind(input: Any, dim: int = 0) -> tuple[Any, ...]:  # noqa: A002
    """The slices of input along dim, that dim removed, as a tuple."""
    d = wrap_dim(dim, _rank(input, "unbind"), "unbind")
    return tuple(unstack(input, axis=d))


def narrow(input: Any, dim: int, start: Any, length: int) -> Any:  # noqa: A002
    """input[..., start:start + length, ...] along dim (a view; start may be negative)."""
    rank = _rank(input, "narrow")
    if rank == 0:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, rank, "narrow")
    size = input.shape[d]
    start = int(start)
    if size is not None:
        if not -size <= start <= size:
            raise IndexError(f"start out of range (expected to be in range of [{-size}, "
                             f"{size}], but got {start})")
        start = start + size if start < 0 else start
        if length < 0 or start + length > size:
            raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size "
                               f"({size}).")
    index = (slice(None),) * d + (slice(start, start + length),)
    return input[index]


def masked_select(input: Any, mask: Any) -> Any:  # noqa: A002
    """The elements of input where the bool mask is true (both broadcast), as a 1-d
    tensor; the gradient flows back to those elements. Eager only (the size depends on
    the mask's values)."""
    if not core.is_eager(mask) or getattr(mask, "dtype", None) is None or \
            not as_dtype(mask.dtype).is_bool:
        raise RuntimeError("masked_select: expected an eager bool tensor as mask")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    x = input if tuple(input.shape) == shape else input.expand(*shape)
    return getitem(x, np.broadcast_to(host(mask.array), shape))


def nonzero(input: Any, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """The indices of the nonzero elements: an (n, ndim) int64 tensor, or with as_tuple
    one 1-d tensor per dim. No gradient; eager only."""
    if not core.is_eager(input):
        raise TypeError("nonzero: the result's size depends on the values, so the input "
                        "must be an eager tensor")
    values = host(input.array)
    if as_tuple:
        return tuple(creation.tensor(i, dtype=int64_) for i in np.nonzero(np.atleast_1d(values)))
    return creation.tensor(np.argwhere(values).reshape(-1, values.ndim), dtype=int64_)


def _scatter_index(input: Any, dim: int, index: Any,  # noqa: A002
                   function: str) -> tuple[Any, ...]:
    if not core.is_eager(index) or not as_dtype(index.dtype).is_integer:
        raise RuntimeError(f"{function}: index must be an eager int64 tensor")
    rank = _rank(input, function)
    d = wrap_dim(dim, rank, function)
    idx = host(index.array)
    if idx.ndim != rank:
        raise RuntimeError(f"{function}: Index tensor must have the same number of "
                           f"dimensions as self tensor")
    size = input.shape[d]
    if idx.size and (idx.min() < -size or idx.max() >= size):
        bad = idx[(idx < -size) | (idx >= size)].ravel()[0]
        raise RuntimeError(f"{function}: index {bad} is out of bounds for dimension {d} "
                           f"with size {size}")
    grids: list[Any] = list(np.indices(idx.shape, sparse=True))
    grids[d] = idx % size
    return tuple(grids)


def scatter(input: Any, dim: int, index: Any, src: Any = None,  # noqa: A002
            value: Any = None) -> Any:
    """A copy of input with out[i][index[i][j]][k] = src[i][j][k] (for dim 1; likewise for
    the others); src is a tensor (its first index.shape elements are used) or a number.
    Eager only: the index's values must be known. Gradients flow to input (where not
    overwritten) and to src."""
    if src is None:
        src = value
    key = _scatter_index(input, dim, index, "scatter")
    if isinstance(src, Tensor) or hasattr(src, "shape"):
        if src.dtype != input.dtype:
            src = cast(src, input.dtype)
        src = src[tuple(slice(0, n) for n in index.shape)]
    else:
        src = np.asarray(src).astype(input.dtype.np)
    return setitem(input, src, key)


def scatter_(self: Tensor, dim: int, index: Any, src: Any = None,
             value: Any = None) -> Tensor:
    """self.scatter(dim, index, src) written into self, in place."""
    if src is None:
        src = value
    other = src if isinstance(src, Tensor) else None
    return self._update("scatter_", lambda a, s: scatter(a, dim, index, src), other)


# -- modes ----------------------------------------------------------------------------------
class inference_mode(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager and decorator: with mode True (the default), ops inside are not
    recorded for backward(), as in no_grad; inference_mode(False) changes nothing."""

    def __init__(self, mode: bool = True) -> None:
        self.mode = bool(mode)

    def __enter__(self) -> None:
        self._inner: Any = no_grad() if self.mode else contextlib.nullcontext()
        self._inner.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    def _recreate_cm(self) -> inference_mode:
        return inference_mode(self.mode)


_PROFILES = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
             "full": (4, float("inf"), 3, 80)}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (PyTorch's options): digits after the point (precision), the
    element count past which prints are summarized (threshold), the elements shown at each
    end then (edgeitems), the line width, a profile ("default", "short", "full") setting
    the first four, and sci_mode (True or False forces scientific notation on or off;
    None, the default, chooses it from the values)."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {sorted(_PROFILES)}, "
                             f"not {profile!r}")
        (printing.PRECISION, printing.THRESHOLD, printing.EDGEITEMS,
         printing.LINEWIDTH) = _PROFILES[profile]
    if precision is not None:
        printing.PRECISION = int(precision)
    if threshold is not None:
        printing.THRESHOLD = threshold
    if edgeitems is not None:
        printing.EDGEITEMS = int(edgeitems)
    if linewidth is not None:
        printing.LINEWIDTH = int(linewidth)
    printing.SCI_MODE = sci_mode
