"""Adadelta, PyTorch's: step sizes from running means of squared gradients and of squared
updates, with (L2) weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphc.ops.elementwise import sqrt
from graphc.optim.optimizer import Optimizer
from graphc.optim.rmsprop import check_hyper


class Adadelta(Optimizer):
    """PyTorch's update, per parameter p with gradient g:

        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g^2
        d = sqrt(u + eps) / sqrt(v + eps) * g
        u = rho * u + (1 - rho) * d^2
        p = p - lr * d

    with v and u starting at 0 and each parameter group's values (see Optimizer)."""

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9,
                 eps: float = 1e-6, weight_decay: float = 0) -> None:
        check_hyper("Adadelta", learning_rate=lr, epsilon=eps, weight_decay=weight_decay)
        if not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: invalid rho value: {rho} (it must be in [0, 1])")
        super().__init__(params, lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        self.state_names = ("square_avg", "acc_delta")

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        v = rho * state["square_avg"] + (1 - rho) * g * g
        d = sqrt(state["acc_delta"] + eps) / sqrt(v + eps) * g
        u = rho * state["acc_delta"] + (1 - rho) * d * d
        return p - group["lr"] * d, {"square_avg": v, "acc_delta": u}
