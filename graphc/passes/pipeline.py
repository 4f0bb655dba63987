"""The pass pipeline, in order: prune first, then each rewrite of PASSES."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from graphc.graph import Node, Tensor
from graphc.passes.eliminate_common_subexpressions import eliminate_common_subexpressions
from graphc.passes.fold_constants import fold_constants
from graphc.passes.fold_update import fold_update
from graphc.passes.fuse_elementwise import fuse_elementwise
from graphc.passes.fuse_matmul_relu import fuse_matmul_relu
from graphc.passes.fuse_relu_mask import fuse_relu_mask
from graphc.passes.prune import prune
from graphc.passes.simplify import simplify
from graphc.program import Program

# (name, pass) in the order they run; each is a pure Program -> Program function.
PASSES: list[tuple[str, Callable[[Program], Program]]] = [
    ("fold_constants", fold_constants),
    ("eliminate_common_subexpressions", eliminate_common_subexpressions),
    ("simplify", simplify),
    ("fuse_matmul_relu", fuse_matmul_relu),
    ("fuse_relu_mask", fuse_relu_mask),
    ("fold_update", fold_update),
    ("fuse_elementwise", fuse_elementwise),
]


def build_program(fetches: Iterable[Tensor], targets: Iterable[Node] = (),
                  feeds: Iterable[Tensor] = (), optimize: bool = True,
                  disabled: Iterable[str] = ()) -> Program:
    """Prune the graph to what a run needs, then apply every pass (unless `optimize` is
    False) not named in `disabled`."""
    program = prune(fetches, targets, feeds)
    skip = set(disabled)
    unknown = skip - {name for name, _ in PASSES}
    if unknown:
        raise ValueError(f"unknown passes {sorted(unknown)}; the passes are "
                         f"{[name for name, _ in PASSES]}")
    for name, rewrite in PASSES:
        if optimize and name not in skip:
            program = rewrite(program)
    return program
