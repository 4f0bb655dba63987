"""Matrix multiplication."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import Tensor, TensorType
from graphc.ops.core import apply
from graphc.registry import GradOp, OpDef, register


def _matmul_infer(types: Sequence[TensorType], attrs: Any) -> TensorType:
    a, b = types
    if a.dtype != b.dtype:
        raise TypeError(f"operands have different dtypes: {a} and {b}; convert one with gc.cast")
    if a.dtype.is_bool:
        raise TypeError("matmul of bool tensors is not supported")
    for side, t in (("a", a), ("b", b)):
        if t.shape is not None and len(t.shape) != 2:
            raise ValueError(f"{side} must be a matrix (rank 2), got shape {shapes.fmt(t.shape)}")
    if a.shape is None or b.shape is None:
        return TensorType(a.dtype, (None, None))
    k = a.shape[0] if attrs["transpose_a"] else a.shape[1]
    k2 = b.shape[1] if attrs["transpose_b"] else b.shape[0]
    if k is not None and k2 is not None and k != k2:
        flags = "".join(f", {f}=True" for f in ("transpose_a", "transpose_b") if attrs[f])
        raise ValueError(f"inner dimensions differ: a has shape {shapes.fmt(a.shape)} and "
                         f"b has shape {shapes.fmt(b.shape)}{flags}")
    return TensorType(a.dtype, shapes.product(a.shape, b.shape, attrs["transpose_a"],
                                              attrs["transpose_b"]))


def product_dims(dims: Sequence[tuple[Any, ...]], attrs: Any) -> tuple[Any, ...] | None:
    """The dims rule (OpDef.dims) of the ops whose result is op(a) @ op(b)."""
    if len(dims[0]) != 2 or len(dims[1]) != 2:
        return None
    return shapes.product(dims[0], dims[1], attrs["transpose_a"], attrs["transpose_b"])


def _matmul_ref(a: np.ndarray, b: np.ndarray, transpose_a: bool, transpose_b: bool) -> Any:
    return (a.T if transpose_a else a) @ (b.T if transpose_b else b)


def _matmul_grad(op: GradOp, g: Any) -> tuple[Any, Any]:
    # forward c = op(a) @ op(b), op = optional transpose; backward (for ta=tb=False)
    # da = g @ b^T and db = a^T @ g; the flags move the transposes onto the other operands.
    a, b = op.inputs
    ta, tb = op.attrs["transpose_a"], op.attrs["transpose_b"]
    da = db = None
    if op.wants[0]:
        da = matmul(b, g, transpose_a=tb, transpose_b=True) if ta else \
            matmul(g, b, transpose_b=not tb)
    if op.wants[1]:
        db = matmul(g, a, transpose_a=True, transpose_b=ta) if tb else \
            matmul(a, g, transpose_a=not ta)
    return da, db


MATMUL = register(OpDef("matmul", _matmul_infer, _matmul_ref, _matmul_grad, dims=product_dims))


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           name: str | None = None) -> Tensor:
    """Matrix product of two rank-2 tensors, either optionally transposed first."""
    return apply(MATMUL, a, b, name=name, transpose_a=bool(transpose_a),
                 transpose_b=bool(transpose_b))
