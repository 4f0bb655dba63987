"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphc.nn.parameter import Parameter
from graphc.optim.optimizer import Optimizer, on_first_step


class SGD(Optimizer):
    """PyTorch's update, per parameter p with gradient g:

        g = g + weight_decay * p
        b = g on the first step, else momentum * b + (1 - dampening) * g   (if momentum)
        g = g + momentum * b if nesterov else b                            (if momentum)
        p = p - lr * g
    """

    state_names: tuple[str, ...] = ("momentum_buffer",)

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0,
                 dampening: float = 0, nesterov: bool = False, weight_decay: float = 0) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)
        if not momentum:
            self.state_names = ()

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any) -> tuple[Any, dict]:
        h = self.hyper
        if h["weight_decay"] and not h["momentum"]:
            # p - lr * (g + wd * p), written as one scaled accumulator and one scaled
            # gradient, which the compiler folds with the gradient's matmul into one gemm
            return p * (1 - h["lr"] * h["weight_decay"]) - h["lr"] * g, {}
        if h["weight_decay"]:
            g = g + h["weight_decay"] * p
        new_state = {}
        if h["momentum"]:
            b = state["momentum_buffer"]
            if h["dampening"]:
                b = on_first_step(step, g, h["momentum"] * b + (1 - h["dampening"]) * g)
            else:  # the buffer starts at zero, so the first step's momentum * b + g is g
                b = h["momentum"] * b + g
            new_state["momentum_buffer"] = b
            g = g + h["momentum"] * b if h["nesterov"] else b
        return p - h["lr"] * g, new_state
