"""The reference backend: walk the schedule and call each op's numpy reference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.errors import InvalidArgumentError
from graphc.graph import Node
from graphc.program import Program
from graphc.registry import OPS, OpDef
from graphc.runtime.arrays import host
from graphc.runtime.backend import RunState, register_backend


class Interpreter:
    """A Program run op by op in Python: slow, simple, and the reference for other backends."""

    updates_in_place = False

    def __init__(self, program: Program, check_numerics: bool = False) -> None:
        self.program = program
        self.check_numerics = check_numerics
        self.steps = [(node, OPS[node.op]) for node in program.schedule]

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, np.ndarray]]:
        env: dict[Any, np.ndarray] = dict(zip(self.program.feeds, feeds))
        writes: dict[Node, np.ndarray] = {}
        with np.errstate(all="ignore"):  # NaN and Inf are values; check_numerics reports them
            self._run(env, writes, state)
        # a variable never shares memory with a feed (the user's array) or with another
        # variable (a bound one's storage is overwritten in place when it is assigned)
        others = [*feeds, *(env[n.outputs[0]] for n in self.program.reads)]
        for node, value in writes.items():
            if any(np.may_share_memory(value, other) for other in others):
                writes[node] = value.copy()
        return [env[t] for t in self.program.fetches], writes

    def _run(self, env: dict[Any, np.ndarray], writes: dict[Node, np.ndarray],
             state: RunState) -> None:
        for node, opdef in self.steps:
            if not node.types:
                continue
            args = [env[t] for t in node.inputs]
            values = evaluate(node, opdef, args, state)
            for value in values:
                if self.check_numerics and value.dtype.kind == "f" and \
                        not np.isfinite(value).all():
                    raise InvalidArgumentError(
                        f"{node.describe()} produced {np.count_nonzero(~np.isfinite(value))} "
                        f"NaN or infinite values (shape {shapes.fmt(value.shape)})")
            if opdef.effect == "write":
                writes[node.attrs["var"]] = values[0]
            env.update(zip(node.outputs, values))


def evaluate(node: Node, opdef: OpDef, args: list[np.ndarray],
              state: RunState) -> list[np.ndarray]:
    """The node's output values (one array per output), checked against its static types."""
    try:
        if opdef.effect == "read":
            return [state.variables[node]]
        if opdef.effect == "random":
            result = opdef.reference(*args, rng=state.rng(node), **node.attrs)  # type: ignore[misc]
        else:
            result = opdef.reference(*args, **node.attrs)  # type: ignore[misc]
        results = result if len(node.types) > 1 else (result,)
        values = [np.asarray(v, dtype=t.dtype.np) for v, t in zip(results, node.types)]
    except Exception as err:
        inputs = ", ".join(f"{shapes.fmt(a.shape)} {a.dtype}" for a in args)
        raise InvalidArgumentError(f"{node.describe()} failed on inputs [{inputs}]: {err}") from err
    for value, t in zip(values, node.types):
        if not shapes.matches(t.shape, value.shape):
            raise InvalidArgumentError(
                f"{node.describe()} produced shape {shapes.fmt(value.shape)}, but its static "
                f"shape is {shapes.fmt(t.shape)}")
    return values


class NumpyBackend:
    """Backend "numpy": the Interpreter."""

    name = "numpy"

    def compile(self, program: Program, check_numerics: bool = False) -> Interpreter:
        return Interpreter(program, check_numerics)

    def place(self, value: Any) -> Any:
        return host(value)


register_backend("numpy", NumpyBackend)
