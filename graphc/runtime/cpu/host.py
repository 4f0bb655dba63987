"""The host program: the Python that runs a Program's steps around its native segments.

A run of the numba backend is one generated Python function, made once per Program:
values are its local variables, each host step is a line, and each native segment is one
call with its bookkeeping written inline (taking a workspace, checking that an in-place
update has run at these input shapes before). For the seed's training step it reads

    def run(feeds, state):
        variables = state.variables
        t0, t1, = feeds                                  # x, y
        t2 = variables[R0]                               # w1
        t3 = variables[R1]                               # w2
        t4 = C2                                          # constants: 2, the step size
        t5 = C3
        proved = True
        if S4.function is not None or S4.ready((t0, t2, t3, t1, t4, t5, )):
            space = IDLE5.pop() if IDLE5 else S4.workspace()
            key = (t0.shape, t1.shape, )
            proved = key in PROVEN6
            t6, t7, t8, = S4.function(t0, t2, t3, t1, t4, t5, proved, space)
            IDLE5.append(space if not space[0] else grown(space))
            t6 = to_host(t6, D7)                         # the loss: a scalar from numba
        else:
            t6, t7, t8, = S4.interpret(state, (t0, t2, t3, t1, t4, t5, ))
        t9 = CHECK8(N9, SHAPE10, t7)                     # the assignments, checked
        t10 = CHECK11(N12, SHAPE13, t8)
        if not proved: S4.prove(key)                     # the run ended without error
        return [t6, ], {V14: t9, V15: t10}

Names in capitals are the objects the code uses (variable nodes, constants, segments, their
workspaces), bound in the function's globals. One generated function, rather than a loop
over step closures, keeps the Python of a run small (benchmarks/seed_overhead.py).
"""

from __future__ import annotations

import itertools
import linecache
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Node, Tensor
from graphc.program import Program
from graphc.registry import OPS
from graphc.runtime.backend import RunState
from graphc.runtime.cpu.codegen import VIEW_OPS, Segment, Step
from graphc.runtime.cpu.memory import grown, new_workspace
from graphc.runtime.cpu.tiers import TieredSegment
from graphc.runtime.interpreter import Call, check_shape

HostProgram = Callable[[Sequence[np.ndarray], RunState],
                       tuple[list[np.ndarray], dict[Node, np.ndarray]]]

_MAX_PROVEN = 64  # input-shape signatures remembered per segment


def to_host(value: Any, dtype: np.dtype) -> np.ndarray:
    """A value as the C-contiguous, writable array of `dtype` the host expects."""
    if type(value) is np.ndarray and value.flags.carray and value.dtype == dtype:
        return value  # (carray: C-contiguous, aligned and writable)
    return np.array(value, dtype=dtype, order="C")


class NativeSegment:
    """A segment at run time: its tiers (tiers.py), and the workspaces (memory.py) and
    in-place proofs of its native runs.

    An update chosen by codegen.choose_in_place writes into its variable's own buffer only
    once the segment has run out of place without error at the same input shapes: every
    op's output shape follows from its input shapes, and no update whose loop can fail on
    values (an integer pow) is chosen, so such a run cannot fail halfway through its
    updates. Inputs whose static shape is fully known cannot change shape, so only the
    others are compared."""

    def __init__(self, tiered: TieredSegment) -> None:
        segment = tiered.segment
        self.tiered = tiered
        self.function: Any = None  # the native function, once runs may call it
        self.idle: list[np.ndarray] = []  # workspaces not in use (each run takes its own)
        self.proven: set[tuple[Any, ...]] = set()  # varying input shapes run at without error
        self.varying = [t for t in segment.inputs if not shapes.is_fully_defined(t.shape)]
        self._dtypes = [t.dtype.np for t in segment.outputs]

    def ready(self, args: Sequence[Any]) -> bool:
        """Whether runs may call the native function now (see TieredSegment.ready)."""
        if self.tiered.native or self.tiered.ready(args):
            self.function = self.tiered.function
            return True
        return False

    def interpret(self, state: RunState, args: Sequence[Any]) -> list[np.ndarray]:
        return [to_host(v, d) for v, d in zip(self.tiered.interpret(args, state), self._dtypes)]

    def workspace(self) -> np.ndarray:
        return new_workspace(self.tiered.segment.slot_count)

    def prove(self, key: tuple[Any, ...]) -> None:
        if len(self.proven) < _MAX_PROVEN:
            self.proven.add(key)


class _Source:
    """The function's lines, and the objects its names stand for."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.proofs: list[str] = []  # lines that run last, once nothing has failed
        self.names: dict[Tensor, str] = {}
        self.globals: dict[str, Any] = {"grown": grown, "to_host": to_host}
        self._bound = 0

    def var(self, t: Tensor) -> str:
        return self.names.setdefault(t, f"t{len(self.names)}")

    def vars(self, tensors: Sequence[Tensor]) -> str:
        """Names for a tuple target or a call's arguments: 'a, b, ' (with the comma)."""
        return "".join(f"{self.var(t)}, " for t in tensors)

    def bind(self, prefix: str, value: Any) -> str:
        name, self._bound = f"{prefix}{self._bound}", self._bound + 1
        self.globals[name] = value
        return name


def host_program(steps: list[Step], program: Program,
                 native: Callable[[Segment], NativeSegment]) -> HostProgram:
    """The generated function running `steps`: called with the feeds (in program.feeds'
    order) and the run's state, it returns the fetched values and the variable writes.
    `native` gives each segment its run-time object."""
    src = _Source()
    body = src.lines
    if program.feeds:
        body.append(f"{src.vars(program.feeds)}= feeds")
    made_natively = {n for s in steps if isinstance(s, Segment) for n in s.nodes
                     if n.op not in VIEW_OPS}
    writes: dict[Node, str] = {}  # each assignment's entry in the writes
    checked: set[Node] = set()  # assignments whose value was checked before a segment
    assigned = Counter(n.inputs[0] for n in steps if isinstance(n, Node) and n.op == "assign")
    for i, step in enumerate(steps):
        if isinstance(step, Segment):
            if step.in_place:
                # a value the segment does not make has its shape checked before the
                # segment writes into variables: that check depends on no shape the
                # in-place proof compares. Only assignments come after this segment; the
                # value of one that reads another's is the value that one assigns.
                made, after = set(step.outputs), steps[i + 1:]
                passed_on = {n.outputs[0]: n.inputs[0] for n in after if isinstance(n, Node)}
                for later in after:
                    if isinstance(later, Node) and later.op == "assign":
                        value = later.inputs[0]
                        while value in passed_on:
                            value = passed_on[value]
                        if value not in made:
                            src.lines.append(_checked(src, later, value))
                            checked.add(later)
            _segment(src, step, native(step))
        elif step.op == "assign":
            writes[step] = _assign(src, step, step.inputs[0].node in made_natively and
                                   assigned[step.inputs[0]] == 1, step in checked)
        elif step.types:
            _host_node(src, step)
    body += src.proofs
    # in schedule order, so that of two assignments to one variable the later one wins
    order = {n: i for i, n in enumerate(program.schedule)}
    entries = ", ".join(writes[n] for n in sorted(writes, key=order.__getitem__))
    body.append(f"return [{src.vars(program.fetches)}], {{{entries}}}")
    source = "def run(feeds, state):\n    variables = state.variables\n" + \
        "".join(f"    {line}\n" for line in body)
    return _define(source, src.globals)


def _segment(src: _Source, segment: Segment, runtime: NativeSegment) -> None:
    s = src.bind("S", runtime)
    idle, proven = src.bind("IDLE", runtime.idle), src.bind("PROVEN", runtime.proven)
    args = src.vars(segment.inputs)
    results = src.vars(segment.outputs) or "() "  # (a segment run for no value)
    lines = [f"space = {idle}.pop() if {idle} else {s}.workspace()"]
    if segment.in_place:  # (the run proves the shapes once it has ended without error)
        key = "".join(f"{src.var(t)}.shape, " for t in runtime.varying)
        src.lines.append("proved = True")
        src.proofs.append(f"if not proved: {s}.prove(key)")
        lines += [f"key = ({key})", f"proved = key in {proven}",
                  f"{results}= {s}.function({args}proved, space)"]
    else:
        lines.append(f"{results}= {s}.function({args}space)")
    lines.append(f"{idle}.append(space if not space[0] else grown(space))")
    for t in segment.outputs:  # a kernel's own array is host-ready; views and scalars not
        if t.node.op in VIEW_OPS or t.shape == ():
            lines.append(f"{src.var(t)} = to_host({src.var(t)}, {src.bind('D', t.dtype.np)})")
    src.lines += [f"if {s}.function is not None or {s}.ready(({args})):",
                  *(f"    {line}" for line in lines),
                  "else:", f"    {results}= {s}.interpret(state, ({args}))"]


def _checked(src: _Source, node: Node, value: Tensor | None = None) -> str:
    """The assign's value (or `value`, the same array under an earlier name), checked to
    have a shape the variable's static shape allows (as the interpreter checks every
    node's result)."""
    name = src.var(node.inputs[0] if value is None else value)
    shape = node.types[0].shape
    call = f"{src.bind('CHECK', check_shape)}({src.bind('N', node)}, " \
           f"{src.bind('SHAPE', shape)}, {name})"
    if shape is not None and None not in shape:  # one tuple comparison when it holds
        return f"({name} if {name}.shape == {src.bind('SHAPE', tuple(shape))} else {call})"
    return call


def _assign(src: _Source, node: Node, own: bool, was_checked: bool) -> str:
    """The assign's line; returns its entry in the writes. Its value is checked
    (_checked) unless that was done already. A variable owns its buffer (updates may
    write into it), so a value that is not `own` (one the run did not make natively: a
    constant, another variable, a view of one; or one that another assignment stores too)
    is copied."""
    var, out, value = src.bind("V", node.attrs["var"]), src.var(node.outputs[0]), \
        src.var(node.inputs[0])
    checked = value if was_checked else _checked(src, node)
    if own:
        src.lines.append(f"{out} = {checked}")
    else:
        src.lines.append(f"{out} = {src.bind('A', _owned(node.types[0].dtype.np))}({checked})")
    return f"{var}: {out}"


def _owned(dtype: np.dtype) -> Callable[[Any], np.ndarray]:
    def owned(value: Any) -> np.ndarray:
        stored = to_host(value, dtype)  # writable and C-ordered: each run passes one type
        return stored if stored is not value else stored.copy()
    return owned


def _host_node(src: _Source, node: Node) -> None:
    if node.op == "variable":
        src.lines.append(f"{src.var(node.outputs[0])} = variables[{src.bind('R', node)}]")
    elif node.op == "constant":
        src.lines.append(f"{src.var(node.outputs[0])} = {src.bind('C', node.attrs['value'])}")
    else:
        call = Call(node, OPS[node.op])

        def on_host(state: RunState, *args: np.ndarray) -> list[np.ndarray]:
            return call(args, state)
        src.lines.append(f"{src.vars(node.outputs)}= {src.bind('H', on_host)}(state, "
                         f"{src.vars(node.inputs)})")


_programs = itertools.count(1)


def _define(source: str, names: dict[str, Any]) -> HostProgram:
    """The function `run` in `source`, with `names` as its globals. Its source is put in
    linecache, so a traceback through it shows the line, for as long as the function
    lives (a closed Session's programs take their lines with them)."""
    filename = f"<graphc host program {next(_programs)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = dict(names)
    exec(compile(source, filename, "exec"), namespace)
    run: HostProgram = namespace["run"]
    weakref.finalize(run, linecache.cache.pop, filename, None)
    return run
