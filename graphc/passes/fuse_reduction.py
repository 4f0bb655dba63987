"""Reduction fusion: a float sum, mean or max whose input is made by an elementwise op (or
a group the elementwise fusion made) that nothing else reads becomes one fused_reduction
op, which reduces the expression's elements as it makes them. An L2 loss's
sum(square(w)) and a mean squared error's mean(square(d)) read their inputs once and
write no array.

Only where each backend can read every input in order: each array the expression reads
has the value's rank and no dim of 1 where the value's may be longer (a scalar may stand
beside them: a row max kept as (None, 1), which logsumexp subtracts, is left alone), and
the axes reduced are the last ones (all of them, or each row's). At run time such an array
nearly always has the value's shape too (two batches of one size); one that broadcasts
after all (a batch of 1 against a batch of 6) is copied out to it first.
"""

from __future__ import annotations

from graphc.graph import Node
from graphc.ops.fused import FUSED_REDUCTIONS
from graphc.passes.fuse_elementwise import as_expression, fusable
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program


def _in_order(shape: tuple[int | None, ...] | None, value: tuple[int | None, ...]) -> bool:
    """Whether an input of `shape` can be read in the order of the value's elements: the
    value's rank, and no dim that is 1 where the value's dim is not known to be 1."""
    return shape is not None and len(shape) == len(value) and \
        not any(d == 1 and v != 1 for d, v in zip(shape, value))


def fuse_into_reduction(node: Node, uses: Uses) -> Node | None:
    if node.op not in FUSED_REDUCTIONS or not node.types[0].dtype.is_floating:
        return None
    (value,) = node.inputs
    if not (fusable(value.node) and uses.only_used_by_one_node(value) and value.shape):
        return None
    expression, inputs = as_expression(value.node)
    if not all(t.shape == () or _in_order(t.shape, value.shape) for t in inputs):
        return None
    rank, axis = len(value.shape), node.attrs["axis"]
    if axis is not None and tuple(axis) != tuple(range(rank - len(axis), rank)):
        return None  # (leading or inner axes: a backend would gather each row)
    return remade(node, "fused_reduction", inputs,
                  {"expression": expression, "reduction": node.op, "axis": axis,
                   "keepdims": node.attrs["keepdims"]}, value.node)


def fuse_reduction(program: Program) -> Program:
    return rewrite(program, [fuse_into_reduction])
