"""Elementwise expressions, the format fused ops hold: ("input", i) is the op's input i;
(op, dtype, *operands) applies the elementwise op `op`, whose result has dtype `dtype`, to
sub-expressions. `walk` is the one walker every reader of the format uses."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

Expression = tuple[Any, ...]


def walk(expression: Expression, leaf: Callable[[int], Any],
         apply: Callable[[str, str, list[Any]], Any]) -> Any:
    """The expression's value, bottom up: leaf(i) for input i, and apply(op, dtype, values)
    for an op on its operands' values. The index is checked to be an int (the expression
    may come from a graph file)."""
    if expression[0] == "input":
        return leaf(operator.index(expression[1]))
    op, dtype, *operands = expression
    return apply(op, dtype, [walk(e, leaf, apply) for e in operands])


def map_inputs(expression: Expression, leaf: Callable[[int], Expression]) -> Expression:
    """The expression with each ("input", i) replaced by leaf(i)."""
    return walk(expression, leaf, lambda op, dtype, operands: (op, dtype, *operands))


def inputs_of(expression: Expression) -> list[int]:
    """The input indices the expression reads, in reading order, repeats included."""
    return walk(expression, lambda i: [i], lambda op, dtype, operands: sum(operands, []))


def input_count(expression: Expression) -> int:
    """How many inputs the expression takes: one more than its highest input index."""
    return max(inputs_of(expression), default=-1) + 1

