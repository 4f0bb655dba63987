"""Control ops: no_op and group, which only order other ops."""

from __future__ import annotations

from typing import Any

from graphc.graph import Node, Tensor, get_default_graph
from graphc.registry import OpDef, register

NO_OP = register(OpDef("no_op", lambda types, attrs: (), lambda: (), host=True))


def no_op(name: str | None = None) -> Node:
    """An op that does nothing (useful with control dependencies)."""
    return get_default_graph().create_node("no_op", (), {}, (), name)


def group(*ops: Any, name: str | None = None) -> Node:
    """An op that runs all `ops` (tensors or ops, possibly nested in lists)."""
    nodes: list[Node] = []
    stack = list(ops)
    while stack:
        item = stack.pop(0)
        if isinstance(item, list | tuple):
            stack[:0] = list(item)
        elif isinstance(item, Tensor):
            nodes.append(item.node)
        elif isinstance(item, Node):
            nodes.append(item)
        else:
            raise TypeError(f"group: expected tensors or ops, got {type(item).__name__}")
    graph = nodes[0].graph if nodes and nodes[0].graph else get_default_graph()
    return graph.create_node("no_op", (), {}, (), name or "group", control_inputs=nodes)
