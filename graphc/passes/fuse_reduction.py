"""Reduction fusion: a float sum, mean or max whose input is made by an elementwise op (or
a group the elementwise fusion made) that nothing else reads becomes one fused_reduction
op, which reduces the expression's elements as it makes them. An L2 loss's
sum(square(w)) and a mean squared error's mean(square(d)) read their inputs once and
write no array.

Only where each backend can read every input in order: each array the expression reads
has the value's rank (a scalar may stand beside them), and the axes reduced are the last
ones (all of them, or each row's). At run time such an array nearly always has the value's
shape too (two batches of one size); one that broadcasts is copied out to it first.
"""

from __future__ import annotations

from graphc.graph import Node
from graphc.ops.fused import FUSED_REDUCTIONS
from graphc.passes.fuse_elementwise import as_expression, fusable
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program


def fuse_into_reduction(node: Node, uses: Uses) -> Node | None:
    if node.op not in FUSED_REDUCTIONS or not node.types[0].dtype.is_floating:
        return None
    (value,) = node.inputs
    if not (fusable(value.node) and uses.only_used_by_one_node(value) and value.shape):
        return None
    expression, inputs = as_expression(value.node)
    if not all(t.shape is not None and len(t.shape) in (0, len(value.shape)) for t in inputs):
        return None
    rank, axis = len(value.shape), node.attrs["axis"]
    if axis is not None and tuple(axis) != tuple(range(rank - len(axis), rank)):
        return None  # (leading or inner axes: a backend would gather each row)
    return remade(node, "fused_reduction", inputs,
                  {"expression": expression, "reduction": node.op, "axis": axis,
                   "keepdims": node.attrs["keepdims"]}, value.node)


def fuse_reduction(program: Program) -> Program:
    return rewrite(program, [fuse_into_reduction])
