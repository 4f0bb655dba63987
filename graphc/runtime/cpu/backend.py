"""Backend "numba": a Program compiled to native code, one call per native segment.

Weights, feeds and constants are arguments of the generated functions, never globals, and
their types (dtype, rank, layout) are all numba specializes on: a new batch size reuses the
compiled code. Threads: numba code runs on the calling thread (no `parallel=True`), and
BLAS (scipy's OpenBLAS, called for every matmul) owns the cores. On a 2-core machine two
thread pools fight; the matmuls are where the parallel work is, so BLAS gets it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc.errors import InvalidArgumentError
from graphc.graph import Node, Tensor
from graphc.program import Program
from graphc.registry import OPS
from graphc.runtime.arrays import host
from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.interpreter import Interpreter, evaluate
from graphc.runtime.cpu.codegen import HOST_OPS, Segment, Step, compile_segments, plan
from graphc.runtime.cpu.emit import EMITTERS


def _warn_fallback(node: Node) -> None:
    reason = "its rank is unknown until run time" if node.op in EMITTERS else ""
    warn_fallback(node.op, node.describe(), "numba", reason)


def _to_host(value: Any, t: Tensor) -> np.ndarray:
    """A native result as the C-contiguous, writable array of t's dtype the host expects."""
    if isinstance(value, np.ndarray) and value.flags.c_contiguous and value.flags.writeable \
            and value.dtype == t.dtype.np:
        return value
    return np.array(value, dtype=t.dtype.np, order="C")


class NumbaExecutable:
    """The compiled steps of one Program; called once per Session.run."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.steps: list[Step] = plan(program)
        segments = [s for s in self.steps if isinstance(s, Segment)]
        self.functions = dict(zip(map(id, segments), compile_segments(segments)))
        for step in self.steps:
            if isinstance(step, Node) and step.op not in HOST_OPS:
                _warn_fallback(step)

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, np.ndarray]]:
        env: dict[Tensor, Any] = dict(zip(self.program.feeds, feeds))
        writes: dict[Node, np.ndarray] = {}
        try:
            for step in self.steps:
                if isinstance(step, Segment):
                    results = self.functions[id(step)](*[env[t] for t in step.inputs])
                    env.update((t, _to_host(v, t)) for t, v in zip(step.outputs, results))
                elif step.op == "variable":
                    env[step.outputs[0]] = state.variables[step]
                elif step.op == "constant":
                    env[step.outputs[0]] = step.attrs["value"]
                elif step.op == "assign":
                    # stored writable and C-ordered, so each run passes the same array types
                    value = writes[step.attrs["var"]] = _to_host(env[step.inputs[0]],
                                                                 step.outputs[0])
                    env[step.outputs[0]] = value
                elif step.types:
                    values = evaluate(step, OPS[step.op], [env[t] for t in step.inputs], state)
                    env.update(zip(step.outputs, values))
        except InvalidArgumentError:
            raise
        except Exception as err:  # native code knows no op names: ask the reference
            Interpreter(self.program)(feeds, state)
            raise InvalidArgumentError(f"the numba backend failed where the numpy backend "
                                       f"did not: {type(err).__name__}: {err}") from err
        return [env[t] for t in self.program.fetches], writes


class NumbaBackend:
    """Backend "numba". With check_numerics the reference interpreter runs instead, so the
    first op that makes a NaN or an infinity can be named."""

    name = "numba"

    def compile(self, program: Program, check_numerics: bool = False) -> Any:
        if check_numerics:
            return Interpreter(program, check_numerics=True)
        return NumbaExecutable(program)

    def place(self, value: Any) -> Any:
        return host(value)
