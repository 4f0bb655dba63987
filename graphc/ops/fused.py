"""Fused ops: made by passes, never by users; each is an ordinary op with a reference and a
gradient, so every backend can run it and a render can name what it replaced."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.ops.elementwise import where
from graphc.ops.linalg import _matmul_grad, _matmul_infer, _matmul_ref
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
