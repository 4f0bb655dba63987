"""How control flow runs its function graphs (a cond's branches, a while_loop's body) in a
Session: as programs of their own, built by the compiler's stages with the Session's
options and compiled by its backend, so a branch fuses and runs natively as the whole
program does. Session.run names the build (`ops/flow.running_on`) while a program holding
control flow runs; ops/flow.py compiles each function graph once per build and per rank
of the values fed where the graph's rank is unknown. Outside a Session's run, and on a
backend that does not run function graphs itself (CUDA: control flow runs on host copies),
function graphs run on the numpy interpreter, unoptimized.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from graphc.graph import FuncGraph
from graphc.passes.pipeline import build_program
from graphc.passes.prune import prune
from graphc.runtime.backend import Executable, RunState, get_backend
from graphc.runtime.interpreter import Interpreter


@dataclass(frozen=True)
class FunctionBuild:
    """What a Session compiles function graphs with: its backend (by name), its passes and
    its numerics check."""

    backend: str
    optimize: bool = True
    disabled: tuple[str, ...] = ()
    check_numerics: bool = False


def compile_function(fg: FuncGraph, build: FunctionBuild | None, ranks: tuple[int | None, ...]
                     ) -> Callable[[list[np.ndarray]], list[np.ndarray]]:
    """A function running `fg` on its argument values then its captured values, with a fresh
    run state per call; `ranks` gives, feed by feed, the rank of a feed whose static rank
    is unknown (None for the others)."""
    feeds = [*fg.inputs, *fg.captures.values()]
    run: Executable
    if build is None:
        run = Interpreter(prune(fg.outputs, (), feeds))
    else:
        known = {t: rank for t, rank in zip(feeds, ranks) if rank is not None}
        program = build_program(fg.outputs, (), feeds, build.optimize, build.disabled,
                                ranks=known)
        run = get_backend(build.backend).compile(program, build.check_numerics)
    return lambda values: run(values, RunState())[0]
