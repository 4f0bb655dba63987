"""Common-subexpression elimination: an op repeating an earlier one on the same inputs with
the same attributes reuses the earlier result."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.graph import Node
from graphc.passes.rewrite import Uses, rewrite
from graphc.program import Program
from graphc.registry import OPS


def attrs_key(value: Any) -> Any:
    """A hashable stand-in for an attribute value (arrays by content)."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.generic):
        return ("scalar", value.dtype.str, value.item())
    if isinstance(value, tuple | list):
        return (type(value).__name__, *(attrs_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", *sorted((k, attrs_key(v)) for k, v in value.items()))
    if isinstance(value, slice):
        return ("slice", attrs_key(value.start), attrs_key(value.stop), attrs_key(value.step))
    hash(value)  # raises TypeError for anything else unhashable
    return value


def eliminate_common_subexpressions(program: Program) -> Program:
    seen: dict[Any, Node] = {}

    def reuse(node: Node, uses: Uses) -> Node | None:
        if OPS[node.op].effect is not None:  # state and randomness are never merged
            return None
        try:
            key = (node.op, node.inputs, node.control_inputs, attrs_key(dict(node.attrs)))
        except TypeError:
            return None
        if key in seen:
            return seen[key]
        seen[key] = node
        return None

    return rewrite(program, [reuse])
