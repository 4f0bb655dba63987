"""Fuse a matmul with the ReLU after it: relu(matmul(a, b)), maximum(matmul(a, b), 0) and
relu(matmul(a, b) + bias) become one op with a ReLU epilogue."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

import numpy as np

from graphc.graph import Node, Tensor
from graphc.passes.rewrite import Uses, rewrite, user_nodes
from graphc.program import Program


def is_zero(t: Tensor, uses: Uses) -> bool:
    """Whether t is a constant or filled tensor of zeros (e.g. gc.zeros(1)) the run does
    not feed."""
    value = uses.constant(t)
    if value is not None:
        return not np.any(value)
    return t.node.op == "fill" and t not in uses.fed and t.node.attrs["value"] == 0


def relu_input(node: Node, uses: Uses) -> Tensor | None:
    """x, if node is relu(x) or maximum(x, zeros) that does not widen x."""
    if node.op == "relu":
        return node.inputs[0]
    if node.op == "maximum" and is_zero(node.inputs[1], uses) and \
            node.types[0].shape == node.inputs[0].shape:
        return node.inputs[0]
    return None


def fused(node: Node, op: str, inputs: tuple[Tensor, ...], matmul: Node,
          *between: Node) -> Node:
    """`node` rewritten as the fused `op`, remembering every user node it replaces."""
    return dataclasses.replace(
        node, op=op, inputs=inputs, attrs=MappingProxyType(dict(matmul.attrs)),
        control_inputs=sum((n.control_inputs for n in (matmul, *between, node)), ()),
        origin=sum((user_nodes(n) for n in (matmul, *between, node)), ()))


def fuse_relu_into_matmul(node: Node, uses: Uses) -> Node | None:
    product = relu_input(node, uses)
    if product is None or not uses.only_used_by_one_node(product):
        return None
    if product.node.op == "matmul":
        return fused(node, "matmul_relu", product.node.inputs, product.node)
    add = product.node
    if add.op != "add":
        return None
    for side in (0, 1):
        inner, bias = add.inputs[side], add.inputs[1 - side]
        if inner.node.op == "matmul" and uses.only_used_by_one_node(inner) and \
                inner.type == add.types[0]:
            return fused(node, "matmul_bias_relu", (*inner.node.inputs, bias), inner.node,
                         add)
    return None


def fuse_matmul_relu(program: Program) -> Program:
    return rewrite(program, [fuse_relu_into_matmul])
