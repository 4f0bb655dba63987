"""Backend "numba": a Program compiled to native code, one call per native segment.

Weights, feeds and constants are arguments of the generated functions, never globals, and
their types (dtype, rank, layout) are all numba specializes on: a new batch size reuses the
compiled code. Threads: numba code runs on the calling thread (no `parallel=True`), and
BLAS (scipy's OpenBLAS, called for every matmul) owns the cores. On a 2-core machine two
thread pools fight; the matmuls are where the parallel work is, so BLAS gets it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc.errors import InvalidArgumentError
from graphc.graph import Node
from graphc.program import Program
from graphc.runtime.arrays import host
from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.interpreter import Interpreter
from graphc.runtime.cpu.codegen import HOST_OPS, Segment, Step, compile_segments, generate, \
    plan, source_digest
from graphc.runtime.cpu.emit import why_not_native
from graphc.runtime.cpu.host import NativeSegment, host_program
from graphc.runtime.cpu.tiers import TieredSegment


def _warn_fallback(node: Node) -> None:
    warn_fallback(node.op, node.describe(), "numba", why_not_native(node) or "")


class NumbaExecutable:
    """The compiled steps of one Program; called once per Session.run, which runs the
    generated host program (host.py) around the segments' native functions.

    Updates chosen by codegen.choose_in_place write into their variable's own buffer once
    it is safe (see host.NativeSegment); `updates_in_place` tells the Session to keep other
    runs out while this one runs."""

    def __init__(self, program: Program) -> None:
        self.program = program
        self.steps: list[Step] = plan(program)
        segments = [s for s in self.steps if isinstance(s, Segment)]
        self._segments = segments
        self._generated: tuple[str, dict[str, str]] | None = None
        self._functions: dict[int, Any] | None = None
        self._generating = threading.Lock()
        self.updates_in_place = any(s.in_place for s in segments)
        for step in self.steps:
            if isinstance(step, Node) and step.op not in HOST_OPS:
                _warn_fallback(step)
        self.segments: list[NativeSegment] = []  # each segment at run time, in run order
        self.run = host_program(self.steps, program, self._native_segment)

    @property
    def generated(self) -> tuple[str, dict[str, str]]:
        """The generated module's source, and its kernels' (codegen.generate)."""
        with self._generating:
            if self._generated is None:
                self._generated = generate(self._segments)
            return self._generated

    @property
    def functions(self) -> dict[int, Any]:
        """Each segment's numba function (by id of the segment), its source imported on
        first use (which imports numba: on the compile thread, when tiered)."""
        generated = self.generated
        with self._generating:
            if self._functions is None:
                self._functions = dict(zip(map(id, self._segments), compile_segments(
                    generated, len(self._segments))))
            return self._functions

    def code_of(self, segment: Segment) -> tuple[str, str]:
        """The segment's generated module (its file's digest) and function name."""
        return source_digest(self.generated[0]), \
            f"segment_{self._segments.index(segment)}"

    @property
    def native(self) -> bool:
        """Whether every segment runs as machine code now (see tiers.py)."""
        return all(s.tiered.native for s in self.segments)

    def _native_segment(self, segment: Segment) -> NativeSegment:
        native = NativeSegment(TieredSegment(segment, lambda: self.functions[id(segment)],
                                             lambda: self.code_of(segment)))
        self.segments.append(native)
        return native

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, np.ndarray]]:
        try:
            return self.run(feeds, state)
        except InvalidArgumentError:
            raise
        except Exception as err:  # native code knows no op names: ask the reference
            Interpreter(self.program)(feeds, state)
            raise InvalidArgumentError(f"the numba backend failed where the numpy backend "
                                       f"did not: {type(err).__name__}: {err}") from err


class NumbaBackend:
    """Backend "numba". With check_numerics the reference interpreter runs instead, so the
    first op that makes a NaN or an infinity can be named."""

    name = "numba"
    runs_functions = True  # control flow's branches and bodies: programs it compiles

    def compile(self, program: Program, check_numerics: bool = False) -> Any:
        if check_numerics:
            return Interpreter(program, check_numerics=True)
        return NumbaExecutable(program)

    def place(self, value: Any) -> Any:
        return host(value)
