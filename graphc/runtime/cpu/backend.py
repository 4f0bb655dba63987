"""Backend "numba": a Program compiled to native code, one call per native segment.

Weights, feeds and constants are arguments of the generated functions, never globals, and
their types (dtype, rank, layout) are all numba specializes on: a new batch size reuses the
compiled code. Threads: numba code runs on the calling thread (no `parallel=True`), and
BLAS (scipy's OpenBLAS, called for every matmul) owns the cores. On a 2-core machine two
thread pools fight; the matmuls are where the parallel work is, so BLAS gets it.
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphc.errors import InvalidArgumentError
from graphc.graph import Node, Tensor
from graphc.program import Program
from graphc.registry import OPS
from graphc.runtime.arrays import host
from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.interpreter import Interpreter, evaluate
from graphc.runtime.cpu.codegen import (HOST_OPS, VIEW_OPS, Segment, Step, compile_segments,
                                        plan)
from graphc.runtime.cpu.emit import EMITTERS
from graphc.runtime.cpu.memory import grown, new_workspace
from graphc.runtime.cpu.tiers import TieredSegment


def _warn_fallback(node: Node) -> None:
    reason = "its rank is unknown until run time" if node.op in EMITTERS else ""
    warn_fallback(node.op, node.describe(), "numba", reason)


def _to_host(value: Any, dtype: np.dtype) -> np.ndarray:
    """A native result as the C-contiguous, writable array of `dtype` the host expects."""
    if type(value) is np.ndarray and value.flags.carray and value.dtype == dtype:
        return value  # (carray: C-contiguous, aligned and writable)
    return np.array(value, dtype=dtype, order="C")


_MAX_PROVEN = 64  # input-shape signatures remembered per segment
_shape = operator.attrgetter("shape")

Runner = Callable[[list[Any], RunState, dict[Node, np.ndarray]], None]


class NumbaExecutable:
    """The compiled steps of one Program; called once per Session.run.

    Values live in a list of slots (a tensor's slot is fixed at compile time), and each step
    is a small closure over its slots, so a run does no per-tensor dictionary work.

    Updates chosen by codegen.choose_in_place write into their variable's own buffer, but
    only once the segment has run out of place without error at the same input shapes:
    every op's output shape follows from its input shapes, so such a run cannot fail
    halfway through its updates. `updates_in_place` tells the Session to keep other runs
    out while this one runs."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.steps: list[Step] = plan(program)
        segments = [s for s in self.steps if isinstance(s, Segment)]
        self._segments = segments
        self._functions: dict[int, Any] | None = None
        self._generating = threading.Lock()
        self.updates_in_place = any(s.in_place for s in segments)
        self.native_nodes = {n for s in segments for n in s.nodes}
        for step in self.steps:
            if isinstance(step, Node) and step.op not in HOST_OPS:
                _warn_fallback(step)
        self.tiers: list[TieredSegment] = []
        self.slots: dict[Tensor, int] = {t: i for i, t in enumerate(program.feeds)}
        self.template: list[Any] = [None] * len(program.feeds)  # constants filled in
        self.reads: list[tuple[int, Node]] = []  # variables read at the start of a run
        self.runners = [r for step in self.steps
                        for r in [self._runner(step)] if r is not None]
        self.fetch_slots = [self.slots[t] for t in program.fetches]

    @property
    def functions(self) -> dict[int, Any]:
        """Each segment's numba function (by id of the segment), its source generated and
        imported on first use (which imports numba: on the compile thread, when tiered)."""
        with self._generating:
            if self._functions is None:
                self._functions = dict(zip(map(id, self._segments),
                                           compile_segments(self._segments)))
            return self._functions

    @property
    def native(self) -> bool:
        """Whether every segment runs as machine code now (see tiers.py)."""
        return all(t.native for t in self.tiers)

    def _slot(self, t: Tensor) -> int:
        if t not in self.slots:
            self.slots[t] = len(self.template)
            self.template.append(None)
        return self.slots[t]

    def _runner(self, step: Step) -> Runner | None:
        if isinstance(step, Segment):
            tiered = TieredSegment(step, lambda: self.functions[id(step)])
            self.tiers.append(tiered)
            return _segment_runner(tiered,
                                   [self._slot(t) for t in step.inputs],
                                   [(self._slot(t), t.dtype.np) for t in step.outputs])
        node = step
        if not node.types:
            return None
        out = self._slot(node.outputs[0])
        if node.op == "constant":
            self.template[out] = node.attrs["value"]
            return None
        if node.op == "variable":
            self.reads.append((out, node))
            return None
        inputs = [self._slot(t) for t in node.inputs]
        if node.op == "assign":
            var, dtype = node.attrs["var"], node.types[0].dtype.np
            # a variable owns its buffer (updates may write into it): a value the run did
            # not make itself (a constant, another variable, a view of one) is copied
            made, source = node.inputs[0].node, inputs[0]
            if made in self.native_nodes and made.op not in VIEW_OPS:
                def assign_owned(env: list[Any], state: RunState,
                                 writes: dict[Node, np.ndarray]) -> None:
                    env[out] = writes[var] = env[source]  # fresh, and made host-ready
                return assign_owned

            def assign(env: list[Any], state: RunState, writes: dict[Node, np.ndarray]) -> None:
                # stored writable and C-ordered, so each run passes the same array types
                value = env[source]
                stored = _to_host(value, dtype)
                env[out] = writes[var] = stored if stored is not value else stored.copy()
            return assign
        outs = [self._slot(t) for t in node.outputs]
        opdef = OPS[node.op]

        def on_host(env: list[Any], state: RunState, writes: dict[Node, np.ndarray]) -> None:
            values = evaluate(node, opdef, [env[i] for i in inputs], state)
            for i, value in zip(outs, values):
                env[i] = value
        return on_host

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, np.ndarray]]:
        env = list(self.template)
        env[:len(feeds)] = feeds
        variables = state.variables
        for slot, node in self.reads:
            env[slot] = variables[node]
        writes: dict[Node, np.ndarray] = {}
        try:
            for runner in self.runners:
                runner(env, state, writes)
        except InvalidArgumentError:
            raise
        except Exception as err:  # native code knows no op names: ask the reference
            Interpreter(self.program)(feeds, state)
            raise InvalidArgumentError(f"the numba backend failed where the numpy backend "
                                       f"did not: {type(err).__name__}: {err}") from err
        return [env[i] for i in self.fetch_slots], writes


def _segment_runner(tiered: TieredSegment, inputs: list[int],
                    outputs: list[tuple[int, np.dtype]]) -> Runner:
    in_place = bool(tiered.segment.in_place)
    proven: set[tuple[Any, ...]] = set()  # input shapes it has run at without error
    slots = tiered.segment.slot_count
    # workspaces not in use: a run takes one (concurrent runs take different ones) and
    # gives it back, grown if a slot was too small
    idle: list[np.ndarray] = []

    def segment(env: list[Any], state: RunState, writes: dict[Node, np.ndarray]) -> None:
        args = [env[i] for i in inputs]
        if not (tiered.native or tiered.ready(args)):
            results = tiered.interpret(args, state)
        else:
            space = idle.pop() if idle else new_workspace(slots)
            if in_place:
                shapes = tuple(map(_shape, args))
                proved = shapes in proven
                results = tiered.function(*args, proved, space)
                if not proved and len(proven) < _MAX_PROVEN:
                    proven.add(shapes)
            else:
                results = tiered.function(*args, space)
            idle.append(grown(space))
        for (i, dtype), value in zip(outputs, results):
            env[i] = _to_host(value, dtype)
    return segment


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
