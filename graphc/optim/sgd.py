"""Stochastic gradient descent, with PyTorch's momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphc.optim.optimizer import Optimizer, on_first_step


def descend(p: Any, g: Any, lr: Any, buffer: Any = None, momentum: Any = 0,
            nesterov: bool = False) -> tuple[Any, Any]:
    """Gradient descent, plain or with (heavy-ball or Nesterov) momentum in a buffer that
    starts at zero; returns the new p and the new buffer (None without one):

        p = p - lr * g                                           (no buffer)
        b = b * momentum + g
        p = p - lr * (g + momentum * b) if nesterov else p - lr * b

    PyTorch's SGD without dampening and weight decay (its first step's b = g is b * m + g
    with b = 0), TensorFlow's GradientDescentOptimizer and its MomentumOptimizer (whose
    `var -= lr * grad + lr * momentum * accum` is the Nesterov line) are this one formula.
    Written as a scaled accumulator plus a gradient, so the compiler folds a gradient that is
    a matmul into one gemm (matmul_add), in place in the buffer or the parameter."""
    if buffer is None:
        return p - lr * g, None
    b = buffer * momentum + g
    return (p - lr * (g + momentum * b) if nesterov else p - lr * b), b


class SGD(Optimizer):
    """PyTorch's update, per parameter p with gradient g:

        g = g + weight_decay * p
        b = g on the first step, else momentum * b + (1 - dampening) * g   (if momentum)
        g = g + momentum * b if nesterov else b                            (if momentum)
        p = p - lr * g

    with each parameter group's values (see Optimizer)."""

    state_names: tuple[str, ...] = ("momentum_buffer",)
    counts_steps = False  # PyTorch's SGD state is the momentum buffer alone

    def __init__(self, params: Iterable[Any], lr: float, momentum: float = 0,
                 dampening: float = 0, nesterov: bool = False, weight_decay: float = 0) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening,
                         nesterov=nesterov, weight_decay=weight_decay)
        self.state_names = self.group_state_names(self.defaults)

    def group_state_names(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] else ()

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        h = group
        if h["weight_decay"]:  # (PyTorch's rounding: p * (1 - lr * wd) would lose small
            # decays in float32, where 1 - lr * wd rounds to 1)
            g = g + h["weight_decay"] * p
        if not h["momentum"]:
            return descend(p, g, h["lr"])[0], {}
        b = state["momentum_buffer"]
        if h["dampening"]:  # (never with Nesterov)
            b = on_first_step(step, g, h["momentum"] * b + (1 - h["dampening"]) * g)
            return p - h["lr"] * b, {"momentum_buffer": b}
        new_p, b = descend(p, g, h["lr"], b, h["momentum"], h["nesterov"])
        return new_p, {"momentum_buffer": b}
