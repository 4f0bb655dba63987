"""User-defined gradients in graphs: @custom_gradient functions and RegisterGradient overrides."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

from graphc.graph import Graph, TensorType, get_default_graph, legal_name
from graphc.ops import core
from graphc.ops.core import apply
from graphc.registry import OPS, GradOp, OpDef, register


def _custom_grad(op: GradOp, g: Any) -> tuple[Any, ...]:
    grads = op.attrs["grad_fn"](g)
    grads = tuple(grads) if isinstance(grads, tuple | list) else (grads,)
    if len(grads) != len(op.inputs) - 1:
        raise ValueError(f"the gradient function of {op.attrs['function']} returned "
                         f"{len(grads)} gradients for {len(op.inputs) - 1} inputs")
    return (*grads, None)  # nothing flows into the ops inside the function


def _last(types: Sequence[TensorType], attrs: Any) -> TensorType:
    return types[-1]


# forward y = the function's own output (the last input); backward: the user's grad_fn
CUSTOM_GRADIENT = register(OpDef(
    "custom_gradient", _last, lambda *arrays, grad_fn, function: arrays[-1], _custom_grad))


def custom_gradient(f: Callable[..., tuple[Any, Callable[[Any], Any]]]) -> Callable[..., Any]:
    """Decorate f(*tensors) -> (output, grad_fn) so gradients use grad_fn(dy) -> dxs.

    In a graph, the ops f builds sit in a name scope named after f and are not
    differentiated through; on eager tensors the same holds for the tape.
    """
    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        graph = core._graph_of(args)
        label = legal_name(f.__name__, "custom_gradient")  # '<lambda>' is no node name
        if core.is_eager(*args):
            out, grad_fn = f(*args)
        else:
            with graph.as_default(), graph.name_scope(label):
                out, grad_fn = f(*args)
        with graph.as_default():
            return apply(CUSTOM_GRADIENT, *args, out, name=label, grad_fn=grad_fn,
                         function=f.__name__)
    return wrapper


class RegisterGradient:
    """Decorator: `@gc.RegisterGradient("relu")` makes `fn(op, grad)` the gradient of every
    relu node of the default graph in later gc.gradients calls (eager mode is unaffected)."""

    def __init__(self, op_name: str, graph: Graph | None = None) -> None:
        if op_name not in OPS:
            raise KeyError(f"RegisterGradient: no op is named '{op_name}'")
        self.op_name = op_name
        self.graph = graph

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        (self.graph or get_default_graph()).gradient_overrides[self.op_name] = fn
        return fn
