"""Epilogue fusion: a matmul whose product goes only into an elementwise op (or a group the
elementwise fusion made) becomes one matmul_epilogue op, which applies that expression as
the product is written. A ReLU, a bias and a ReLU, the ReLU-gradient mask, a momentum
update: one mechanism for every elementwise tail, as long as the tail keeps the product's
shape (it may read the product more than once: p * p). An update a variable is assigned,
which reads that variable, is left alone: the backend writes it into the variable's own
memory instead.
"""

from __future__ import annotations

from graphc.graph import Node
from graphc.ops.expression import map_inputs
from graphc.passes.fuse_elementwise import as_expression, fusable
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program


def fuse_into_matmul(node: Node, uses: Uses, assigned: frozenset[str] = frozenset()
                     ) -> Node | None:
    if not fusable(node) or node.control_inputs:
        return None
    if node.name in assigned and any(t.node.op == "variable" and t.type == node.types[0]
                                     for t in node.inputs):
        return None  # an update of a variable: a backend may write it into the variable
    expression, inputs = as_expression(node)
    for t in dict.fromkeys(inputs):
        product = t.node
        if product.op != "matmul" or t.type != node.types[0] or \
                not uses.only_read_by(t, node) or \
                not uses.shapes.equal(t, node.outputs[0]):  # (no input may widen it)
            continue
        # the product becomes input 0 (each read of it, if the op reads it twice); the other
        # inputs follow the matmul's two operands
        others = [j for j, o in enumerate(inputs) if o != t]
        order = {j: 0 for j, o in enumerate(inputs) if o == t} | \
            {j: k + 1 for k, j in enumerate(others)}
        renumbered = map_inputs(expression, lambda j: ("input", order[j]))  # noqa: B023
        return remade(node, "matmul_epilogue", (*product.inputs, *(inputs[j] for j in others)),
                      {**product.attrs, "expression": renumbered}, product)
    return None


def fuse_matmul_epilogue(program: Program) -> Program:
    assigned = frozenset(t.node.name for n in program.schedule if n.op == "assign"
                         for t in n.inputs)
    return rewrite(program, [lambda node, uses: fuse_into_matmul(node, uses, assigned)])
