"""Reverse-mode differentiation: gradients() adds the backward nodes to the user's graph.

Walk the nodes between xs and ys in reverse order; at each node, sum the gradients of its
outputs, hand them to the op's gradient rule and pass the results on to its inputs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from graphc.graph import Node, Tensor, toposort
from graphc.ops.constant import ones_like, zeros_like
from graphc.ops.core import convert_to_tensor
from graphc.registry import OPS, GradOp


def gradients(ys: Any, xs: Any, grad_ys: Any = None, name: str = "gradients") -> list[Any]:
    """d(sum of ys)/dx for each x in xs, as a list aligned with xs.

    An x the ys do not depend on gets None. `grad_ys` weights each y (default: ones).
    """
    ys, xs = _as_tensors(ys, "ys"), _as_tensors(xs, "xs")
    seeds = [None] * len(ys) if grad_ys is None else _as_list(grad_ys)
    if len(seeds) != len(ys):
        raise ValueError(f"gradients: {len(ys)} ys but {len(seeds)} grad_ys")
    graph = ys[0].graph
    order = toposort([y.node for y in ys], lambda n: [t.node for t in n.inputs])
    live = _depending_on(order, xs)
    grads: dict[Tensor, list[Tensor]] = defaultdict(list)
    with graph.as_default(), graph.name_scope(name):  # type: ignore[union-attr]
        for y, seed in zip(ys, seeds):
            first = len(graph.nodes)  # type: ignore[union-attr]
            grads[y].append(ones_like(y) if seed is None else convert_to_tensor(seed, y.dtype))
            _note_source(graph, first, y.node)
        for node in reversed(order):
            first = len(graph.nodes)  # type: ignore[union-attr]
            _backpropagate(node, grads, live)
            _note_source(graph, first, node)
        totals = []
        for x in xs:
            first = len(graph.nodes)  # type: ignore[union-attr]
            totals.append(_total(grads, x))
            _note_source(graph, first, x.node)
        return totals


def _note_source(graph: Any, first: int, source: Node) -> None:
    """Remember that the nodes added since `first` belong to the gradient of `source`
    (drawings collapse them into one node per user op)."""
    for made in graph.nodes[first:]:
        graph.gradient_sources.setdefault(made, source)


def _backpropagate(node: Node, grads: dict[Tensor, list[Tensor]], live: set[Tensor]) -> None:
    wants = tuple(t in live and t.dtype.is_floating for t in node.inputs)
    out_grads = [_total(grads, t) for t in node.outputs]
    if not any(wants) or all(g is None for g in out_grads):
        return
    rule = node.graph.gradient_overrides.get(node.op) if node.graph else None
    rule = rule or OPS[node.op].grad
    if rule is None:
        raise LookupError(f"gradients: no gradient is defined for {node.describe()}")
    filled = [zeros_like(t) if g is None else g for t, g in zip(node.outputs, out_grads)]
    in_grads = rule(GradOp(node.inputs, node.outputs, node.attrs, wants), *filled)
    for t, g, want in zip(node.inputs, in_grads, wants, strict=True):
        if want and g is not None:
            grads[t].append(g)


def _total(grads: dict[Tensor, list[Tensor]], t: Tensor) -> Tensor | None:
    """The sum of the gradient contributions to t (memoised as a single entry)."""
    parts = grads.get(t)
    if not parts:
        return None
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    grads[t] = [total]
    return total


def _depending_on(order: Sequence[Node], xs: Sequence[Tensor]) -> set[Tensor]:
    live = set(xs)
    for node in order:
        if any(t in live for t in node.inputs):
            live.update(node.outputs)
    return live


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _as_tensors(value: Any, what: str) -> list[Tensor]:
    items = _as_list(value)
    for item in items:
        if not isinstance(item, Tensor):
            raise TypeError(f"gradients: {what} must be graph tensors, got "
                            f"{type(item).__name__} {item!r}")
    if not items:
        raise ValueError(f"gradients: {what} is empty")
    return items
