"""Elementwise fusion: a connected group of elementwise ops becomes one fused_elementwise
op whose expression a backend computes in a single loop, with no temporaries between ops.

An op joins its input's group only when that input is used by nothing else and is neither
fetched nor fed, so no value anyone else needs disappears. Ops with attributes (cast,
check_numerics) stay on their own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from graphc.graph import Node, Tensor
from graphc.ops.expression import inputs_of, map_inputs
from graphc.passes.rewrite import Pattern, Uses, op, rewrite, user_nodes
from graphc.program import Program
from graphc.registry import OPS, OpNames

ELEMENTWISE = OpNames(lambda opdef: opdef.elementwise)  # (fused_elementwise included)


def fusable(node: Node) -> bool:
    """Whether the node is an elementwise op an expression can hold."""
    return (OPS[node.op].elementwise and not node.attrs and len(node.types) == 1) or \
        node.op == "fused_elementwise"


def expression(bind: str | None = None, test: Callable[[Tensor, Uses], bool] | None = None,
               some: Pattern | None = None, absorbed: bool = False) -> Pattern:
    """A pattern for a tensor an expression can hold (`fusable`), passing `test`."""
    def holds(t: Tensor, uses: Uses) -> bool:
        return fusable(t.node) and (test is None or test(t, uses))
    return op(ELEMENTWISE, bind=bind, commutative=False, test=holds, some=some,
              absorbed=absorbed)


def as_expression(node: Node) -> tuple[tuple[Any, ...], tuple[Tensor, ...]]:
    """The node as an expression over its inputs."""
    if node.op == "fused_elementwise":
        return node.attrs["expression"], node.inputs
    operands = tuple(("input", i) for i in range(len(node.inputs)))
    return (node.op, node.types[0].dtype.name, *operands), node.inputs


def _shifted(expression: tuple[Any, ...], offset: int) -> tuple[Any, ...]:
    return map_inputs(expression, lambda j: ("input", j + offset))


def fuse_into_consumer(node: Node, uses: Uses) -> Node | None:
    if not fusable(node):
        return None
    expression, inputs = as_expression(node)
    absorbed: list[Node] = []
    replacements: dict[int, tuple[Any, ...]] = {}
    reads = inputs_of(expression)
    for i, t in enumerate(node.inputs):
        # (an input the expression reads twice would be computed twice)
        if not (fusable(t.node) and uses.only_used_by_one_node(t)) or reads.count(i) != 1:
            continue
        # the producer's inputs are appended; its result is replaced by its expression
        inner, inner_inputs = as_expression(t.node)
        replacements[i] = _shifted(inner, len(inputs))
        inputs = inputs + inner_inputs
        absorbed.append(t.node)
    if not absorbed:
        return None
    expression = map_inputs(expression, lambda j: replacements.get(j, ("input", j)))
    first: dict[Tensor, int] = {}  # a tensor read twice (e.g. a shared 0) is one input
    same = [first.setdefault(t, j) for j, t in enumerate(inputs)]
    used = list(dict.fromkeys(same[j] for j in inputs_of(expression)))  # as the expression reads
    renumber = {old: used.index(same[old]) for old in inputs_of(expression)}
    return dataclasses.replace(
        node, op="fused_elementwise", inputs=tuple(inputs[i] for i in used),
        attrs=MappingProxyType({"expression": map_inputs(
            expression, lambda j: ("input", renumber[j]))}),
        control_inputs=sum((n.control_inputs for n in (*absorbed, node)), ()),
        origin=sum((user_nodes(n) for n in (*absorbed, node)), ()))


def fuse_elementwise(program: Program) -> Program:
    return rewrite(program, [fuse_into_consumer])
