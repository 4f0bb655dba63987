"""PyTorch's in-place fills of eager tensors: fill_, normal_, uniform_ and masked_fill_.

Each goes through the tensor's in-place machinery (Tensor._update): a write into its
memory that bumps its version counter (a recorded op that saved the old value then refuses
backward()), or, while recorded, a new value and history; a leaf that requires grad is
refused outside no_grad, as PyTorch refuses it (nn.init fills parameters under no_grad).
Random values come from graphc.eager's generator (manual_seed), as randn's do: drawn in
float64 on the host, then rounded once to the tensor's dtype.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.eager import creation
from graphc.eager.functions import masked_fill
from graphc.eager.tensor import Tensor
from graphc.ops.elementwise import cast
from graphc.ops.shape import broadcast_like
from graphc.runtime.cuda.device import is_device_array, to_device


def _filled(a: Any, value: Any) -> Any:
    """`value` (a 0-d tensor, or values of a's shape) in a's shape, dtype and device."""
    value = value.to(a.device)
    return broadcast_like(value if value.dtype == a.dtype else cast(value, a.dtype), a)


def _copy_into(out: np.ndarray, value: np.ndarray) -> None:
    np.copyto(out, value)


def _overwrite(self: Tensor, how: str, values: np.ndarray) -> Tensor:
    """Replace every element of self by `values` (host values of self's dtype), in place."""
    if is_device_array(self.array):
        return self._update(how, _filled, Tensor(to_device(values)))
    return self._update(how, _filled, Tensor(values), lambda a, v, out: _copy_into(out, v))


def fill_(self: Tensor, value: Any) -> Tensor:
    """Every element set to `value` (a number, cast to the tensor's dtype as PyTorch casts
    it, or a 0-d tensor, through which a recorded fill passes its gradient), in place."""
    if isinstance(value, Tensor):
        if value.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor "
                               f"with {value.ndim} dimensions")
        return self._update("fill_", _filled, value)
    if not isinstance(value, int | float | np.number | np.bool_):
        raise TypeError(f"fill_(): value must be a number or a 0-d tensor, not "
                        f"{type(value).__name__}")
    return _overwrite(self, "fill_", np.asarray(value).astype(self.dtype.np))


def _floating(self: Tensor, how: str) -> None:
    if not self.dtype.is_floating:
        raise RuntimeError(f"{how}: expects a floating point tensor, got {self.dtype.name}")


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Every element drawn from the normal distribution N(mean, std^2), in place:
    mean + std * (graphc.eager's standard normal draws), rounded to the tensor's dtype."""
    _floating(self, "normal_")
    if not std >= 0:
        raise RuntimeError(f"normal_ expects std >= 0.0, but found std {std}")
    draws = creation._rng.standard_normal(self.shape)
    return _overwrite(self, "normal_", (draws * std + mean).astype(self.dtype.np))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, a: Any = None,
             b: Any = None) -> Tensor:
    """Every element drawn uniformly from [from_, to), in place (PyTorch's names, from and
    to; a= and b= as nn.init spells them), rounded to the tensor's dtype."""
    low, high = (from_ if a is None else a), (to if b is None else b)
    _floating(self, "uniform_")
    if not low <= high:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found "
                           f"from={low} > to={high}")
    draws = creation._rng.uniform(low, high, self.shape)
    return _overwrite(self, "uniform_", draws.astype(self.dtype.np))


def masked_fill_(self: Tensor, mask: Any, value: Any) -> Tensor:
    """self.masked_fill(mask, value) written into self, in place; mask broadcasts to
    self's shape."""
    other = value if isinstance(value, Tensor) else None
    return self._update("masked_fill_", lambda a, _: masked_fill(a, mask, value), other)
