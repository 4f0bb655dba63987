"""Constant folding: an op whose inputs are all constants becomes a constant."""

from __future__ import annotations

from math import prod

import numpy as np

from graphc import shapes
from graphc.graph import Node
from graphc.passes.rewrite import Uses, constant_for, rewrite
from graphc.program import Program
from graphc.registry import OPS

MAX_ELEMENTS = 1 << 16  # larger results stay ops: a graph should not carry big arrays


def fold_node(node: Node, uses: Uses) -> Node | None:
    """A constant node holding the op's value, if its inputs are constants and it is small."""
    opdef = OPS[node.op]
    if opdef.effect is not None or node.control_inputs or node.op == "constant":
        return None
    if not node.inputs and node.op != "fill":
        return None
    values = [uses.constant(t) for t in node.inputs]
    if any(v is None for v in values) or len(node.types) != 1:
        return None
    out = node.types[0]
    if not shapes.is_fully_defined(out.shape) or prod(out.shape) > MAX_ELEMENTS:  # type: ignore[arg-type]
        return None
    try:
        with np.errstate(all="ignore"):
            value = np.array(opdef.reference(  # type: ignore[misc]
                *values, **node.attrs), dtype=out.dtype.np)
    except Exception:  # leave it to the run, which reports errors with full context
        return None
    return constant_for(node, value)


def fold_constants(program: Program) -> Program:
    return rewrite(program, [fold_node])
