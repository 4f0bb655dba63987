"""RMSprop, PyTorch's: a running mean of squared gradients, optionally centered, with
momentum and (L2) weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphc.ops.elementwise import sqrt
from graphc.optim.optimizer import Optimizer


def check_hyper(optimizer: str, **values: float) -> None:
    """PyTorch's checks of optimizer settings: each named value must be >= 0."""
    for name, value in values.items():
        if not value >= 0:  # (also false for NaN)
            raise ValueError(f"{optimizer}: invalid {name.replace('_', ' ')} {value} (it "
                             "must be >= 0)")


class RMSprop(Optimizer):
    """PyTorch's update, per parameter p with gradient g:

        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g^2
        a = alpha * a + (1 - alpha) * g;  d = sqrt(v - a^2) + eps         (centered)
        d = sqrt(v) + eps                                                  (otherwise)
        b = momentum * b + g / d;  p = p - lr * b                          (momentum > 0)
        p = p - lr * g / d                                                 (otherwise)

    with each parameter group's values (see Optimizer). Unlike TensorFlow's RMSPropOptimizer
    (gc.train), eps is added outside the square root and v starts at 0."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0,
                 momentum: float = 0, centered: bool = False) -> None:
        check_hyper("RMSprop", learning_rate=lr, alpha=alpha, epsilon=eps,
                    weight_decay=weight_decay, momentum=momentum)
        super().__init__(params, lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                         momentum=momentum, centered=centered)
        self.state_names = self.group_state_names(self.defaults)

    def group_state_names(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("square_avg",) + (("momentum_buffer",) if group["momentum"] else ()) + \
            (("grad_avg",) if group["centered"] else ())

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        h = group
        alpha = h["alpha"]
        if h["weight_decay"]:
            g = g + h["weight_decay"] * p
        v = alpha * state["square_avg"] + (1 - alpha) * g * g
        new_state = {"square_avg": v}
        if h["centered"]:
            a = alpha * state["grad_avg"] + (1 - alpha) * g
            new_state["grad_avg"] = a
            v = v - a * a
        scaled = g / (sqrt(v) + h["eps"])
        if not h["momentum"]:
            return p - h["lr"] * scaled, new_state
        b = h["momentum"] * state["momentum_buffer"] + scaled
        new_state["momentum_buffer"] = b
        return p - h["lr"] * b, new_state
