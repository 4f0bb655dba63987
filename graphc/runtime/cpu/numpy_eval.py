"""Elementwise expressions computed by numpy, called back from native kernels (emit.py: an
expression with math functions numba's loops cannot vectorize, over a large array)."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.ops.expression import Expression
from graphc.ops.fused import evaluate_expression
from graphc.registry import OPS


def evaluate_into(out: np.ndarray, expression: Expression, dtypes: tuple[str, ...],
                  inputs: tuple[Any, ...]) -> None:
    """out[...] = the expression of the inputs, each taken as an array of its dtype (a
    numba scalar arrives as a Python number), by the ops' numpy references: what the numpy
    backend computes, NaN and infinity included, without its warnings."""
    values = tuple(np.asarray(value, dtype) for value, dtype in zip(inputs, dtypes))
    with np.errstate(all="ignore"):
        reference = OPS[expression[0]].reference if expression[0] != "input" else None
        if isinstance(reference, np.ufunc):  # the last op writes into out: no temporary
            operands = [evaluate_expression(e, values) for e in expression[2:]]
            reference(*operands, out=out, casting="unsafe")
        else:
            out[...] = evaluate_expression(expression, values)
