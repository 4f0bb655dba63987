"""Python operators and PyTorch-style methods on tensors, built on the op functions.

Graph tensors and eager tensors share these tables, so one piece of model code runs in both.
"""

from __future__ import annotations

from typing import Any

from graphc.ops.bitwise import BOOL_OPERATORS
from graphc.ops.elementwise import (abs, add, divide, exp, floordiv, floormod, greater,
                                    greater_equal, less, less_equal, log, multiply, negative,
                                    pow, relu, sigmoid, subtract, tanh, where)
from graphc.ops.index import getitem
from graphc.ops.linalg import matmul
from graphc.ops.shape import reshape, transpose

# In graphs, `a - b`, `a * b`, `a / b` and `a % b` name their nodes as TensorFlow 1's
# operators do ("sub", "mul", "truediv", "mod"; "add", "pow", "floordiv" and "matmul" are
# the ops' own names), so a TF1 program that prints `(y_pred - y).op.name` sees
# TensorFlow's name; gc.subtract(a, b) and the other functions keep the op's name
OPERATORS: dict[str, Any] = {
    "__add__": lambda a, b: add(a, b), "__radd__": lambda a, b: add(b, a),
    "__sub__": lambda a, b: subtract(a, b, name="sub"),
    "__rsub__": lambda a, b: subtract(b, a, name="sub"),
    "__mul__": lambda a, b: multiply(a, b, name="mul"),
    "__rmul__": lambda a, b: multiply(b, a, name="mul"),
    "__truediv__": lambda a, b: divide(a, b, name="truediv"),
    "__rtruediv__": lambda a, b: divide(b, a, name="truediv"),
    "__floordiv__": lambda a, b: floordiv(a, b), "__rfloordiv__": lambda a, b: floordiv(b, a),
    "__mod__": lambda a, b: floormod(a, b, name="mod"),
    "__rmod__": lambda a, b: floormod(b, a, name="mod"),
    "__pow__": lambda a, b: pow(a, b), "__rpow__": lambda a, b: pow(b, a),
    "__matmul__": lambda a, b: matmul(a, b), "__rmatmul__": lambda a, b: matmul(b, a),
    "__neg__": lambda a: negative(a),
    "__lt__": lambda a, b: less(a, b), "__le__": lambda a, b: less_equal(a, b),
    "__gt__": lambda a, b: greater(a, b), "__ge__": lambda a, b: greater_equal(a, b),
    "__getitem__": lambda a, index: getitem(a, index),
    **BOOL_OPERATORS,  # ~ & | ^: logical on bools, bitwise on eager integers (ops/bitwise.py)
}


def _shape_args(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """PyTorch accepts reshape(2, 3) and reshape((2, 3)) alike."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch names
    """x limited to [min, max]; either bound may be None. As PyTorch's (and TensorFlow 1's
    clip_by_value): the gradient passes to x where min <= x <= max, bounds included (to a
    tensor bound where x is beyond it); NaN stays NaN; with min > max every element is
    max. (maximum and minimum would give a tie at a bound to the bound, not to x.)"""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    out = x if min is None else where(less(x, min), min, x)
    return out if max is None else where(greater(out, max), max, out)


def _t(x: Any) -> Any:
    if x.shape is not None and len(x.shape) > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dims, got shape {x.shape}; "
                         "use transpose")
    return transpose(x)


# PyTorch's methods that are plain op functions; graphc.eager installs the rest of PyTorch's
# (Tensor.sum, .max(dim), .unsqueeze, .float(), ...) on graph and eager tensors alike, and
# every op function as a method (graphc/eager/methods.py)
METHODS: dict[str, Any] = {
    "mm": lambda a, b: matmul(a, b), "matmul": lambda a, b: matmul(a, b),
    "T": property(_t), "clamp": clamp, "relu": lambda a: relu(a),
    "pow": lambda a, b: pow(a, b), "abs": lambda a: abs(a), "exp": lambda a: exp(a),
    "log": lambda a: log(a), "tanh": lambda a: tanh(a), "sigmoid": lambda a: sigmoid(a),
    "reshape": lambda a, *shape: reshape(a, _shape_args(shape)),
    "view": lambda a, *shape: reshape(a, _shape_args(shape)),
}


def install_operators(cls: type) -> None:
    """Give a tensor class the Python operators and the PyTorch-style methods."""
    for name, fn in {**OPERATORS, **METHODS}.items():
        setattr(cls, name, fn)
