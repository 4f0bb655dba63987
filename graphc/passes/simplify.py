"""Algebraic simplification: x*1, x/1, x+0, x-0, --x, pow(x, 2) -> square(x), and a transpose
feeding a matmul folded into its transpose flags."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from graphc.graph import Node, Tensor
from graphc.passes.rewrite import Uses, rewrite, user_nodes
from graphc.program import Program

IDENTITIES = {"multiply": (1.0, (0, 1)), "add": (0.0, (0, 1)), "subtract": (0.0, (1,)),
              "divide": (1.0, (1,))}


def simplify_node(node: Node, uses: Uses) -> Node | Tensor | None:
    if node.control_inputs:
        return None
    if node.op in IDENTITIES:
        neutral, sides = IDENTITIES[node.op]
        for side in sides:
            other = node.inputs[1 - side]
            if uses.scalar(node.inputs[side]) == neutral and other.type == node.types[0]:
                return other
    if node.op == "negative" and node.inputs[0].node.op == "negative":
        return node.inputs[0].node.inputs[0]
    if node.op == "pow" and uses.scalar(node.inputs[1]) == 2:
        return dataclasses.replace(node, op="square", inputs=node.inputs[:1],
                                   attrs=MappingProxyType({}), origin=user_nodes(node))
    if node.op == "matmul":
        return _fold_transposes(node)
    return None


def _fold_transposes(node: Node) -> Node | None:
    """matmul(transpose(a), b) -> matmul(a, b, transpose_a=True), and the same for b."""
    inputs, attrs = list(node.inputs), dict(node.attrs)
    for i, flag in enumerate(("transpose_a", "transpose_b")):
        t = inputs[i].node
        if t.op == "transpose" and t.attrs["perm"] in (None, (1, 0)) and \
                t.inputs[0].shape is not None and len(t.inputs[0].shape) == 2:
            inputs[i] = t.inputs[0]
            attrs[flag] = not attrs[flag]
    if inputs == list(node.inputs):
        return None
    return dataclasses.replace(node, inputs=tuple(inputs), attrs=MappingProxyType(attrs),
                               origin=user_nodes(node))


def simplify(program: Program) -> Program:
    return rewrite(program, [simplify_node])
