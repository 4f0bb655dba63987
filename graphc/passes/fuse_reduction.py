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
stage's next sweep. A value only such nodes read (the loss of a training step that does not
fetch it: its mean's gradient still reads the squares' shape) is not computed at all.
"""

from __future__ import annotations

from graphc.graph import Node, Tensor
from graphc.ops.fused import FUSED_REDUCTIONS
from graphc.passes.fuse_elementwise import as_expression, expression, fusable
from graphc.passes.rewrite import Uses, op, pattern_rules, remade, rewrite
from graphc.program import Program
from graphc.registry import OPS, OpNames


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


def _reads_in_order(t: Tensor, uses: Uses) -> bool:
    """Whether the reduction making t, of a float type, reduces the last axes of its input
    (all of them, or each row's), and the expression making its input reads each of its
    inputs in order (a scalar may stand beside them)."""
    reduction = t.node
    (value,) = reduction.inputs
    if not (t.dtype.is_floating and value.shape):
        return False
    rank, axis = len(value.shape), reduction.attrs["axis"]
    axes = tuple(range(rank)) if axis is None else tuple(axis)
    if axes != tuple(range(rank - len(axes), rank)):
        return False  # (leading or inner axes: a backend would gather each row)
    _, inputs = as_expression(value.node)
    return all(x.shape == () or _in_order(x.shape, value.shape, axes) for x in inputs)


def _once(t: Tensor, uses: Uses) -> bool:
    return uses.only_used_by_one_node(t)


# a sum, mean or max of an expression, which may fuse once nothing else reads its value
# (the fused op takes over both nodes' control inputs)
REDUCIBLE = op(FUSED_REDUCTIONS, expression(absorbed=True), test=_reads_in_order,
               absorbed=True)
# ... and one that does: its value read by nothing else
FUSABLE = op(FUSED_REDUCTIONS, expression("value", test=_once, absorbed=True),
             test=_reads_in_order, absorbed=True)
# a node that reads only the shape of some of its inputs (a mean's gradient)
READS_A_SHAPE = op(OpNames(lambda opdef: bool(opdef.shape_only)), commutative=False,
                   absorbed=True)


def _fused(m: dict[str, Tensor], node: Node, uses: Uses) -> Node:
    expression, inputs = as_expression(m["value"].node)
    return remade(node, "fused_reduction", inputs,
                  {"expression": expression, "reduction": node.op,
                   "axis": node.attrs["axis"], "keepdims": node.attrs["keepdims"]},
                  m["value"].node)


def _value_reads(t: Tensor, uses: Uses) -> list[Node]:
    """The nodes reading t's value (one entry per input slot), not its shape alone."""
    t = uses.original.get(t, t)
    return [n for n in uses.readers.get(t, ()) for k, i in enumerate(n.inputs)
            if i == t and k not in OPS[n.op].shape_only]


def _shape_from_input(m: dict[str, Tensor], node: Node, uses: Uses) -> Node | None:
    """A node reading only the shape of a value whose one other reader is a reduction it
    could fuse into, or that nothing else reads (a loss the training step does not fetch):
    the shape read from an input of the value's op instead."""
    inputs = list(node.inputs)
    for k in OPS[node.op].shape_only:
        t = inputs[k]
        if uses.original.get(t, t) in uses.kept:  # (fetched or fed: computed anyway)
            continue
        if not fusable(t.node):
            continue  # (only an expression, which has no effects, may go uncomputed)
        reads = _value_reads(t, uses)
        if reads and (len(reads) != 1 or REDUCIBLE.match(reads[0].outputs[0], uses) is None):
            continue
        for x in t.node.inputs:
            if x.type == t.type and uses.shapes.equal(x, t):
                inputs[k] = x
                return remade(node, node.op, tuple(inputs), node.attrs)
    return None


def fuse_reduction(program: Program) -> Program:
    return rewrite(program, [pattern_rules([(READS_A_SHAPE, _shape_from_input),
                                            (FUSABLE, _fused)])])
