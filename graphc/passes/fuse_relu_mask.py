"""Backward fusion: where(m > 0, matmul(a, b), 0), the ReLU gradient mask applied to the
product that makes the incoming gradient, becomes one matmul_mask op."""

from __future__ import annotations

from graphc.graph import Node
from graphc.passes.fuse_matmul_relu import fused, is_zero
from graphc.passes.rewrite import Uses, rewrite
from graphc.program import Program


def fuse_mask_into_matmul(node: Node, uses: Uses) -> Node | None:
    if node.op != "where" or not is_zero(node.inputs[2], uses):
        return None
    test, product = node.inputs[0], node.inputs[1]
    if test.node.op != "greater" or not is_zero(test.node.inputs[1], uses):
        return None
    if product.node.op != "matmul" or product.type != node.types[0]:
        return None
    if not (uses.only_used_by_one_node(product) and uses.only_used_by_one_node(test)):
        return None
    mask = test.node.inputs[0]
    return fused(node, "matmul_mask", (*product.node.inputs, mask), product.node, test.node)


def fuse_relu_mask(program: Program) -> Program:
    return rewrite(program, [fuse_mask_into_matmul])
