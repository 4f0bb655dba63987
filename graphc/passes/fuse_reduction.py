"""Reduction fusion: a float sum, mean or max whose input is made by an elementwise op (or
a group the elementwise fusion made) becomes one fused_reduction op, which reduces the
expression's elements as it makes them. An L2 loss's sum(square(w)) and a mean squared
error's mean(square(d)) read their inputs once and write no array.

Only where each backend can read every input in order: the axes reduced are the last ones
(all of them, or each row's), and each array the expression reads has the value's rank
and either no dim of 1 where the value's may be longer, or 1s at the reduced axes and no
such dim elsewhere: one value per row, as the row max kept as (None, 1) that logsumexp
subtracts (a scalar may stand beside them). At run time such an array nearly always has
that shape (two batches of one size); one that broadcasts after all (a batch of 1 against
a batch of 6) is copied out to it first.

Nothing else may read the value, except nodes that read only its shape (OpDef.shape_only:
a mean's gradient reads the shape and element count of the mean's input). Those read it
instead from an input of the value's op of the same type and provably the same shape,
which the fused reduction reads, so it is computed anyway; the reduction fuses in the
stage's next sweep.
"""

from __future__ import annotations

from typing import Any

from graphc.graph import Node, Tensor
from graphc.ops.fused import FUSED_REDUCTIONS
from graphc.passes.fuse_elementwise import as_expression, fusable
from graphc.passes.rewrite import Uses, remade, rewrite
from graphc.program import Program
from graphc.registry import OPS


def _in_order(shape: tuple[int | None, ...] | None, value: tuple[int | None, ...],
              axes: tuple[int, ...]) -> bool:
    """Whether an input of `shape` can be read in the order of the value's elements, or
    one element per row: the value's rank, and no dim that is 1 where the value's dim is
    not known to be 1, but for 1s at every reduced axis."""
    if shape is None or len(shape) != len(value):
        return False
    per_row = all(shape[d] == 1 for d in axes)
    return not any(d == 1 and v != 1 and not (per_row and k in axes)
                   for k, (d, v) in enumerate(zip(shape, value)))


def _fusable_input(reduction: Node) -> tuple[Any, tuple[Tensor, ...]] | None:
    """(expression, inputs) of the elementwise op making the reduction's input, where the
    two can fuse, whoever else reads that value; else None."""
    if reduction.op not in FUSED_REDUCTIONS or not reduction.types[0].dtype.is_floating:
        return None
    (value,) = reduction.inputs
    if not (fusable(value.node) and value.shape):
        return None
    rank, axis = len(value.shape), reduction.attrs["axis"]
    axes = tuple(range(rank)) if axis is None else tuple(axis)
    if axes != tuple(range(rank - len(axes), rank)):
        return None  # (leading or inner axes: a backend would gather each row)
    expression, inputs = as_expression(value.node)
    if not all(t.shape == () or _in_order(t.shape, value.shape, axes) for t in inputs):
        return None
    return expression, inputs


def fuse_into_reduction(node: Node, uses: Uses) -> Node | None:
    found = _fusable_input(node)
    if found is None or not uses.only_used_by_one_node(node.inputs[0]):
        return None
    expression, inputs = found
    return remade(node, "fused_reduction", inputs,
                  {"expression": expression, "reduction": node.op,
                   "axis": node.attrs["axis"], "keepdims": node.attrs["keepdims"]},
                  node.inputs[0].node)


def _value_reads(t: Tensor, uses: Uses) -> list[Node]:
    """The nodes reading t's value (one entry per input slot), not its shape alone."""
    t = uses.original.get(t, t)
    return [n for n in uses.readers.get(t, ()) for k, i in enumerate(n.inputs)
            if i == t and k not in OPS[n.op].shape_only]


def shape_from_input(node: Node, uses: Uses) -> Node | None:
    """A node reading only the shape of a value whose one other reader is a reduction it
    could fuse into: the shape read from an input of the value's op instead."""
    inputs = list(node.inputs)
    for k in OPS[node.op].shape_only:
        t = inputs[k]
        if uses.original.get(t, t) in uses.kept:  # (fetched or fed: computed anyway)
            continue
        reads = _value_reads(t, uses)
        if len(reads) != 1 or _fusable_input(reads[0]) is None:
            continue
        for x in t.node.inputs:
            if x.type == t.type and uses.shapes.equal(x, t):
                inputs[k] = x
                return remade(node, node.op, tuple(inputs), node.attrs)
    return None


def fuse_reduction(program: Program) -> Program:
    return rewrite(program, [shape_from_input, fuse_into_reduction])
