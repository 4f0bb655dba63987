"""The pass pipeline, in order: prune first, then each rewrite of PASSES."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphc.graph import Node, Tensor
from graphc.passes.prune import prune
from graphc.program import Program

# (name, pass) in the order they run; each is a pure Program -> Program function.
PASSES: list[tuple[str, Callable[[Program], Program]]] = []


def build_program(fetches: Iterable[Tensor], targets: Iterable[Node], feeds: Iterable[Tensor],
                  disabled: Iterable[str] = ()) -> Program:
    """Prune the graph to what a run needs, then apply every pass not in `disabled`."""
    program = prune(fetches, targets, feeds)
    skip = set(disabled)
    for name, rewrite in PASSES:
        if name not in skip:
            program = rewrite(program)
    return program
