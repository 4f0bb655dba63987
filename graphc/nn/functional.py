"""Stateless layers as functions, written on graphc's ops (both modes)."""

from __future__ import annotations

from typing import Any

from graphc.ops.elementwise import relu as _relu
from graphc.ops.elementwise import square
from graphc.ops.linalg import matmul
from graphc.ops.reduce import reduce_mean, reduce_sum


def relu(x: Any) -> Any:
    """max(x, 0)."""
    return _relu(x)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """x @ weight^T + bias, with PyTorch's layout (weight is out_features x in_features)."""
    y = matmul(x, weight, transpose_b=True)
    return y if bias is None else y + bias


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:  # noqa: A002
    """Squared error: its mean ("mean"), its sum ("sum"), or elementwise ("none")."""
    error = square(input - target)
    if reduction == "mean":
        return reduce_mean(error)
    if reduction == "sum":
        return reduce_sum(error)
    if reduction == "none":
        return error
    raise ValueError(f"mse_loss: reduction must be 'mean', 'sum' or 'none', not {reduction!r}")
