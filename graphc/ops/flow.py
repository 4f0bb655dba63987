"""Differentiable control flow: cond and while_loop, as ops holding traced function graphs.

A branch or loop body is traced once into a FuncGraph; tensors of enclosing graphs it uses
are captured and become inputs of the control-flow node, so reads of Variables keep their
run-start values. cond's gradient is a cond of the branches' gradients; while_loop's
gradient is a while_grad op that replays the loop and walks it backward, summing the
gradients of captured tensors over the trips (a weight used on every trip gets their sum).
On eager tensors both are plain Python control flow.

ops/ sits below passes/ and runtime/ and never imports them: running a function graph and
building gradients inside one are handed to this module by `install`, which graphc/__init__.py
calls when the package loads. A Session says how its run compiles function graphs
(`running_on`, graphc/function_runner.py), and each function graph is compiled once per
such build and per rank of the values fed where its rank is unknown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import FuncGraph, Graph, Node, Tensor, TensorType, get_default_graph
from graphc.ops import core
from graphc.ops.constant import zeros_like
from graphc.ops.core import apply, convert_to_tensor
from graphc.ops.state import placeholder
from graphc.registry import OPS, GradOp, OpDef, register


# -- what control flow gets from the layers above ops/ ---------------------------------------
# compile(fg, build, ranks) -> run(values): runs a traced function graph on its argument
# values followed by its captured values, and returns its output values; `build` is what
# running_on names (None outside a Session's run), `ranks` the rank of each value fed where
# the graph's is unknown (None elsewhere)
FunctionCompiler = Callable[[FuncGraph, Any, tuple[int | None, ...]],
                            Callable[[list[np.ndarray]], list[np.ndarray]]]
_compile: FunctionCompiler | None = None
_gradients: Callable[..., list[Any]] | None = None
_build: ContextVar[Any] = ContextVar("graphc_function_build", default=None)


def install(compile_function: FunctionCompiler, gradients: Callable[..., list[Any]]) -> None:
    """Give control flow its function runner (how cond and while_loop run their branches and
    bodies) and gradients() (how their gradients differentiate them)."""
    global _compile, _gradients
    _compile, _gradients = compile_function, gradients


@contextlib.contextmanager
def running_on(build: Any) -> Iterator[None]:
    """Within the block, function graphs are compiled by `build` (a hashable description
    the installed compiler reads: a Session's backend and options)."""
    token = _build.set(build)
    try:
        yield
    finally:
        _build.reset(token)


def _installed(hook: Any, what: str) -> Any:
    if hook is None:
        raise RuntimeError(f"control flow needs {what}, which `import graphc` installs "
                           "(graphc.ops.flow.install)")
    return hook


# -- tracing and running function graphs ----------------------------------------------------
def trace(fn: Callable[..., Any], parent: Graph, name: str,
          arg_types: Sequence[TensorType] = ()) -> FuncGraph:
    """Trace fn(*placeholders) into a new FuncGraph whose outputs are fn's results. A cond
    branch (no arguments) makes its random ops outside (FuncGraph.hoists_random): they draw
    every run, which dropout under `cond(is_training, ...)` needs; a loop body, whose every
    trip would need its own draw, may not hold one."""
    fg = FuncGraph(parent, name)
    fg.hoists_random = not arg_types
    with fg.as_default():
        fg.inputs = [placeholder(t.dtype, t.shape, name=f"arg{i}")
                     for i, t in enumerate(arg_types)]
        result = fn(*fg.inputs)
        fg.returns_sequence = isinstance(result, list | tuple)  # type: ignore[attr-defined]
        items = list(result) if isinstance(result, list | tuple) else [result]
        fg.outputs = [x if isinstance(x, Tensor) and x.graph is fg else
                      fg.capture(x, name) if isinstance(x, Tensor) else
                      convert_to_tensor(x, graph=fg) for x in items]
    for node in fg.nodes:
        if OPS[node.op].effect in ("read", "write", "random"):
            raise ValueError(f"{name}: {node.describe()} has run-time state; Variables "
                             "and assignments cannot be created inside control flow, nor "
                             "random ops inside a while_loop or on values a cond branch "
                             "computes (create them outside and use them inside)")
    return fg


def run_function(fg: FuncGraph, args: Sequence[np.ndarray],
                 captured: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Run a traced function graph on argument and captured values, compiled by the build
    the running Session names (on first use of that build and those ranks)."""
    values = [*args, *captured]
    unknown = fg.__dict__.get("_unknown_ranks")
    if unknown is None:  # the feeds whose rank is unknown until run time
        feeds = [*fg.inputs, *fg.captures.values()]
        unknown = fg.__dict__["_unknown_ranks"] = [i for i, t in enumerate(feeds)
                                                   if t.shape is None]
    ranks: tuple[int | None, ...] = ()
    if unknown:
        given = {i: np.ndim(values[i]) for i in unknown}
        ranks = tuple(given.get(i) for i in range(len(values)))
    key = (_build.get(), ranks)
    compiled = fg.__dict__.setdefault("_executables", {})
    run = compiled.get(key)
    if run is None:
        run = compiled[key] = _installed(_compile, "a function runner")(fg, *key)
    return run(values)


def _union_captures(*fgs: FuncGraph) -> tuple[list[Tensor], list[tuple[int, ...]]]:
    """The outer tensors any of the graphs capture, and for each graph its slots in them."""
    outer = list(dict.fromkeys(t for fg in fgs for t in fg.captures))
    return outer, [tuple(outer.index(t) for t in fg.captures) for fg in fgs]


def _waiting_for(graph: Graph, *fgs: FuncGraph) -> Any:
    """A context in which the control-flow node of these graphs, built in `graph`, waits
    for the outer nodes any of them depends on (FuncGraph.control_captures)."""
    return graph.control_dependencies(list(dict.fromkeys(
        node for fg in fgs for node in fg.control_captures)))


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _inline(source: FuncGraph, args: Sequence[Tensor], captured: Sequence[Tensor],
            op: str) -> list[Tensor]:
    """The outputs of function graph `source`, its nodes copied into the function graph
    being traced, `args` for its arguments and `captured` (the control-flow node's inputs
    that feed its captures, in their order) captured in their place. A gradient
    differentiates these copies of what the forward pass ran, never the user's function
    called again, whose closures may see other values by now (`h = cond(p, lambda:
    dropout(h), lambda: h)` rebinds the h the lambdas read)."""
    target = get_default_graph()
    made: dict[Tensor, Tensor] = dict(zip(source.inputs, args))
    made.update((inner, target.capture(outer, op))
                for inner, outer in zip(source.captures.values(), captured, strict=True))
    copies: dict[Node, Node] = {}
    for node in source.nodes:
        if node.outputs and all(t in made for t in node.outputs):
            continue  # (an argument or a capture)
        copy = target.create_node(node.op, [made[t] for t in node.inputs], node.attrs,
                                  node.types, node.name.rsplit("/", 1)[-1],
                                  [copies[c] for c in node.control_inputs if c in copies],
                                  node.site)
        copies[node] = copy
        made.update(zip(node.outputs, copy.outputs))
    return [made[t] for t in source.outputs]


# -- cond -------------------------------------------------------------------------------------
def _cond_ref(pred: np.ndarray, *captured: np.ndarray, branches: Any, slots: Any,
              **unused: Any) -> Any:
    k = 0 if bool(pred) else 1
    values = run_function(branches[k], (), [captured[i] for i in slots[k]])
    return tuple(values) if len(values) > 1 else values[0]


def _cond_grad(op: GradOp, *gs: Any) -> tuple[Any, ...]:
    pred, *outer = op.inputs
    # (a random draw a branch reads, dropout's made outside it, has no gradient)
    wants = [w and OPS[t.node.op].effect != "random" for t, w in zip(outer, op.wants[1:])]
    wanted = [t for t, w in zip(outer, wants) if w]
    if not wanted:
        return (None,) * len(op.inputs)

    def gradient_branch(forward: FuncGraph, slots: tuple[int, ...]) -> Callable[[], list[Any]]:
        def branch() -> list[Any]:
            gradients = _installed(_gradients, "gradients()")
            fg = get_default_graph()
            # (its random draws are the forward pass's, captured)
            outs = _inline(forward, (), [outer[i] for i in slots], "cond")
            inner = [fg.capture(t, "cond") for t in wanted]
            seeds = [fg.capture(g, "cond") for g in gs]
            grads = gradients(outs, inner, grad_ys=seeds)
            return [zeros_like(x) if g is None else g for x, g in zip(inner, grads)]
        return branch

    (true_fg, false_fg), (true_slots, false_slots) = op.attrs["branches"], op.attrs["slots"]
    grads = iter(_as_list(cond(pred, gradient_branch(true_fg, true_slots),
                               gradient_branch(false_fg, false_slots))))
    return (None, *[next(grads) if w else None for w in wants])


COND = register(OpDef("cond", lambda types, attrs: tuple(attrs["types"]), _cond_ref, _cond_grad,
                      calls=True))


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any],
         name: str | None = None) -> Any:
    """true_fn() if pred else false_fn(); both must return the same structure of tensors
    with matching dtypes. Differentiable; only the chosen branch runs."""
    if core.is_eager(pred) or isinstance(pred, bool | np.bool_):
        return true_fn() if bool(pred) else false_fn()
    pred = convert_to_tensor(pred)
    if pred.dtype.name != "bool" or not shapes.compatible(pred.shape, ()):
        raise TypeError(f"cond: pred must be a bool scalar, got {pred.type}")
    graph = core._graph_of((pred,))
    branches = (trace(true_fn, graph, "cond_true"), trace(false_fn, graph, "cond_false"))
    a, b = (fg.outputs for fg in branches)
    if len(a) != len(b):
        raise ValueError(f"cond: the branches return {len(a)} and {len(b)} values")
    types = []
    for i, (x, y) in enumerate(zip(a, b)):
        if x.dtype != y.dtype:
            raise TypeError(f"cond: output {i} is {x.dtype.name} in true_fn but "
                            f"{y.dtype.name} in false_fn")
        types.append(TensorType(x.dtype, _merge(x.shape, y.shape)))
    outer, slots = _union_captures(*branches)
    with graph.as_default(), _waiting_for(graph, *branches):
        out = apply(COND, pred, *outer, name=name or "cond", branches=branches, slots=slots,
                    types=tuple(types))
    outs = list(out) if isinstance(out, tuple) else [out]
    return outs if branches[0].returns_sequence else outs[0]  # type: ignore[attr-defined]


def _merge(a: shapes.Shape, b: shapes.Shape) -> shapes.Shape:
    """The static shape two branch outputs share (None where they differ)."""
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(d if d == e else None for d, e in zip(a, b))


# -- while_loop -------------------------------------------------------------------------------
def _loop(cond_fg: FuncGraph, body_fg: FuncGraph, state: list[np.ndarray],
          captured: Sequence[np.ndarray], slots: Any, limit: int | None,
          trail: list[list[np.ndarray]] | None = None) -> list[np.ndarray]:
    cond_caps = [captured[i] for i in slots[0]]
    body_caps = [captured[i] for i in slots[1]]
    trips = 0
    while (limit is None or trips < limit) and bool(run_function(cond_fg, state, cond_caps)[0]):
        if trail is not None:
            trail.append(state)
        new = run_function(body_fg, state, body_caps)
        for i, (old, value) in enumerate(zip(state, new)):
            if old.shape != value.shape:
                raise ValueError(f"while_loop: loop variable {i} changed shape from {old.shape} "
                                 f"to {value.shape} on trip {trips + 1}")
        state, trips = [np.asarray(v) for v in new], trips + 1
    return state


def _while_ref(*arrays: np.ndarray, graphs: Any, slots: Any, n: int, limit: Any,
               **unused: Any) -> Any:
    cond_fg, body_fg = graphs
    state = _loop(cond_fg, body_fg, list(arrays[:n]), arrays[n:], slots, limit)
    return tuple(state) if n > 1 else state[0]


def _while_grad_ref(*arrays: np.ndarray, graphs: Any, slots: Any, n: int, limit: Any,
                    n_outer: int, vjp: FuncGraph, vjp_slots: Any, **unused: Any
                    ) -> tuple[np.ndarray, ...]:
    x0, gs, outer = list(arrays[:n]), list(arrays[n:2 * n]), arrays[2 * n:]
    trail: list[list[np.ndarray]] = []
    cond_fg, body_fg = graphs
    _loop(cond_fg, body_fg, x0, outer, slots, limit, trail)
    g_outer = [np.zeros_like(outer[i]) for i in range(n_outer)]
    vjp_caps = [outer[i] for i in vjp_slots]
    for state in reversed(trail):  # backward through the trips
        result = run_function(vjp, [*state, *gs], vjp_caps)
        gs = [np.asarray(g, dtype=x.dtype) for g, x in zip(result[:n], state)]
        for i, g in enumerate(result[n:]):
            g_outer[i] = g_outer[i] + g
    return (*gs, *g_outer)


def _while_grad(op: GradOp, *gs: Any) -> tuple[Any, ...]:
    n = op.attrs["n"]
    x0, outer = op.inputs[:n], op.inputs[n:]
    body_fg = op.attrs["graphs"][1]
    graph = core._graph_of(tuple(op.inputs))

    def vjp_fn(*args: Any) -> list[Any]:
        gradients = _installed(_gradients, "gradients()")
        fg = get_default_graph()
        xs, seeds = list(args[:n]), list(args[n:])
        outs = _inline(body_fg, xs, [outer[i] for i in op.attrs["slots"][1]], "while_loop")
        inner = [fg.capture(t, "while_loop") for t in outer]
        wrt = [x for x in xs if x.dtype.is_floating] + [t for t in inner if t.dtype.is_floating]
        grads = dict(zip(wrt, gradients(outs, wrt, grad_ys=seeds) if wrt else []))
        return [grads.get(t) if grads.get(t) is not None else zeros_like(t)
                for t in xs + inner]

    arg_types = [t.type for t in x0] * 2
    vjp = trace(vjp_fn, graph, "while_vjp", arg_types)
    all_outer = list(dict.fromkeys([*outer, *vjp.captures]))
    slots = tuple(tuple(all_outer.index(outer[i]) for i in s) for s in op.attrs["slots"])
    with graph.as_default(), _waiting_for(graph, vjp):
        grads = apply(WHILE_GRAD, *x0, *gs, *all_outer, name="while_grad",
                      graphs=op.attrs["graphs"], slots=slots, n=n, limit=op.attrs["limit"],
                      n_outer=len(outer), vjp=vjp,
                      vjp_slots=tuple(all_outer.index(t) for t in vjp.captures),
                      types=tuple(t.type for t in op.inputs))
    grads = grads if isinstance(grads, tuple) else (grads,)
    return tuple(g if w else None for g, w in zip(grads, op.wants))


WHILE = register(OpDef("while_loop", lambda types, attrs: tuple(attrs["types"]), _while_ref,
                       _while_grad, calls=True))
# the gradient of a while_loop: replays it, then runs the body's vector-Jacobian product
# backward over the trips; returns gradients for the loop's initial values and captures
WHILE_GRAD = register(OpDef("while_grad", lambda types, attrs: tuple(attrs["types"]),
                            _while_grad_ref, None, calls=True))


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Sequence[Any],
               maximum_iterations: int | None = None, name: str | None = None) -> Any:
    """Repeat loop_vars = body(*loop_vars) while cond(*loop_vars) holds (at most
    maximum_iterations times); returns the final loop variables, whose shapes and dtypes
    must not change. Differentiable."""
    items = list(loop_vars)
    if core.is_eager(*items):  # a plain Python loop
        trips = 0
        while (maximum_iterations is None or trips < maximum_iterations) and bool(cond(*items)):
            items, trips = _as_list(body(*items)), trips + 1
        return items
    graph = core._graph_of(tuple(items))
    with graph.as_default():
        xs = [convert_to_tensor(v) for v in items]
    cond_fg = trace(cond, graph, "while_cond", [x.type for x in xs])
    body_fg = trace(body, graph, "while_body", [x.type for x in xs])
    if len(cond_fg.outputs) != 1 or cond_fg.outputs[0].dtype.name != "bool":
        raise TypeError("while_loop: cond must return one bool scalar")
    if len(body_fg.outputs) != len(xs):
        raise ValueError(f"while_loop: body returns {len(body_fg.outputs)} values for "
                         f"{len(xs)} loop variables")
    for i, (x, y) in enumerate(zip(xs, body_fg.outputs)):
        if x.dtype != y.dtype or not shapes.compatible(x.shape, y.shape):
            raise ValueError(f"while_loop: loop variable {i} enters as {x.type} but the body "
                             f"returns {y.type}; a loop variable keeps its shape and dtype")
    outer, slots = _union_captures(cond_fg, body_fg)
    with graph.as_default(), _waiting_for(graph, cond_fg, body_fg):
        out = apply(WHILE, *xs, *outer, name=name or "while_loop", graphs=(cond_fg, body_fg),
                    slots=tuple(slots), n=len(xs), limit=maximum_iterations,
                    types=tuple(x.type for x in xs))
    return list(out) if isinstance(out, tuple) else [out]
