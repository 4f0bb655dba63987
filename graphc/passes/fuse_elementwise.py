"""Elementwise fusion: a connected group of elementwise ops becomes one fused_elementwise
op whose expression a backend computes in a single loop, with no temporaries between ops.

An op joins its input's group only when that input is used by nothing else and is neither
fetched nor fed, so no value anyone else needs disappears. Ops with attributes (cast,
check_numerics) stay on their own.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from collections.abc import Callable
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


def _map_inputs(expression: tuple[Any, ...], leaf: Callable[[int], tuple[Any, ...]]
                ) -> tuple[Any, ...]:
    """The expression with each ("input", i) replaced by leaf(i)."""
    if expression[0] == "input":
        return leaf(expression[1])
    op, dtype, *operands = expression
    return (op, dtype, *(_map_inputs(e, leaf) for e in operands))


def _shifted(expression: tuple[Any, ...], offset: int) -> tuple[Any, ...]:
    return _map_inputs(expression, lambda j: ("input", j + offset))


def fuse_into_consumer(node: Node, uses: Uses) -> Node | None:
    if not _fusable(node):
        return None
    expression, inputs = _as_expression(node)
    absorbed: list[Node] = []
    replacements: dict[int, tuple[Any, ...]] = {}
    for i, t in enumerate(node.inputs):
        if not (_fusable(t.node) and uses.only_used_by_one_node(t)):
            continue
        # the producer's inputs are appended; its result is replaced by its expression
        inner, inner_inputs = _as_expression(t.node)
        replacements[i] = _shifted(inner, len(inputs))
        inputs = inputs + inner_inputs
        absorbed.append(t.node)
    if not absorbed:
        return None
    expression = _map_inputs(expression, lambda j: replacements.get(j, ("input", j)))
    used = list(dict.fromkeys(_inputs_of(expression)))  # numbered as the expression reads
    renumber = {old: new for new, old in enumerate(used)}
    return dataclasses.replace(
        node, op="fused_elementwise", inputs=tuple(inputs[i] for i in used),
        attrs=MappingProxyType({"expression": _map_inputs(
            expression, lambda j: ("input", renumber[j]))}),
        control_inputs=sum((n.control_inputs for n in (*absorbed, node)), ()),
        origin=sum((user_nodes(n) for n in (*absorbed, node)), ()))


def _inputs_of(expression: tuple[Any, ...]) -> list[int]:
    if expression[0] == "input":
        return [expression[1]]
    return [i for e in expression[2:] for i in _inputs_of(e)]


def fuse_elementwise(program: Program) -> Program:
    return rewrite(program, [fuse_into_consumer])
