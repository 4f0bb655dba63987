"""Elementwise fusion: a connected group of elementwise ops becomes one fused_elementwise
op whose expression a backend computes in a single loop, with no temporaries between ops.

An op joins its input's group only when that input is used by nothing else and is neither
fetched nor fed, so no value anyone else needs disappears. Ops with attributes (cast,
check_numerics) stay on their own.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any

from graphc.graph import Node, Tensor
from graphc.passes.rewrite import Uses, rewrite, user_nodes
from graphc.program import Program
from graphc.registry import OPS


def _fusable(node: Node) -> bool:
    return (OPS[node.op].elementwise and not node.attrs and len(node.types) == 1) or \
        node.op == "fused_elementwise"


def _as_expression(node: Node) -> tuple[tuple[Any, ...], tuple[Tensor, ...]]:
    """The node as an expression over its inputs."""
    if node.op == "fused_elementwise":
        return node.attrs["expression"], node.inputs
    operands = tuple(("input", i) for i in range(len(node.inputs)))
    return (node.op, node.types[0].dtype.name, *operands), node.inputs


def _shift(expression: tuple[Any, ...], offset: int) -> tuple[Any, ...]:
    if expression[0] == "input":
        return ("input", expression[1] + offset)
    op, dtype, *operands = expression
    return (op, dtype, *(_shift(e, offset) for e in operands))


def _substitute(expression: tuple[Any, ...], index: int, inner: tuple[Any, ...]
                ) -> tuple[Any, ...]:
    if expression[0] == "input":
        return inner if expression[1] == index else expression
    op, dtype, *operands = expression
    return (op, dtype, *(_substitute(e, index, inner) for e in operands))


def fuse_into_consumer(node: Node, uses: Uses) -> Node | None:
    if not _fusable(node):
        return None
    expression, inputs = _as_expression(node)
    absorbed: list[Node] = []
    for i, t in enumerate(node.inputs):
        if not (_fusable(t.node) and uses.only_used_by_one_node(t)):
            continue
        inner, inner_inputs = _as_expression(t.node)
        # the producer's inputs are appended; its result is replaced by its expression
        expression = _substitute(expression, i, _shift(inner, len(inputs)))
        inputs = inputs + inner_inputs
        absorbed.append(t.node)
    if not absorbed:
        return None
    used = list(dict.fromkeys(_inputs_of(expression)))  # numbered as the expression reads
    renumber = {old: new for new, old in enumerate(used)}
    return dataclasses.replace(
        node, op="fused_elementwise", inputs=tuple(inputs[i] for i in used),
        attrs=MappingProxyType({"expression": _renumber(expression, renumber)}),
        control_inputs=sum((n.control_inputs for n in (*absorbed, node)), ()),
        origin=sum((user_nodes(n) for n in (*absorbed, node)), ()))


def _inputs_of(expression: tuple[Any, ...]) -> list[int]:
    if expression[0] == "input":
        return [expression[1]]
    return [i for e in expression[2:] for i in _inputs_of(e)]


def _renumber(expression: tuple[Any, ...], mapping: dict[int, int]) -> tuple[Any, ...]:
    if expression[0] == "input":
        return ("input", mapping[expression[1]])
    op, dtype, *operands = expression
    return (op, dtype, *(_renumber(e, mapping) for e in operands))


def fuse_elementwise(program: Program) -> Program:
    return rewrite(program, [fuse_into_consumer])
