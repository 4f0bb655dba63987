"""Lower a Program to numba source: host steps plus native segments, one @njit each.

The schedule is reordered so that values with no inputs (feeds, variable reads, constants,
random draws) come first and assignments last; what remains runs as one native segment
unless an op without a kernel splits it. The seed's training step is one native call.
Intermediates live in a workspace the memory plan lays out (memory.py).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from graphc.files import write_atomically
from graphc.graph import Node, Tensor
from graphc.ops.expression import walk
from graphc.program import Program
from graphc.registry import OpNames
from graphc.runtime.cpu.emit import (ELEMENTWISE_EMITTERS, EMITTERS, RUNTIME_DIGEST, Emit,
                                     can_emit)
from graphc.runtime.cpu.memory import plan_slots
from graphc.runtime.liveness import Lifetimes

# ops the host always runs, by design: they move values in and out of native code, or (the
# random ops) must draw the same stream as the numpy backend (OpDef.runs_on_host)
HOST_OPS = OpNames(lambda opdef: opdef.runs_on_host)


@dataclass
class Segment:
    """Consecutive nodes compiled into one native function."""

    nodes: list[Node] = field(default_factory=list)
    inputs: list[Tensor] = field(default_factory=list)   # live-ins, the function's arguments
    outputs: list[Tensor] = field(default_factory=list)  # live-outs, the returned tuple
    # updates that may write into their variable's own buffer (see choose_in_place), each
    # with the input it would overwrite; the function then takes a last argument,
    # in_place, that says whether this run may
    in_place: dict[Node, int] = field(default_factory=dict)
    # the workspace slot of each intermediate kept there (see memory.py); the function's
    # last argument is the workspace
    slots: dict[Tensor, int] = field(default_factory=dict)

    @property
    def slot_count(self) -> int:
        return max(self.slots.values(), default=-1) + 1


Step = Node | Segment  # a Node runs on the host


def plan(program: Program) -> list[Step]:
    """Host nodes and native segments, in an order that respects every dependency."""
    schedule = [n for n in program.schedule if n.types or n.op != "no_op"]
    sources = [n for n in schedule if not n.inputs and n.op in HOST_OPS]
    read = {t for n in schedule for t in n.inputs}
    # assignments run last (their writes are committed at the end of the run anyway),
    # except one whose new value another node reads
    sinks = [n for n in schedule if n.op == "assign" and n.outputs[0] not in read]
    moved = set(sources) | set(sinks)
    middle = [n for n in schedule if n not in moved]
    steps: list[Step] = list(sources)
    for node in middle:
        if can_emit(node):
            if not steps or not isinstance(steps[-1], Segment):
                steps.append(Segment())
            segment = steps[-1]
            assert isinstance(segment, Segment)
            segment.nodes.append(node)
        else:
            steps.append(node)
    steps += sinks
    choose_in_place(steps, program)
    _link(steps, program)
    for step in steps:
        if isinstance(step, Segment):
            _plan_memory(step)
    return steps


def _plan_memory(segment: Segment) -> None:
    """Workspace slots for the segment's intermediates; an update's result is the
    variable's own buffer (or a copy that leaves the run), never the workspace."""
    def wants_slot(node: Node) -> bool:
        return bool(node.types) and node not in segment.in_place

    segment.slots = plan_slots(segment.nodes, segment.outputs, wants_slot, _is_view)


def _consumers(program: Program) -> dict[Tensor, list[Node]]:
    consumers: dict[Tensor, list[Node]] = {}
    for node in program.schedule:
        for t in node.inputs:
            consumers.setdefault(t, []).append(node)
    return consumers


def choose_in_place(steps: list[Step], program: Program) -> None:
    """Mark the updates that can write a variable's new value into its own buffer, and
    move them to the end of their segment: var <- matmul_add(a, b, var, scale) as one gemm
    with beta = 1 (no copy of the weights, no temporary), and elementwise updates such as
    Adam's as one loop over the variable.

    Safe when nothing could see the buffer change: the variable is not fed (the buffer
    would be the caller's array); the segment is the last step before
    the assignments (nothing after it can fail and leave a half-applied run); the update
    is the variable's only assignment; its value feeds that assignment and other such
    updates (which run after it). The old value, and every view of it, is read only by
    ordinary nodes of the same segment (so they have run before) and by the update as its
    accumulator, and none of them is fetched. The executable decides per run whether to
    use it, and the Session keeps other runs out while it does."""
    segments = [i for i, s in enumerate(steps) if isinstance(s, Segment)]
    if not segments or any(isinstance(s, Segment) or s.op not in ("assign", "no_op")
                           for s in steps[segments[-1] + 1:]):
        return
    last = steps[segments[-1]]
    assert isinstance(last, Segment)
    consumers = _consumers(program)
    life = Lifetimes(program.schedule, _is_view)
    assigned = [n.attrs["var"] for n in program.schedule if n.op == "assign"]
    chosen = {}
    for node in last.nodes:
        targets = [u.attrs["var"] for u in consumers.get(node.outputs[0], []) if u.op == "assign"] \
            if node.outputs else []
        k = _accumulator(node, targets[0] if len(targets) == 1 else None)
        if k is not None and assigned.count(node.inputs[k].node) == 1:
            chosen[node] = k
    fetched, members, fed = set(program.fetches), set(last.nodes), set(program.feeds)

    def safe(update: Node, k: int) -> bool:
        old, var = update.inputs[k], update.inputs[k].node
        if old in fed:  # the run reads the caller's array in the variable's place
            return False
        aliases = life.sharing(old)
        others = {t for i, t in enumerate(update.inputs) if i != k}
        if update.op != "matmul_add":  # an elementwise loop may read the same element
            others.discard(old)
        users = consumers.get(update.outputs[0], [])
        return [u.attrs["var"] for u in users if u.op == "assign"] == [var] and \
            all(u.op == "assign" or u in chosen for u in users) and \
            not aliases & fetched and not aliases & others and \
            all(r is update or (r in members and r not in chosen)
                for t in aliases for r in consumers.get(t, []))

    # dropping an update may make another unsafe (it fed that one) or safe (it read the
    # other's old value, as weight decay's g + wd * w does): drop one at a time, the first
    # in run order, and look again
    while True:
        unsafe = next((n for n, k in chosen.items() if not safe(n, k)), None)
        if unsafe is None:
            break
        del chosen[unsafe]
    last.in_place = chosen  # in schedule order, so an update runs after those it reads
    last.nodes = [n for n in last.nodes if n not in chosen] + list(chosen)


def _raises_on_values(node: Node) -> bool:
    """Whether the node's loop can fail for some values of its inputs (not their shapes):
    an integer pow with a negative exponent, alone or inside a fused expression."""
    def raises(op: str, dtype: str, operands: list[bool]) -> bool:
        return any(operands) or (op == "pow" and np.dtype(dtype).kind in "iu")
    if node.op == "fused_elementwise":
        return bool(walk(node.attrs["expression"], lambda i: False, raises))
    return raises(node.op, node.types[0].dtype.np.name, [])


def _accumulator(node: Node, target: Node | None) -> int | None:
    """Which input of a possible update it could overwrite: matmul_add's c, or an
    elementwise op's input that reads `target` (the variable its result is assigned to),
    when every other input has its static shape or is a scalar (so one flat loop reads
    element i of each before writing element i), and the loop cannot fail on some values
    once it has begun writing."""
    if node.op == "matmul_add":
        return 2 if node.inputs[2].node.op == "variable" else None
    if node.op not in ELEMENTWISE_EMITTERS or _raises_on_values(node):
        return None
    shape = node.types[0].shape
    if shape is None or None in shape or \
            any(t.shape not in (shape, ()) for t in node.inputs):
        return None
    for k, t in enumerate(node.inputs):
        if t.node is target and t.shape == shape and t.dtype == node.types[0].dtype:
            return k
    return None


# ops whose native result may share its input's memory (OpDef.view)
VIEW_OPS = OpNames(lambda opdef: opdef.view)


def _is_view(node: Node) -> bool:
    """Whether the node's native result may share its first input's memory."""
    return node.op in VIEW_OPS


def _link(steps: list[Step], program: Program) -> None:
    """Fill in each segment's live-ins and live-outs."""
    needed_later: set[Tensor] = set(program.fetches)
    for step in reversed(steps):
        nodes = step.nodes if isinstance(step, Segment) else [step]
        made = {t for n in nodes for t in n.outputs}
        consumed = {t for n in nodes for t in n.inputs}
        if isinstance(step, Segment):
            step.outputs = [t for n in nodes for t in n.outputs if t in needed_later]
            step.inputs = list(dict.fromkeys(t for n in nodes for t in n.inputs
                                             if t not in made))
        needed_later = (needed_later - made) | consumed


def segment_source(segment: Segment, name: str, kernels: dict[str, str]) -> str:
    """The @njit function for one segment; tensors are named t0, t1, ... in order of use.
    Generated kernels it calls are added to `kernels`."""
    names: dict[Tensor, str] = {}

    def var(t: Tensor) -> str:
        return names.setdefault(t, f"t{len(names)}")

    params = [var(t) for t in segment.inputs] + \
        (["in_place"] if segment.in_place else []) + ["space"]
    lines = ["@njit(cache=True, nogil=True)", f"def {name}({', '.join(params)}):"]
    for node in segment.nodes:
        emit = Emit(node, [var(t) for t in node.inputs], kernels,
                    in_place="in_place" if node in segment.in_place else None,
                    accumulator=segment.in_place.get(node),
                    slot=segment.slots.get(node.outputs[0], -1) if node.outputs else -1)
        expression = EMITTERS[node.op](emit)
        # (the name as its repr: no text of the user's is ever source)
        lines.append(f"    {var(node.outputs[0])} = {expression}  # {node.op} {node.name!r}")
    results = "".join(f"{var(t)}, " for t in segment.outputs)
    lines.append(f"    return ({results})")
    return "\n".join(lines)


HEADER = '''"""Generated by graphc's numba backend; safe to delete (it is a cache)."""
# runtime {digest}
import numpy as np
from numba import njit

from graphc.runtime.cpu import kernels as K
'''


def generate(segments: list[Segment]) -> tuple[str, dict[str, str]]:
    """The source of the module defining segment_0, segment_1, ... and of the kernels it
    calls (by name). Generating imports no numba."""
    kernels: dict[str, str] = {}
    functions = [segment_source(s, f"segment_{i}", kernels) for i, s in enumerate(segments)]
    header = HEADER.format(digest=RUNTIME_DIGEST)
    return "\n\n".join([header, *functions]) + "\n", kernels


def compile_segments(generated: tuple[str, dict[str, str]], count: int) -> list[Any]:
    """The native function of each of the `count` segments of a generated module (each
    compiled on its first call)."""
    source, kernels = generated
    module = load_module(source, {name: load_module(text).kernel
                                  for name, text in kernels.items()})
    return [getattr(module, f"segment_{i}") for i in range(count)]


def source_digest(source: str) -> str:
    """The name of a generated module's file: the hash of its source."""
    return hashlib.sha256(source.encode()).hexdigest()[:24]


def cache_directory() -> Path:
    """Where generated modules (and numba's cache of their machine code) live:
    $GRAPHC_CACHE_DIR, else $XDG_CACHE_HOME/graphc, else ~/.cache/graphc."""
    root = os.environ.get("GRAPHC_CACHE_DIR")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "graphc"


_modules: dict[str, ModuleType] = {}
_modules_lock = threading.Lock()


def load_module(source: str, names: dict[str, Any] | None = None) -> ModuleType:
    """Import generated source from a file named by its hash, with `names` (kernels it
    calls) added to its globals. The file is written once and never touched again, so
    numba's on-disk cache (keyed by the file) stays valid."""
    digest = source_digest(source)
    with _modules_lock:
        if digest in _modules:
            return _modules[digest]
        directory = cache_directory() / "numba"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"generated_{digest}.py"
        if not path.exists() or path.read_text() != source:
            write_atomically(path, lambda f: f.write(source.encode()))
        name = f"graphc_generated_{digest}"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        module.__dict__.update(names or {})
        sys.modules[name] = module
        spec.loader.exec_module(module)
        _modules[digest] = module
        return module
