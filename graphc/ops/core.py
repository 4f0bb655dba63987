"""Applying an op: turning Python values into tensors, checking types, and building the node."""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import DType, as_dtype, default_dtype_of
from graphc.graph import FuncGraph, Graph, Node, Tensor, TensorType, get_default_graph
from graphc.registry import OPS, OpDef
from graphc.site import user_site

# Set by graphc.eager when it is imported: the eager tensor type and how to apply an op at once.
eager_type: type | None = None
eager_apply: Callable[..., Any] | None = None


def apply(opdef: OpDef, *inputs: Any, name: str | None = None, **attrs: Any) -> Any:
    """Build a node of `opdef` on `inputs`; returns its output tensor (or the node if none).

    Python scalars and numpy arrays become constants of the dtype of the op's first
    non-boolean tensor input, so `x * 2` keeps x's dtype; shape and dtype errors are raised
    here, while the graph is built, naming the op and the user's file:line. If an input is
    an eager tensor, the op computes at once instead (see graphc.eager).
    """
    if is_eager(*inputs):
        return eager_apply(opdef, inputs, attrs)  # type: ignore[misc]
    graph = _graph_of(inputs)
    hint = next((x.dtype for x in inputs if isinstance(x, Tensor) and not x.dtype.is_bool), None)
    tensors = [convert_to_tensor(x, hint, graph, opdef.name) for x in inputs]
    if opdef.effect == "random" and isinstance(graph, FuncGraph) and graph.hoists_random:
        hoisted = _hoisted(opdef, graph, tensors, name, attrs)
        if hoisted is not None:
            return hoisted
    out = infer(opdef, [t.type for t in tensors], attrs, name)
    types = (out,) if isinstance(out, TensorType) else tuple(out)
    node = graph.create_node(opdef.name, tensors, attrs, types, name)
    if not types:
        return node
    return node.outputs[0] if len(types) == 1 else node.outputs


def _hoisted(opdef: OpDef, graph: FuncGraph, tensors: list[Tensor], name: str | None,
             attrs: dict[str, Any]) -> Tensor | None:
    """A random op of a cond branch, made in the enclosing graph (which draws every run,
    the branch taken or not: the draws are independent of it) and captured, so the
    branch's gradient, which copies the branch's nodes, reads the same draw. None when an
    input is computed inside the branch (then the op stays inside, and tracing refuses
    it)."""
    outer = []
    for t in tensors:
        source = t if t.graph is not graph else graph.outer(t) if t.node.op != "constant" \
            else constant_node(t.node.attrs["value"], graph.parent)
        if source is None:
            return None
        outer.append(source)
    with graph.parent.as_default():
        made = apply(opdef, *outer, name=name, **attrs)
    return graph.capture(made, opdef.name)


def is_eager(*values: Any) -> bool:
    """Whether any value is an eager tensor (then ops compute at once)."""
    return eager_type is not None and any(isinstance(v, eager_type) for v in values)


def infer(opdef: OpDef, types: list[TensorType], attrs: dict[str, Any],
          name: str | None = None) -> Any:
    """The op's output type(s); a type error names the op and the user's file:line."""
    try:
        return opdef.infer(types, attrs)
    except (ValueError, TypeError) as err:
        label = f"{opdef.name} '{name}'" if name else opdef.name
        raise type(err)(f"{label} (at {user_site()}): {err}") from None


def convert_to_tensor(value: Any, dtype: DType | None = None, graph: Graph | None = None,
                      op: str = "convert_to_tensor") -> Tensor:
    """A tensor as is, or a constant holding `value` (as `dtype` when given)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, Node):
        raise TypeError(f"{op}: got the operation '{value.name}', which has no value; "
                        "pass a tensor")
    return constant_node(as_array(value, dtype, op), graph or get_default_graph())


def as_array(value: Any, dtype: DType | None, op: str) -> np.ndarray:
    """A Python or numpy value as an array of `dtype` (or of its default dtype).

    Conversion within a kind (float64 data for a float32 op) is allowed; across kinds
    (a float for an int op) it is an error. Integers convert to another integer dtype
    when their values fit it (10 is a uint8 operand, 300 and -1 are not), never wrapping.
    """
    if type(value) is float and dtype is not None and dtype.is_floating:
        return np.array(value, dtype.np)  # (x * 0.5, every eager step: the common case)
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{op}: cannot make a tensor from {type(value).__name__} {value!r}")
    if dtype is None:
        dtype = default_dtype_of(value)
    integers = array.dtype.kind in "iu" and dtype.np.kind in "iu"
    if not (integers_fit(array, dtype.np) if integers
            else np.can_cast(array.dtype, dtype.np, "same_kind")):
        raise TypeError(f"{op}: cannot use {array.dtype} value {_short(value)} as a "
                        f"{dtype.name} operand")
    return array.astype(dtype.np, copy=False)


def integers_fit(array: np.ndarray, dtype: np.dtype) -> bool:
    """Whether integer values all lie in an integer dtype's range (so 10 can be a uint8
    operand, and 300 cannot)."""
    if array.size == 0 or np.can_cast(array.dtype, dtype, "safe"):
        return True
    info = np.iinfo(dtype)
    return bool(info.min <= array.min() and array.max() <= info.max)


def constant_node(array: np.ndarray, graph: Graph, name: str | None = None) -> Tensor:
    """A constant node holding a read-only copy of `array`."""
    array = np.array(array)
    array.setflags(write=False)
    dtype = as_dtype(array.dtype)
    node = graph.create_node("constant", (), {"value": array, "dtype": dtype},
                             (TensorType(dtype, array.shape),), name)
    return node.outputs[0]


FOLD_ELEMENTS = 1 << 16  # larger values stay ops: a graph should not carry big arrays


def fold_value(node: Node, values: list[Any]) -> np.ndarray | None:
    """The value of a one-output node computed now by its numpy reference from its inputs'
    values, if its static shape is known and at most FOLD_ELEMENTS elements; None if not,
    or if the reference raises (an error is the run's to report, with its context)."""
    if len(node.types) != 1:
        return None
    out = node.types[0]
    if not shapes.is_fully_defined(out.shape) or prod(out.shape) > FOLD_ELEMENTS:  # type: ignore[arg-type]
        return None
    try:
        with np.errstate(all="ignore"):
            return np.array(OPS[node.op].reference(  # type: ignore[misc]
                *values, **node.attrs), dtype=out.dtype.np)
    except Exception:
        return None


def scalar_value(t: Any) -> float | None:
    """The value of a tensor known to be a constant scalar (a graph constant, or an eager
    value that needs no gradient), else None. Gradient rules use it to fold constants."""
    if isinstance(t, Tensor):
        value = t.node.attrs.get("value") if t.node.op == "constant" else None
    elif is_eager(t) and not t.requires_grad:
        value = t.array  # type: ignore[attr-defined]
    else:
        value = None
    if value is None or np.ndim(value) != 0:
        return None
    return float(value)


def known_zero(t: Any) -> bool:
    """Whether t is known, when the graph is built, to be all +0.0 (or integer 0): a graph
    constant or fill of zeros, or an eager value of zeros that needs no gradient (e.g.
    gc.zeros(1)). A -0.0 is not such a zero: max(-0.0, -0.0) is -0.0, a ReLU's +0.0."""
    if isinstance(t, Tensor):
        node = t.node
        value = node.attrs["value"] if node.op in ("constant", "fill") else None
    elif is_eager(t) and not t.requires_grad:
        value = t.array  # type: ignore[attr-defined]
    else:
        return False
    return value is not None and not np.any(value) and not np.any(np.signbit(value))


def _graph_of(inputs: tuple[Any, ...]) -> Graph:
    """The graph to build in: the default graph, unless an input belongs to a graph that is
    neither it nor one enclosing it (then that input's graph)."""
    default = get_default_graph()
    enclosing = default.lineage()
    for x in inputs:
        if isinstance(x, Tensor) and x.graph is not None and x.graph not in enclosing:
            return x.graph
    return default


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 40 else text[:37] + "..."
