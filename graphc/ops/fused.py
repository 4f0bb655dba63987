"""Fused ops: made by passes, never by users; each is an ordinary op with a reference and a
gradient, so every backend can run it and a render can name what it replaced."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc import shapes
from graphc.graph import TensorType
from graphc.ops.elementwise import where
from graphc.ops.linalg import _matmul_grad, _matmul_infer, _matmul_ref
from graphc.ops.shape import sum_to
from graphc.registry import GradOp, OpDef, register


def _matmul_relu_grad(op: GradOp, g: Any) -> Any:
    return _matmul_grad(op, where(op.outputs[0] > 0, g, 0))


# forward y = max(op(a) @ op(b), 0), the ReLU applied as the product is written;
# backward: the ReLU mask on g, then matmul's rule
MATMUL_RELU = register(OpDef(
    "matmul_relu", _matmul_infer,
    lambda a, b, transpose_a, transpose_b: np.maximum(_matmul_ref(a, b, transpose_a,
                                                                  transpose_b), 0),
    _matmul_relu_grad, fused_from=("matmul", "relu")))


def _matmul_then(types: Any, attrs: Any, extra: str) -> TensorType:
    """matmul's output type, checked to absorb the extra operand without growing."""
    out = _matmul_infer(types[:2], attrs)
    if shapes.broadcast(out.shape, types[2].shape) != out.shape:
        raise ValueError(f"the {extra} of shape {shapes.fmt(types[2].shape)} would widen the "
                         f"product of shape {shapes.fmt(out.shape)}")
    return out


def _matmul_bias_relu_grad(op: GradOp, g: Any) -> Any:
    masked = where(op.outputs[0] > 0, g, 0)
    return (*_matmul_grad(op._replace(inputs=op.inputs[:2], wants=op.wants[:2]), masked),
            sum_to(masked, op.inputs[2]) if op.wants[2] else None)


# forward y = max(op(a) @ op(b) + bias, 0): a Linear layer and its ReLU in one op;
# backward: the ReLU mask, then matmul's rule and the bias summed over rows
MATMUL_BIAS_RELU = register(OpDef(
    "matmul_bias_relu", lambda types, attrs: _matmul_then(types, attrs, "bias"),
    lambda a, b, bias, transpose_a, transpose_b:
        np.maximum(_matmul_ref(a, b, transpose_a, transpose_b) + bias, 0),
    _matmul_bias_relu_grad, fused_from=("matmul", "add", "relu")))


def _matmul_mask_grad(op: GradOp, g: Any) -> Any:
    masked = where(op.inputs[2] > 0, g, 0)
    return (*_matmul_grad(op._replace(inputs=op.inputs[:2], wants=op.wants[:2]), masked), None)


# forward y = op(a) @ op(b) where m > 0, else 0: the ReLU gradient mask applied as the
# incoming gradient's product is written (backward fusion); backward: the same mask on g
MATMUL_MASK = register(OpDef(
    "matmul_mask", lambda types, attrs: _matmul_then(types, attrs, "mask"),
    lambda a, b, m, transpose_a, transpose_b:
        np.where(m > 0, _matmul_ref(a, b, transpose_a, transpose_b), 0),
    _matmul_mask_grad, fused_from=("matmul", "greater", "where")))
