"""The compiler pipeline: prune, then each stage in order, each repeated until it changes
nothing. Every stage is a pure Program -> Program function."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from graphc.graph import Node, Tensor
from graphc.passes.canonicalize import canonicalize
from graphc.passes.eliminate_common_subexpressions import eliminate_common_subexpressions
from graphc.passes.fold_update import fold_update
from graphc.passes.fuse_elementwise import fuse_elementwise
from graphc.passes.fuse_matmul_epilogue import fuse_matmul_epilogue
from graphc.passes.fuse_reduction import fuse_reduction
from graphc.passes.prune import prune
from graphc.passes.specialize_ranks import specialize_ranks
from graphc.program import Program

STAGES: list[tuple[str, Callable[[Program], Program]]] = [
    ("canonicalize", canonicalize),  # fold constants; one spelling for each computation
    ("eliminate_common_subexpressions", eliminate_common_subexpressions),
    ("fold_update", fold_update),  # w - lr * (a @ b) as one gemm into w
    ("fuse_elementwise", fuse_elementwise),  # elementwise groups as one loop
    ("fuse_matmul_epilogue", fuse_matmul_epilogue),  # an elementwise tail into its matmul
    ("fuse_reduction", fuse_reduction),  # an elementwise producer into its sum, mean or max
]
STAGE_NAMES = tuple(name for name, _ in STAGES)
MAX_SWEEPS = 50  # a stage that still changes the program after this many sweeps is a bug


def build_program(fetches: Iterable[Tensor], targets: Iterable[Node] = (),
                  feeds: Iterable[Tensor] = (), optimize: bool = True,
                  disabled: Iterable[str] = (), until: str | None = None,
                  ranks: Mapping[Tensor, int] | None = None) -> Program:
    """Prune the graph to what a run needs (fed tensors of unknown rank given theirs from
    `ranks`), then run every stage (unless `optimize` is False) not named in `disabled`;
    with `until`, stop after that stage."""
    program = prune(fetches, targets, feeds)
    if ranks:
        program = specialize_ranks(program, ranks)
    skip = set(disabled)
    unknown = (skip | ({until} if until else set())) - set(STAGE_NAMES)
    if unknown:
        raise ValueError(f"unknown passes {sorted(unknown)}; the passes are "
                         f"{list(STAGE_NAMES)}")
    for name, stage in STAGES:
        if optimize and name not in skip:
            program = repeat(name, stage, program)
        if name == until:
            break
    return program


def repeat(name: str, stage: Callable[[Program], Program], program: Program) -> Program:
    """The stage applied until it returns its input unchanged."""
    for _ in range(MAX_SWEEPS):
        rewritten = stage(program)
        if rewritten is program:
            return program
        program = rewritten
    raise RuntimeError(f"the {name} stage did not settle after {MAX_SWEEPS} sweeps")
