"""Making eager tensors: from data, random, zeros and ones."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.dtypes import as_dtype, float32
from graphc.eager.tensor import Tensor, _check_differentiable
from graphc.runtime.arrays import host
from graphc.runtime.cuda.device import check_device, to_device

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Reseed the generator behind randn and rand."""
    global _rng
    _rng = np.random.default_rng(seed)


def _default_np_dtype(data: Any) -> np.dtype:
    """PyTorch's defaults: numpy data keeps its dtype; Python floats are float32, ints int64."""
    if isinstance(data, np.ndarray | np.generic):
        return as_dtype(data.dtype).np
    kind = np.asarray(data).dtype.kind
    if kind not in "biuf":
        raise TypeError(f"cannot make a tensor from {type(data).__name__} data")
    return {"b": np.dtype(np.bool_), "f": np.dtype(np.float32)}.get(kind, np.dtype(np.int64))


def _make(array: np.ndarray, requires_grad: bool, device: Any) -> Tensor:
    """A leaf holding `array`, moved to `device` (values are made on the host, so a seed
    gives the same numbers on every device)."""
    t = Tensor(to_device(array) if check_device(device) == "cuda" else array)
    _check_differentiable(t.dtype, requires_grad)
    t.requires_grad = requires_grad
    return t


def tensor(data: Any, dtype: Any = None, requires_grad: bool = False,
           device: Any = "cpu") -> Tensor:
    """A new leaf tensor holding a copy of `data` (a list, scalar, array or tensor)."""
    if isinstance(data, Tensor):
        data = host(data.array)
    np_dtype = as_dtype(dtype).np if dtype is not None else _default_np_dtype(data)
    return _make(np.array(data, dtype=np_dtype, copy=True), requires_grad, device)


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], tuple | list) else shape


def randn(*shape: Any, dtype: Any = float32, requires_grad: bool = False,
          device: Any = "cpu") -> Tensor:
    """Samples of the standard normal distribution."""
    values = _rng.standard_normal(_shape(shape)).astype(as_dtype(dtype).np)
    return _make(values, requires_grad, device)


def rand(*shape: Any, dtype: Any = float32, requires_grad: bool = False,
         device: Any = "cpu") -> Tensor:
    """Samples of the uniform distribution on [0, 1)."""
    return _make(_rng.random(_shape(shape)).astype(as_dtype(dtype).np), requires_grad, device)


def zeros(*shape: Any, dtype: Any = float32, requires_grad: bool = False,
          device: Any = "cpu") -> Tensor:
    """A tensor of zeros."""
    return _make(np.zeros(_shape(shape), as_dtype(dtype).np), requires_grad, device)


def ones(*shape: Any, dtype: Any = float32, requires_grad: bool = False,
         device: Any = "cpu") -> Tensor:
    """A tensor of ones."""
    return _make(np.ones(_shape(shape), as_dtype(dtype).np), requires_grad, device)
