"""TensorFlow 1's other names for graphc's ops: older spellings its tutorials still use.
Each is the op it names (no second definition)."""

from __future__ import annotations

from typing import Any

from graphc.dtypes import float32, float64, int32, int64
from graphc.graph import Tensor
from graphc.ops.elementwise import cast
from graphc.ops.reduce import argmax, argmin

arg_max = argmax  # tf.arg_max(input, dimension)
arg_min = argmin


def to_float(x: Any, name: str = "ToFloat") -> Tensor:
    """x as float32 (tf.to_float)."""
    return cast(x, float32, name=name)


def to_double(x: Any, name: str = "ToDouble") -> Tensor:
    """x as float64 (tf.to_double)."""
    return cast(x, float64, name=name)


def to_int32(x: Any, name: str = "ToInt32") -> Tensor:
    """x as int32 (tf.to_int32): floats truncate toward zero."""
    return cast(x, int32, name=name)


def to_int64(x: Any, name: str = "ToInt64") -> Tensor:
    """x as int64 (tf.to_int64): floats truncate toward zero."""
    return cast(x, int64, name=name)


__all__ = ["arg_max", "arg_min", "to_double", "to_float", "to_int32", "to_int64"]
