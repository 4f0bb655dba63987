"""Backend "cuda": a Program as one sequence of kernel launches, prepared once.

Variables stay on the device between runs; a run copies its feeds in once and its fetches
out once, and nothing else crosses to the host, except the inputs and outputs of an op that
has no CUDA kernel (it runs on its numpy reference, with a FallbackWarning).

Memory is planned by liveness: every kernel output comes from a pool of device buffers,
and a buffer goes back to the pool right after the launch of its last reader (kernels on
one stream run in launch order, so a later writer cannot overtake that reader). From the
second run on, the intermediates of a run allocate nothing. Views (reshapes) share their
input's buffer, which is freed only when the last reader of any of them has run.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.errors import InvalidArgumentError
from graphc.graph import Node, Tensor, TensorType
from graphc.program import Program
from graphc.registry import OPS, OpNames
from graphc.runtime.backend import RunState, warn_fallback
from graphc.runtime.cuda import device
from graphc.runtime.cuda.all_kernels import cuda_kernels
from graphc.runtime.cuda.table import Call, Kernel
from graphc.runtime.interpreter import Interpreter, check_shape, evaluate
from graphc.runtime.liveness import Lifetimes

SOURCES = OpNames(lambda opdef: opdef.source)  # values that come from outside the run



def kernel_for_op(op: str, out: TensorType) -> Kernel | None:
    """The op's CUDA kernel for this output type, or None where it runs on its numpy
    reference (ops without a kernel; reductions of integers, which accumulate in float64:
    OpDef.float_kernels_only)."""
    if OPS[op].float_kernels_only and not out.dtype.is_floating:
        return None
    return cuda_kernels().get(op)


class BufferPool:
    """Free device buffers by (shape, dtype), shared by the runs of one executable."""

    def __init__(self) -> None:
        self._free: dict[tuple[Any, ...], list[Any]] = defaultdict(list)
        self._lock = threading.Lock()
        self.allocations = 0  # buffers made because none was free

    def take(self, shape: tuple[int, ...], dtype: Any) -> Any:
        with self._lock:
            free = self._free.get((tuple(shape), np.dtype(dtype)))
            if free:
                return free.pop()
            self.allocations += 1
        return device.empty(shape, dtype)

    def give(self, buffer: Any) -> None:
        with self._lock:
            self._free[(tuple(buffer.shape), np.dtype(buffer.dtype))].append(buffer)


class CudaExecutable:
    """The launch sequence of one Program; called once per Session.run."""

    updates_in_place = False

    def __init__(self, program: Program) -> None:
        self.program = program
        self.steps = [(node, kernel_for_op(node.op, node.types[0]))
                      for node in program.schedule if node.types]
        for node, found in self.steps:
            if found is None and node.op not in SOURCES and node.op != "assign":
                warn_fallback(node.op, node.describe(), "cuda")
        self.frees, self.fetched_buffers = _liveness(self.steps, program.fetches)
        self.pool = BufferPool()
        self._constants: dict[Node, Any] = {}
        self._out_types: dict[tuple[Any, ...], list[TensorType]] = {}

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, Any]]:
        env: dict[Tensor, Any] = {t: device.to_device(v)
                                  for t, v in zip(self.program.feeds, feeds)}
        writes: dict[Node, Any] = {}
        for (node, found), frees in zip(self.steps, self.frees):
            if node.op == "variable":
                env[node.outputs[0]] = device.to_device(state.variables[node])
            elif node.op == "constant":
                env[node.outputs[0]] = self._constant(node)
            elif node.op == "assign":
                env[node.outputs[0]] = writes[node.attrs["var"]] = \
                    check_shape(node, node.types[0].shape, env[node.inputs[0]])
            else:
                args = [env[t] for t in node.inputs]
                env.update(zip(node.outputs, self._launch(node, found, args, state)))
            for t in frees:
                self.pool.give(env[t])
        values = [device.to_host(env[t]) for t in self.program.fetches]
        for t in self.fetched_buffers:  # copied out: free again
            self.pool.give(env[t])
        return values, writes

    def _launch(self, node: Node, found: Kernel | None, args: list[Any],
                state: RunState) -> list[Any]:
        try:
            if found is None:  # on the host, with the reference
                values = evaluate(node, OPS[node.op], [device.to_host(a) for a in args], state)
                return [device.to_device(v) for v in values]
            call = Call(args, node.attrs, self._types(node, args), self.pool.take,
                        state.device_random, node)
            return found.launch(call)
        except InvalidArgumentError:
            raise
        except Exception as err:
            inputs = ", ".join(f"{shapes.fmt(tuple(a.shape))} {a.dtype}" for a in args)
            raise InvalidArgumentError(f"{node.describe()} failed on inputs [{inputs}]: "
                                       f"{err}") from err

    def _types(self, node: Node, args: list[Any]) -> list[TensorType]:
        """The node's output types at these input shapes (checked against its static
        types), worked out once per shape signature."""
        key = (node, *[tuple(a.shape) for a in args])
        if key not in self._out_types:
            types = [TensorType(t.dtype, tuple(a.shape)) for t, a in zip(node.inputs, args)]
            opdef = OPS[node.op]
            out: Any = opdef.infer(types, node.attrs)
            outs: list[TensorType] = list(out) if isinstance(out, list | tuple) else [out]
            if len(outs) == 1 and opdef.dims is not None and \
                    not shapes.is_fully_defined(outs[0].shape):
                # (a rule that keeps a static shape's unknown dims, as placeholder_with_
                # default's identity does: its dims rule gives them at these inputs)
                dims = opdef.dims([tuple(a.shape) for a in args], node.attrs)
                outs = [TensorType(outs[0].dtype, dims)]
            for got, static in zip(outs, node.types):
                if got.shape is None or not shapes.matches(static.shape, got.shape):  # type: ignore[arg-type]
                    raise InvalidArgumentError(
                        f"{node.describe()} would produce shape {shapes.fmt(got.shape)}, but "
                        f"its static shape is {shapes.fmt(static.shape)}")
            self._out_types[key] = outs
        return self._out_types[key]

    def _constant(self, node: Node) -> Any:
        if node not in self._constants:
            self._constants[node] = device.to_device(node.attrs["value"])
        return self._constants[node]


def _liveness(steps: list[tuple[Node, Kernel | None]], fetches: Sequence[Tensor]
              ) -> tuple[list[list[Tensor]], list[Tensor]]:
    """For each step, the buffers to free after it; and the buffers to free once the
    fetches are copied out.

    A buffer is named by the tensor whose kernel allocated it (its root); views and
    assignments pass their input's buffer on. Buffers the run does not own (feeds,
    variables, constants) and those that leave it (assigned to a variable, fetched) are
    never freed here.
    """
    nodes = [node for node, _ in steps]
    kernels = dict(steps)
    life = Lifetimes(nodes, lambda node: node.op == "assign" or
                     getattr(kernels[node], "view", False))
    owned = {t for node in nodes if node.op not in SOURCES for t in node.outputs
             if t not in life.viewed}
    fetched = life.roots(fetches)
    assigned = life.roots(node.outputs[0] for node in nodes if node.op == "assign")
    frees: list[list[Tensor]] = [[] for _ in steps]
    for t in owned - fetched - assigned:
        frees[life.last[t]].append(t)
    return frees, [t for t in owned & fetched if t not in assigned]


class CudaBackend:
    """Backend "cuda". With check_numerics the numpy reference runs instead (on the
    host), so the first op that makes a NaN or an infinity can be named."""

    name = "cuda"
    runs_functions = False  # (control flow runs on host copies, on the numpy interpreter)

    def __init__(self) -> None:
        device.cuda()  # fail at Session(device="cuda"), with the simulator hint, without a GPU

    def compile(self, program: Program, check_numerics: bool = False) -> Any:
        if check_numerics:
            return _OnHost(Interpreter(program, check_numerics=True))
        return CudaExecutable(program)

    def place(self, value: Any) -> Any:
        """A value as this backend keeps variables: on the device."""
        return device.to_device(value)


class _OnHost:
    """The interpreter run on host copies of the device variables."""

    updates_in_place = False

    def __init__(self, interpreter: Interpreter) -> None:
        self.interpreter = interpreter

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, Any]]:
        on_host = state.snapshot()
        on_host.variables = {n: device.to_host(v) for n, v in state.variables.items()}
        values, writes = self.interpreter(feeds, on_host)
        return values, {n: device.to_device(v) for n, v in writes.items()}
