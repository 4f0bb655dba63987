"""A Program: the part of a graph one Session.run needs, in execution order.

Passes rewrite Programs (never the user's Graph); backends compile them. A Program never
changes, so what a run asks of it (placeholders, reads) is computed once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from graphc.graph import Node, Tensor
from graphc.registry import OPS


@dataclass(frozen=True)
class Program:
    """Nodes to execute in dependency order, the tensors to return, those fed, and the ops
    run for their effect (assignments, groups)."""

    schedule: tuple[Node, ...]
    fetches: tuple[Tensor, ...]
    feeds: tuple[Tensor, ...]
    targets: tuple[Node, ...] = ()

    @cached_property
    def placeholders(self) -> tuple[Node, ...]:
        """Placeholders the schedule would evaluate: each must be fed."""
        return tuple(n for n in self.schedule if n.op == "placeholder")

    @cached_property
    def reads(self) -> tuple[Node, ...]:
        """Variables whose run-start value the schedule reads."""
        return tuple(n for n in self.schedule if n.op == "variable")

    @cached_property
    def bound_reads(self) -> tuple[Node, ...]:
        """The reads of variables bound to a tensor's storage (e.g. a module parameter's):
        their value lives there, not in the session."""
        return tuple(n for n in self.reads if "storage" in n.attrs)

    @cached_property
    def changes_state(self) -> bool:
        """Whether running it assigns variables or advances random generators."""
        return any(OPS[n.op].effect in ("write", "random") for n in self.schedule)
