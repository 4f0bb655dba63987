"""The boolean operators `~`, `&`, `|` and `^` on tensors, and PyTorch's logical_* and
bitwise_* functions.

On bool tensors (graph or eager) the operators are logical not, and, or and xor, composed of
graphc's ops (`where`, `equal`, `not_equal`), so they run on every backend. On integer
tensors they are bitwise, as PyTorch's and numpy's: eager tensors compute them at once with
numpy (integers carry no gradient); graph tensors, as TensorFlow 1's, take bools only. On
floating-point tensors they are a TypeError, as in PyTorch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from graphc.dtypes import DType, as_dtype
from graphc.graph import Tensor
from graphc.ops import core
from graphc.ops.elementwise import equal, not_equal, where

__all__ = ["bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "logical_and",
           "logical_not", "logical_or", "logical_xor"]

_NUMPY: dict[str, Callable[..., Any]] = {
    "~": np.invert, "&": np.bitwise_and, "|": np.bitwise_or, "^": np.bitwise_xor}
_NAMES = {"~": "bitwise_not", "&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor"}


def _dtype(x: Any) -> DType:
    dtype = getattr(x, "dtype", None)
    return as_dtype(dtype if dtype is not None else np.asarray(x).dtype)


def _is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor) or core.is_eager(x)


def _operate(symbol: str, *values: Any) -> Any:
    """`symbol` (one of ~ & | ^) on `values`: logical on bools, bitwise on integers."""
    dtypes = [_dtype(v) for v in values]
    if all(d.is_bool for d in dtypes):
        return _logical(symbol, *values)
    for d in dtypes:
        if not (d.is_bool or d.is_integer):
            raise TypeError(f"unsupported operand dtype for {symbol} ({_NAMES[symbol]}): "
                            f"{d.name}; it takes bool tensors (logical) and integer tensors "
                            "(bitwise)")
    if not core.is_eager(*values):
        names = ", ".join(_dtype(v).name for v in values if _is_tensor(v))
        raise TypeError(f"unsupported operand dtype for {symbol} on a graph tensor: {names}; "
                        "graph tensors take bool tensors only (TensorFlow 1's logical ops), "
                        "as gc.cast(x, gc.bool) gives")
    first = next(v for v in values if core.is_eager(v))
    arrays = [np.asarray(v) if core.is_eager(v) else v for v in values]
    out = core.eager_type(np.asarray(_NUMPY[symbol](*arrays)))  # type: ignore[misc]
    return out if str(first.device) == "cpu" else out.to(first.device)


def _logical(symbol: str, x: Any, y: Any = None) -> Any:
    """not, and, or, xor of bools (x a tensor, or y one if x is a Python bool)."""
    if symbol == "~":
        return equal(x, False)
    if not _is_tensor(x):
        x, y = y, x  # (each is symmetric: the tensor goes first)
    if symbol == "&":
        return where(x, y, False)
    if symbol == "|":
        return where(x, True, y)
    return not_equal(x, y)


def bitwise_not(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """~input: logical not of a bool tensor, bitwise not of an integer tensor."""
    return _operate("~", input)


def bitwise_and(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """input & other: logical and of bools, bitwise and of integers."""
    return _operate("&", input, other)


def bitwise_or(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """input | other: logical or of bools, bitwise or of integers."""
    return _operate("|", input, other)


def bitwise_xor(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """input ^ other: logical xor of bools, bitwise xor of integers."""
    return _operate("^", input, other)


def _truth(x: Any) -> Any:
    """x as bools, as PyTorch's logical functions read any dtype: nonzero is True."""
    return x if _dtype(x).is_bool else not_equal(x, 0)


def logical_not(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Whether each element is zero (False), as a bool tensor, for any dtype."""
    return _logical("~", _truth(input))


def logical_and(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Whether both elements are nonzero (True), as a bool tensor, for any dtypes."""
    return _logical("&", _truth(input), _truth(other))


def logical_or(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Whether either element is nonzero (True), as a bool tensor, for any dtypes."""
    return _logical("|", _truth(input), _truth(other))


def logical_xor(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Whether exactly one of the elements is nonzero (True), as a bool tensor."""
    return _logical("^", _truth(input), _truth(other))


# the operators, for ops/operators.py's table (reflected: the left operand is not a tensor)
BOOL_OPERATORS: dict[str, Any] = {
    "__invert__": lambda a: _operate("~", a),
    "__and__": lambda a, b: _operate("&", a, b), "__rand__": lambda a, b: _operate("&", b, a),
    "__or__": lambda a, b: _operate("|", a, b), "__ror__": lambda a, b: _operate("|", b, a),
    "__xor__": lambda a, b: _operate("^", a, b), "__rxor__": lambda a, b: _operate("^", b, a),
}
