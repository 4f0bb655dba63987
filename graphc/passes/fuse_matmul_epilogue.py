"""Epilogue fusion: a matmul whose product goes only into an elementwise op (or a group the
elementwise fusion made) becomes one matmul_epilogue op, which applies that expression as
the product is written. A ReLU, a bias and a ReLU, the ReLU-gradient mask, a momentum
update: one mechanism for every elementwise tail, as long as the tail keeps the product's
shape (it may read the product more than once: p * p). An update a variable is assigned,
which reads that variable, is left alone: the backend writes it into the variable's own
memory instead.
"""

from __future__ import annotations

from graphc.graph import Node, Tensor
from graphc.ops.expression import map_inputs
from graphc.passes.fuse_elementwise import as_expression, expression
from graphc.passes.rewrite import Build, Uses, op, pattern_rules, remade, rewrite
from graphc.program import Program

# an expression reading a product (any of its operands: a group reads many)
TAIL = expression(some=op("matmul", bind="product", absorbed=True))


def _into_matmul(assigned: frozenset[str]) -> Build:
    """The tail as the product's epilogue, where the product is the tail's alone (read
    there as often as it likes), of the tail's type and provably of its shape (no other
    input may widen it), and the tail is no update of a variable it is assigned to."""
    def build(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
        product = m["product"]
        if product.type != node.types[0] or not uses.only_read_by(product, node) or \
                not uses.shapes.equal(product, node.outputs[0]):
            return None
        if node.name in assigned and any(t.node.op == "variable" and t.type == node.types[0]
                                         for t in node.inputs):
            return None  # an update of a variable: a backend may write it into the variable
        expression, inputs = as_expression(node)
        # the product becomes input 0 (each read of it, if the tail reads it twice); the
        # other inputs follow the matmul's two operands
        others = [j for j, t in enumerate(inputs) if t != product]
        order = {j: 0 for j, t in enumerate(inputs) if t == product} | \
            {j: k + 1 for k, j in enumerate(others)}
        renumbered = map_inputs(expression, lambda j: ("input", order[j]))
        return remade(node, "matmul_epilogue",
                      (*product.node.inputs, *(inputs[j] for j in others)),
                      {**product.node.attrs, "expression": renumbered}, product.node)
    return build


def fuse_matmul_epilogue(program: Program) -> Program:
    assigned = frozenset(t.node.name for n in program.schedule if n.op == "assign"
                         for t in n.inputs)
    return rewrite(program, [pattern_rules([(TAIL, _into_matmul(assigned))])])
