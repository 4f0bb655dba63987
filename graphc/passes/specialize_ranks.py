"""Specializing a Program to the ranks of its feeds: a placeholder declared without a shape
(`gc.placeholder(gc.float32)`) has an unknown rank, and so has everything computed from it,
which native backends cannot compile. A Session compiles one Program per feed signature
(dtype and rank of each feed), so for each run it knows the ranks: this pass gives each fed
tensor of unknown rank the fed rank (every dimension unknown) and infers its readers' types
again, in schedule order.

Nothing else changes: the nodes keep their names, ops and attributes, and stand for the user
nodes they replace (`origin`). A node whose type rule refuses the fed rank keeps its old
type, so the run reports the problem as it would have without this pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from graphc.graph import Node, Tensor, TensorType
from graphc.program import Program
from graphc.registry import OPS


def specialize_ranks(program: Program, ranks: Mapping[Tensor, int]) -> Program:
    """`program` with each fed tensor of unknown rank given its rank from `ranks` and the
    types that follow from it (the same Program if there is none)."""
    todo = {t: r for t, r in ranks.items() if t.shape is None and t in program.feeds}
    if not todo:
        return program
    mapping: dict[Tensor, Tensor] = {}
    for t, rank in todo.items():
        types = list(t.node.types)
        types[t.index] = TensorType(t.dtype, (None,) * rank)
        node = dataclasses.replace(t.node, types=tuple(types), origin=_users(t.node))
        mapping[t] = node.outputs[t.index]
    replaced: dict[Node, Node] = {}
    for node in program.schedule:
        inputs = tuple(mapping.get(t, t) for t in node.inputs)
        controls = tuple(replaced.get(c, c) for c in node.control_inputs)
        if inputs == node.inputs and controls == node.control_inputs:
            continue
        new = dataclasses.replace(node, inputs=inputs, control_inputs=controls,
                                  types=_inferred(node, inputs), origin=_users(node))
        replaced[node] = new
        mapping.update(zip(node.outputs, new.outputs))
    schedule = tuple(replaced.get(n, n) for n in program.schedule)
    return Program(schedule, tuple(mapping.get(t, t) for t in program.fetches),
                   tuple(mapping.get(t, t) for t in program.feeds),
                   tuple(replaced.get(n, n) for n in program.targets))


def _inferred(node: Node, inputs: tuple[Tensor, ...]) -> tuple[TensorType, ...]:
    """node's output types for `inputs`; its old ones if its type rule refuses them."""
    try:
        out = OPS[node.op].infer([t.type for t in inputs], node.attrs)
    except (ValueError, TypeError):
        return node.types
    types = (out,) if isinstance(out, TensorType) else tuple(out)
    return types if len(types) == len(node.types) else node.types


def _users(node: Node) -> tuple[Node, ...]:
    return node.origin or (node,)
