"""Constant folding: an op whose inputs are all constants becomes a constant."""

from __future__ import annotations

from graphc.graph import Node
from graphc.ops.core import fold_value
from graphc.passes.rewrite import Uses, constant_for, rewrite
from graphc.program import Program
from graphc.registry import OPS


def fold_node(node: Node, uses: Uses) -> Node | None:
    """A constant node holding the op's value, if its inputs are constants and it is small."""
    opdef = OPS[node.op]
    if opdef.effect is not None or node.control_inputs or node.op == "constant":
        return None
    if not node.inputs and node.op != "fill":
        return None
    values = [uses.constant(t) for t in node.inputs]
    if any(v is None for v in values):
        return None
    value = fold_value(node, values)
    return None if value is None else constant_for(node, value)


def fold_constants(program: Program) -> Program:
    return rewrite(program, [fold_node])
