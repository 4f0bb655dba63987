"""Activation modules: ReLU, Tanh, Sigmoid, Softmax, LogSoftmax."""

from __future__ import annotations

from typing import Any

from graphc.nn import functional as F
from graphc.nn.module import Module


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class Tanh(Module):
    """Hyperbolic tangent, elementwise."""

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise."""

    def forward(self, input: Any) -> Any:  # noqa: A002
        return F.sigmoid(input)


class _AlongDim(Module):
    """An activation along one dimension, `dim` (which must be given by the time it is
    called): forward applies `function`."""

    function: Any

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input: Any) -> Any:  # noqa: A002
        return type(self).function(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """exp(x) / sum(exp(x)) over `dim`."""

    function = F.softmax


class LogSoftmax(_AlongDim):
    """log(softmax(x)) over `dim`, computed stably."""

    function = F.log_softmax
