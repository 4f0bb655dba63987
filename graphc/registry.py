"""The op registry: one OpDef per op (shape rule, numpy reference, gradient rule) and kernels."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from graphc.graph import Tensor, TensorType

# infer(input types, attrs) -> output type(s); raises ValueError/TypeError naming the shapes.
InferRule = Callable[[Sequence[TensorType], Mapping[str, Any]], "TensorType | Sequence[TensorType]"]


class GradOp(NamedTuple):
    """What a gradient rule sees of the op it differentiates (a graph node or an eager record)."""

    inputs: tuple[Any, ...]
    outputs: tuple[Any, ...]
    attrs: Mapping[str, Any]
    wants: tuple[bool, ...]  # which inputs need a gradient; rules may skip the others


# grad(op, *output_grads) -> one gradient (or None) per input, built with graphc's op functions.
GradRule = Callable[..., Sequence["Tensor | None"]]


@dataclass(frozen=True)
class OpDef:
    """Everything graphc knows about one op, defined once and shared by every mode and backend.

    effect: None for a pure op; "feed" (placeholder), "read" (variable value at run start),
    "write" (assign, committed at run end), "random" (reference takes an `rng`) or "collective"
    (graphc.distributed: every rank runs it together; never folded or merged, and a Program
    holding one has its schedule compared across ranks when it is compiled).
    """

    name: str
    infer: InferRule
    reference: Callable[..., Any] | None
    grad: GradRule | None = None
    effect: str | None = None
    elementwise: bool = False
    fused_from: tuple[str, ...] = ()  # for ops made by fusion passes: the ops they replace


OPS: dict[str, OpDef] = {}
KERNELS: dict[str, dict[str, Any]] = {}  # backend -> op -> that backend's kernel object


def register(opdef: OpDef) -> OpDef:
    """Add an op to the registry; an op name is defined exactly once."""
    if opdef.name in OPS:
        raise ValueError(f"op '{opdef.name}' is already registered")
    OPS[opdef.name] = opdef
    return opdef


def register_kernel(backend: str, op: str, kernel: Any) -> None:
    """Record a backend's kernel for an op."""
    if op not in OPS:
        raise KeyError(f"cannot register a {backend} kernel for unknown op '{op}'")
    KERNELS.setdefault(backend, {})[op] = kernel
