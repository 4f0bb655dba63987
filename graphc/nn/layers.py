"""Layers: Sequential, Linear, LayerNorm, Embedding, Flatten, Dropout (activations:
activations.py; losses: losses.py)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager import creation
from graphc.eager.defaults import get_default_dtype
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
    initialisation: W and b uniform in +-1/sqrt(in_features). The parameters' dtype is
    `dtype`, or when it is None the eager default dtype at construction
    (graphc.eager.set_default_dtype; float32 unless changed), as PyTorch's."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        np_dtype = _param_dtype(dtype)

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


def _param_dtype(dtype: Any) -> Any:
    """A layer's parameters' numpy dtype: `dtype`, or the eager default dtype now."""
    return (get_default_dtype() if dtype is None else as_dtype(dtype)).np


class LayerNorm(Module):
    """F.layer_norm over the last dims, normalized_shape; with elementwise_affine, a weight
    (ones) and a bias (zeros, unless bias=False) of that shape, as PyTorch's."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, bias: bool = True, dtype: Any = None) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        np_dtype = _param_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(shape, np_dtype))
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(shape, np_dtype))

    def forward(self, input: Any) -> Any:  # noqa: A002
        # (through getattr: in a graph a parameter is read as its bound Variable)
        weight, bias = (getattr(self, n) if n in self._parameters else None
                        for n in ("weight", "bias"))
        return F.layer_norm(input, self.normalized_shape, weight, bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class Embedding(Module):
    """A table of num_embeddings vectors of embedding_dim: forward(indices) looks them up
    (F.embedding). The weight starts standard normal (PyTorch's), its padding_idx row at
    zero, which gets no gradient."""

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and not -num_embeddings <= padding_idx < num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        self.padding_idx = padding_idx
        weight = creation._rng.standard_normal((num_embeddings, embedding_dim))
        if padding_idx is not None:
            weight[padding_idx] = 0
        self.weight = Parameter(weight.astype(_param_dtype(dtype)))

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.embedding(input, self.weight, self.padding_idx)

    def extra_repr(self) -> str:
        padding = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{padding}"


class Flatten(Module):
    """Merges dims start_dim..end_dim into one (by default all but the batch dim 0)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In train mode zeroes each element with probability p and scales the rest by
    1 / (1 - p); in eval mode the identity.

    In a graph the mode when the module is called decides what is built: in train mode a
    dropout that draws a new mask on every Session.run, in eval mode nothing. To evaluate
    without dropout, call the model again after model.eval(), in the same graph: both
    outputs read the same parameters. (F.dropout also takes a bool placeholder as
    `training`, for one output that does either.)"""

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: dropout probability has to be between 0 and 1, but "
                             f"got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.dropout(input, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Dropout of whole channels (F.dropout2d): in train mode each channel of each sample
    of an (N, C, H, W) or (C, H, W) input is zeroed with probability p, the rest scaled by
    1 / (1 - p); in eval mode the identity."""

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.dropout2d(input, self.p, self.training)
