"""Layers: Sequential, Linear, ReLU, MSELoss."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from graphc.dtypes import as_dtype, float32
from graphc.eager import creation
from graphc.nn import functional as F
from graphc.nn.module import Module
from graphc.nn.parameter import Parameter


class Sequential(Module):
    """Modules applied in order; indexable like a list."""

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for i, m in enumerate(modules):
            setattr(self, str(i), m)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, index: int | slice) -> Any:
        items = list(self._modules.values())
        return Sequential(*items[index]) if isinstance(index, slice) else items[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features) and PyTorch's
    initialisation: W and b uniform in +-1/sqrt(in_features)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = float32) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        np_dtype = as_dtype(dtype).np

        def uniform(*shape: int) -> Any:
            return (creation._rng.uniform(-bound, bound, shape)).astype(np_dtype)

        self.weight = Parameter(uniform(out_features, in_features))
        if bias:
            self.bias = Parameter(uniform(out_features))
        else:
            object.__setattr__(self, "bias", None)

    def forward(self, x: Any) -> Any:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self._parameters.get('bias') is not None}")


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class MSELoss(Module):
    """Squared error between input and target, reduced by "mean" (default), "sum" or "none"."""

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"MSELoss: reduction must be 'mean', 'sum' or 'none', not "
                             f"{reduction!r}")
        self.reduction = reduction

    def forward(self, input: Any, target: Any) -> Any:  # noqa: A002
        return F.mse_loss(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""
