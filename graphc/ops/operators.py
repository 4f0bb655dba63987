"""Python operators on tensors (+ - * / ** @, unary -, comparisons), built on the op functions."""

from __future__ import annotations

from typing import Any

from graphc.ops.elementwise import (
    add,
    divide,
    greater,
    greater_equal,
    less,
    less_equal,
    multiply,
    negative,
    pow,
    subtract,
)
from graphc.ops.linalg import matmul

OPERATORS: dict[str, Any] = {
    "__add__": lambda a, b: add(a, b), "__radd__": lambda a, b: add(b, a),
    "__sub__": lambda a, b: subtract(a, b), "__rsub__": lambda a, b: subtract(b, a),
    "__mul__": lambda a, b: multiply(a, b), "__rmul__": lambda a, b: multiply(b, a),
    "__truediv__": lambda a, b: divide(a, b), "__rtruediv__": lambda a, b: divide(b, a),
    "__pow__": lambda a, b: pow(a, b), "__rpow__": lambda a, b: pow(b, a),
    "__matmul__": lambda a, b: matmul(a, b), "__rmatmul__": lambda a, b: matmul(b, a),
    "__neg__": lambda a: negative(a),
    "__lt__": lambda a, b: less(a, b), "__le__": lambda a, b: less_equal(a, b),
    "__gt__": lambda a, b: greater(a, b), "__ge__": lambda a, b: greater_equal(a, b),
}


def install_operators(cls: type) -> None:
    """Give a tensor class the Python operators; graph and eager tensors share this table."""
    for name, fn in OPERATORS.items():
        setattr(cls, name, fn)
