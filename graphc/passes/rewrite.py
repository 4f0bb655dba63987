"""The shared rewrite loop: local rules applied to a Program in schedule order.

A rule looks at one node (whose inputs are already rewritten) and returns a replacement: a
new or earlier node, an existing tensor that already holds the value, or None to keep it.
Nodes whose inputs changed are rebuilt; dead nodes are dropped at the end. Every new node
keeps, in `origin`, the user nodes it stands for, so errors and renders can name them.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from graphc.graph import Node, Tensor, toposort
from graphc.ops.core import scalar_value
from graphc.program import Program


class Uses:
    """How the original program uses each tensor: rules must not fuse away a value that is
    fetched, fed, or read by more than one node."""

    def __init__(self, program: Program) -> None:
        self.count = Counter(t for n in program.schedule for t in n.inputs)
        self.fed = frozenset(program.feeds)
        self.kept = set(program.fetches) | self.fed
        self.original: dict[Tensor, Tensor] = {}  # rewritten tensor -> the tensor it replaced

    def constant(self, t: Tensor) -> Any:
        """t's value if t is a constant the run does not feed, else None: a fed constant
        is a placeholder with a default, so no rule may use the value it was built with."""
        node = t.node
        return node.attrs["value"] if node.op == "constant" and t not in self.fed else None

    def scalar(self, t: Tensor) -> float | None:
        """t's value if t is a scalar constant the run does not feed, else None."""
        return scalar_value(t) if t not in self.fed else None

    def only_used_by_one_node(self, t: Tensor) -> bool:
        t = self.original.get(t, t)
        return self.count[t] == 1 and t not in self.kept


Rule = Callable[[Node, Uses], "Node | Tensor | None"]


def user_nodes(node: Node) -> tuple[Node, ...]:
    """The user's nodes a (possibly rewritten) node stands for."""
    return node.origin or (node,)


def rewrite(program: Program, rules: Sequence[Rule]) -> Program:
    """Apply `rules` once to each node, in schedule order; return the pruned result."""
    uses = Uses(program)
    mapping: dict[Tensor, Tensor] = {}
    replaced: dict[Node, Node] = {}
    for node in program.schedule:
        inputs = tuple(mapping.get(t, t) for t in node.inputs)
        controls = tuple(replaced.get(c, c) for c in node.control_inputs)
        new = node
        if inputs != node.inputs or controls != node.control_inputs:
            new = dataclasses.replace(node, inputs=inputs, control_inputs=controls,
                                      origin=user_nodes(node))
        replacement: Node | Tensor = new
        for rule in rules:
            found = rule(new, uses)
            if found is not None:
                replacement = found
                break
        if isinstance(replacement, Tensor):  # the value already exists elsewhere
            mapping[node.outputs[0]] = replacement
            replaced[node] = replacement.node
        elif replacement is not node:
            replaced[node] = replacement
            for old_t, new_t in zip(node.outputs, replacement.outputs):
                mapping[old_t] = new_t
                uses.original.setdefault(new_t, old_t)
    fetches = tuple(mapping.get(t, t) for t in program.fetches)
    fed = set(program.feeds)
    targets = tuple(replaced.get(n, n) for n in program.targets)

    def deps(n: Node) -> list[Node]:
        return [t.node for t in n.inputs if t not in fed] + list(n.control_inputs)

    roots = [t.node for t in fetches if t not in fed] + list(targets)
    return Program(tuple(toposort(roots, deps)), fetches, program.feeds, targets)
