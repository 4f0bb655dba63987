"""Fuse relu(matmul(a, b)) and maximum(matmul(a, b), 0) into one matmul_relu node."""

from __future__ import annotations

import dataclasses

import numpy as np

from graphc.graph import Node, Tensor
from graphc.passes.rewrite import Uses, user_nodes
from graphc.program import Program


def is_zero(t: Tensor) -> bool:
    """Whether t is a constant or filled tensor of zeros (e.g. gc.zeros(1))."""
    node = t.node
    if node.op == "constant":
        return not np.any(node.attrs["value"])
    return node.op == "fill" and node.attrs["value"] == 0


def fuse_relu_into_matmul(node: Node, uses: Uses) -> Node | None:
    """matmul feeding only a relu (or a maximum with zeros of no larger shape) -> matmul_relu."""
    if node.op == "relu":
        product = node.inputs[0]
    elif node.op == "maximum" and is_zero(node.inputs[1]) and \
            node.types[0].shape == node.inputs[0].shape:
        product = node.inputs[0]
    else:
        return None
    matmul = product.node
    if matmul.op != "matmul" or not uses.only_used_by_one_node(product):
        return None
    return dataclasses.replace(
        node, op="matmul_relu", inputs=matmul.inputs, attrs=matmul.attrs,
        control_inputs=matmul.control_inputs + node.control_inputs,
        origin=user_nodes(matmul) + user_nodes(node))


def fuse_matmul_relu(program: Program) -> Program:
    from graphc.passes.rewrite import rewrite

    return rewrite(program, [fuse_relu_into_matmul])
