"""The reference backend: walk the schedule and call each op's numpy reference."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.errors import InvalidArgumentError
from graphc.graph import Node, Tensor
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
        self.steps = [(node, Call(node, OPS[node.op])) for node in program.schedule]

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
        for node, call in self.steps:
            if not node.types:
                continue
            values = call([env[t] for t in node.inputs], state)
            for value in values:
                if self.check_numerics and value.dtype.kind == "f" and \
                        not np.isfinite(value).all():
                    raise InvalidArgumentError(
                        f"{node.describe()} produced {np.count_nonzero(~np.isfinite(value))} "
                        f"NaN or infinite values (shape {shapes.fmt(value.shape)})")
            if call.effect == "write":
                writes[node.attrs["var"]] = values[0]
            env.update(zip(node.outputs, values))


class Call:
    """A node prepared to run on its numpy reference again and again: the reference with
    the node's attributes bound, and the static types its results are checked against."""

    __slots__ = ("node", "effect", "reference", "dtypes", "shapes", "single")

    def __init__(self, node: Node, opdef: OpDef) -> None:
        self.node, self.effect = node, opdef.effect
        self.reference = functools.partial(opdef.reference or _no_reference(node.op),
                                           **node.attrs)
        self.dtypes = [t.dtype.np for t in node.types]
        self.shapes = [t.shape for t in node.types]
        self.single = len(node.types) == 1

    def __call__(self, args: Sequence[np.ndarray], state: RunState) -> list[np.ndarray]:
        """The node's output values (one array per output), checked against its static
        types."""
        node = self.node
        try:
            if self.effect == "read":
                return [state.variables[node]]
            if self.effect == "random":
                result = self.reference(*args, rng=state.rng(node))
            else:
                result = self.reference(*args)
            results = (result,) if self.single else result
            values = [np.asarray(v, dtype=d) for v, d in zip(results, self.dtypes)]
        except Exception as err:
            inputs = ", ".join(f"{shapes.fmt(a.shape)} {a.dtype}" for a in args)
            raise InvalidArgumentError(f"{node.describe()} failed on inputs [{inputs}]: "
                                       f"{err}") from err
        for value, shape in zip(values, self.shapes):
            check_shape(node, shape, value)
        return values


def check_shape(node: Node, shape: Any, value: np.ndarray) -> np.ndarray:
    """`value`, if its shape is one the node's static `shape` allows; else the error."""
    if not shapes.matches(shape, value.shape):
        raise InvalidArgumentError(f"{node.describe()} produced shape "
                                   f"{shapes.fmt(value.shape)}, but its static shape is "
                                   f"{shapes.fmt(shape)}")
    return value


def _no_reference(op: str) -> Callable[..., Any]:
    def missing(*args: Any, **attrs: Any) -> Any:
        raise TypeError(f"op '{op}' has no numpy reference")
    return missing


def evaluate(node: Node, opdef: OpDef, args: list[np.ndarray],
             state: RunState) -> list[np.ndarray]:
    """The node's output values (one array per output), checked against its static types."""
    return Call(node, opdef)(args, state)


class Plan:
    """Nodes (in run order) prepared to run on their references again and again, their
    values kept in a list by slot rather than in a dict keyed by tensor: the interpreted
    tier of a native segment runs a few thousand times before its machine code is ready,
    and a step's Python then costs about what its numpy does."""

    def __init__(self, nodes: Sequence[Node], inputs: Sequence[Tensor],
                 outputs: Sequence[Tensor]) -> None:
        slots = {t: i for i, t in enumerate(inputs)}
        self.calls = []
        for node in nodes:
            reads = [slots[t] for t in node.inputs]
            writes = [slots.setdefault(t, len(slots)) for t in node.outputs]
            self.calls.append((Call(node, OPS[node.op]), reads, writes))
        self.size = len(slots)
        self.outputs = [slots[t] for t in outputs]

    def run(self, args: Sequence[np.ndarray], state: RunState) -> list[np.ndarray]:
        """The values of `outputs`, computed from the values of `inputs`."""
        values: list[Any] = [*args, *[None] * (self.size - len(args))]
        for call, reads, writes in self.calls:
            for slot, value in zip(writes, call([values[i] for i in reads], state)):
                values[slot] = value
        return [values[i] for i in self.outputs]


class NumpyBackend:
    """Backend "numpy": the Interpreter."""

    name = "numpy"
    runs_functions = True

    def compile(self, program: Program, check_numerics: bool = False) -> Interpreter:
        return Interpreter(program, check_numerics)

    def place(self, value: Any) -> Any:
        return host(value)


register_backend("numpy", NumpyBackend)
