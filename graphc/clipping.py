"""TensorFlow 1's gradient clipping by norm: tf.global_norm, tf.clip_by_norm and
tf.clip_by_global_norm, compositions of graphc's ops (so they differentiate and run on every
backend), with TensorFlow's arithmetic.

A gradient list may hold None (a variable the loss does not reach): it stays None and counts
for nothing. A norm of 0 scales nothing (no 0/0); an infinite or NaN global norm makes every
clipped value NaN, as TensorFlow's does, so a diverged step shows instead of passing
silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from graphc.ops.composite import scope
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import cast, divide, greater, maximum, minimum, sqrt, where
from graphc.ops.reduce import reduce_sum
from graphc.ops.constant import ones_like

__all__ = ["clip_by_global_norm", "clip_by_norm", "global_norm"]


def global_norm(t_list: Sequence[Any], name: str | None = None) -> Any:
    """sqrt(sum of the squares of every element of every tensor in t_list), Nones skipped."""
    tensors = [convert_to_tensor(t, op="global_norm") for t in t_list if t is not None]
    if not tensors:
        raise ValueError("global_norm: t_list holds no tensor (only None)")
    with scope(name, "global_norm", *tensors):
        dtype = tensors[0].dtype
        squares = [reduce_sum(t * t) if t.dtype == dtype else
                   cast(reduce_sum(t * t), dtype) for t in tensors]
        total = squares[0]
        for s in squares[1:]:
            total = total + s
        return sqrt(total)


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None, name: str | None = None) -> Any:
    """t * clip_norm / max(||t||, clip_norm), the L2 norm over `axes` (all, by default):
    t itself where its norm is at most clip_norm."""
    t = convert_to_tensor(t, op="clip_by_norm")
    with scope(name, "clip_by_norm", t):
        l2sum = reduce_sum(t * t, axes, keepdims=True)
        positive = greater(l2sum, 0)
        # (the square root of 0 has an infinite gradient: where it is 0, the norm is l2sum)
        l2norm = where(positive, sqrt(where(positive, l2sum, ones_like(l2sum))), l2sum)
        return divide(t * clip_norm, maximum(l2norm, clip_norm))


def clip_by_global_norm(t_list: Sequence[Any], clip_norm: Any, use_norm: Any = None,
                        name: str | None = None) -> tuple[list[Any], Any]:
    """(each t * clip_norm / max(global_norm, clip_norm), global_norm): every tensor scaled
    by one factor, so that together their norm is at most clip_norm; Nones stay None.
    use_norm: the global norm, if already computed."""
    if not isinstance(t_list, Sequence):
        raise TypeError(f"clip_by_global_norm: t_list must be a list of tensors, got "
                        f"{type(t_list).__name__}")
    norm = global_norm(t_list) if use_norm is None else use_norm
    with scope(name, "clip_by_global_norm", norm):
        # (norm - norm: 0, or NaN where the norm is infinite or NaN)
        scale = clip_norm * minimum(1.0 / norm, 1.0 / clip_norm) + (norm - norm)
        clipped = [None if t is None else
                   _scaled(convert_to_tensor(t, op="clip_by_global_norm"), scale)
                   for t in t_list]
    return clipped, norm


def _scaled(t: Any, scale: Any) -> Any:
    return t * (scale if t.dtype == scale.dtype else cast(scale, t.dtype))
