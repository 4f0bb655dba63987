"""The default floating-point dtype of eager tensors (PyTorch's torch.set_default_dtype)."""

from __future__ import annotations

from typing import Any

from graphc.dtypes import DType, as_dtype, float32

_default: list[DType] = [float32]


def get_default_dtype() -> DType:
    """The dtype of tensors made from Python floats, and of randn, zeros, ones... by default."""
    return _default[0]


def set_default_dtype(dtype: Any) -> None:
    """Make `dtype` (float32 or float64) the default floating-point dtype."""
    d = as_dtype(dtype)
    if not d.is_floating:
        raise TypeError(f"set_default_dtype: only floating-point types are supported as the "
                        f"default type, not {d.name}")
    _default[0] = d
