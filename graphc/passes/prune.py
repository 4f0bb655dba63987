"""Pruning: keep only the nodes the fetches need, stopping at fed tensors."""

from __future__ import annotations

from collections.abc import Iterable

from graphc.graph import Node, Tensor, toposort
from graphc.program import Program


def prune(fetches: Iterable[Tensor], targets: Iterable[Node], feeds: Iterable[Tensor]) -> Program:
    """A Program computing `fetches` and running `targets`, given values for `feeds`."""
    fetches, feeds = tuple(fetches), tuple(feeds)
    fed = set(feeds)

    def deps(node: Node) -> list[Node]:
        return [t.node for t in node.inputs if t not in fed] + list(node.control_inputs)

    targets = tuple(targets)
    roots = [t.node for t in fetches if t not in fed] + list(targets)
    return Program(tuple(toposort(roots, deps)), fetches, feeds, targets)
