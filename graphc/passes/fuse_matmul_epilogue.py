"""Epilogue fusion: a matmul whose product goes only into an elementwise op (or a group the
elementwise fusion made) becomes one matmul_epilogue op, which applies that expression as
the product is written. A ReLU, a bias and a ReLU, the ReLU-gradient mask, a momentum
update: one mechanism for every elementwise tail, as long as the tail reads the product
once and keeps its shape.
"""

from __future__ import annotations

from graphc.graph import Node
from graphc.passes.fuse_elementwise import as_expression, fusable, map_inputs
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program


def fuse_into_matmul(node: Node, uses: Uses) -> Node | None:
    if not fusable(node) or node.control_inputs:
        return None
    expression, inputs = as_expression(node)
    for i, t in enumerate(inputs):
        product = t.node
        if product.op != "matmul" or t.type != node.types[0] or inputs.count(t) != 1 or \
                not uses.only_used_by_one_node(t):
            continue
        # the product becomes input 0; the other inputs follow the matmul's two operands
        others = [j for j in range(len(inputs)) if j != i]
        order = {i: 0, **{j: k + 1 for k, j in enumerate(others)}}
        return remade(node, "matmul_epilogue",
                      (*product.inputs, *(inputs[j] for j in others)),
                      {**product.attrs,
                       "expression": map_inputs(expression, lambda j: ("input", order[j]))},
                      product)
    return None


def fuse_matmul_epilogue(program: Program) -> Program:
    return rewrite(program, [fuse_into_matmul])
