"""Fold a scaled product into the sum that consumes it: c - s * (a @ b) and c + s * (a @ b),
with s a scalar, become one matmul_add, which BLAS computes as a single gemm into a copy
of c (beta = 1). An SGD step w - lr * grad_w is the case that matters."""

from __future__ import annotations

from graphc import shapes
from graphc.graph import Node, Tensor
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program


def _scaled_product(t: Tensor, uses: Uses) -> tuple[Node, Tensor] | None:
    """(the matmul, the scale), if t is scale * matmul(...) used only here."""
    node = t.node
    if node.op != "multiply" or not uses.only_used_by_one_node(t):
        return None
    for side in (0, 1):
        product, scale = node.inputs[side], node.inputs[1 - side]
        if product.node.op == "matmul" and scale.shape == () and \
                uses.only_used_by_one_node(product):
            return product.node, scale
    return None


def fold_scaled_product(node: Node, uses: Uses) -> Node | None:
    if node.op not in ("add", "subtract") or not node.types[0].dtype.is_floating:
        return None
    out = node.types[0]
    sides = (1,) if node.op == "subtract" else (1, 0)
    for side in sides:
        accumulator, term = node.inputs[1 - side], node.inputs[side]
        found = _scaled_product(term, uses)
        # the product, the accumulator and the result must have one known shape: gemm
        # writes into a copy of the accumulator and cannot broadcast
        if found is None or not shapes.is_fully_defined(out.shape) or \
                accumulator.type != out or found[0].types[0] != out:
            continue
        matmul, scale = found
        return remade(node, "matmul_add", (*matmul.inputs, accumulator, scale),
                      {**matmul.attrs, "subtract": node.op == "subtract"}, matmul, term.node)
    return None


def fold_update(program: Program) -> Program:
    return rewrite(program, [fold_scaled_product])
