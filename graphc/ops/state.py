"""Ops that touch run state: placeholders (fed), variables (read) and assignments (written)."""

from __future__ import annotations

from typing import Any

from graphc import shapes
from graphc.dtypes import as_dtype
from graphc.graph import Node, Tensor, TensorType
from graphc.ops.constant import _no_input_type
from graphc.ops.core import apply, convert_to_tensor, is_eager
from graphc.ops.shape import IDENTITY
from graphc.registry import OpDef, register

PLACEHOLDER = register(OpDef("placeholder", _no_input_type, None, effect="feed",
                                  source=True))
VARIABLE = register(OpDef("variable", _no_input_type, None, effect="read", source=True))


def _assign_infer(types: Any, attrs: Any) -> TensorType:
    (value,) = types
    var: Node = attrs["var"]
    target = var.types[0]
    if value.dtype != target.dtype:
        raise TypeError(f"cannot assign a {value.dtype.name} value to {target.dtype.name} "
                        f"variable '{var.name}'")
    if not shapes.compatible(value.shape, target.shape):
        raise ValueError(f"cannot assign a value of shape {shapes.fmt(value.shape)} to "
                         f"variable '{var.name}' of shape {shapes.fmt(target.shape)}")
    return target


# forward y = the value, which becomes the variable's value when the run commits
ASSIGN = register(OpDef("assign", _assign_infer, lambda value, var: value, effect="write"))


def placeholder(dtype: Any, shape: Any = None, name: str | None = None) -> Tensor:
    """A tensor whose value is given at run time through feed_dict; None dims are free."""
    dt = as_dtype(dtype)
    return apply(PLACEHOLDER, name=name or "placeholder", shape=shapes.as_shape(shape), dtype=dt)


def variable_node(shape: Any, dtype: Any, name: str | None, storage: Any = None) -> Node:
    """The node whose output is a variable's value at the start of each run. With `storage`
    (an object whose `.array` is a numpy array, e.g. an nn Parameter), every Session reads and
    assigns that array instead of keeping a value of its own."""
    extra = {} if storage is None else {"storage": storage}
    out = apply(VARIABLE, name=name or "Variable", shape=tuple(shape), dtype=as_dtype(dtype),
                **extra)
    return out.node


def assign(var: Node, value: Any, name: str | None = None) -> Tensor:
    """A tensor holding `value`; running it stores the value into the variable at run end."""
    value = convert_to_tensor(value, var.types[0].dtype, var.graph, op="assign")
    return apply(ASSIGN, value, name=name or f"{var.name}/assign", var=var)


def placeholder_with_default(input: Any, shape: Any, name: str | None = None) -> Tensor:  # noqa: A002
    """A tensor whose value is `input` unless a run feeds it (TensorFlow 1's
    placeholder_with_default): feed it like a placeholder, any value of `shape` (None
    dims are free; None is any shape), in the dtype of `input`.

    It is an identity of `input` whose static shape is `shape`: a run that feeds it
    replaces the node by the fed value (as a fed tensor always is) and never evaluates
    `input`; a run that does not computes `input`. Eager tensors are returned as they are."""
    if is_eager(input):
        return input
    value = convert_to_tensor(input, op="placeholder_with_default")
    return apply(IDENTITY, value, name=name or "PlaceholderWithDefault",
                 shape=shapes.as_shape(shape))
