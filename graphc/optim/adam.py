"""Adam, with PyTorch's bias correction and (L2) weight decay, and AdamW, the same update
with decoupled weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphc.ops.elementwise import sqrt
from graphc.optim.optimizer import Optimizer, rounded


class Adam(Optimizer):
    """PyTorch's update at step t, per parameter p with gradient g:

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g^2
        p = p - lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

    with each parameter group's values (see Optimizer), in PyTorch's order of operations:
    v adds ((1 - beta2) * g) * g, and the last line is computed as the scalars
    lr / (1 - beta1^t) and (1 - beta2^t)^0.5, once, in float64 (see optimizer.rounded), then
    p - step_size * (m / (sqrt(v) / (1 - beta2^t)^0.5 + eps)): two divisions an element
    rather than three (division and square root bound this loop's speed)."""

    state_names = ("exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        return adam_step(p, g, state, step, group)


class AdamW(Adam):
    """PyTorch's AdamW: Adam (adam_step) with decoupled weight decay, which shrinks the
    parameter rather than adding to its gradient:

        p = p * (1 - lr * weight_decay)
        p = the Adam update of p, with gradient g (no L2 term)

    weight_decay defaults to 0.01, as PyTorch's."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        if group["weight_decay"]:
            p = p * (1 - group["lr"] * group["weight_decay"])
        return adam_step(p, g, state, step, group)


def adam_step(p: Any, g: Any, state: dict[str, Any], step: Any,
              h: Mapping[str, Any]) -> tuple[Any, dict]:
    """The Adam update of p with gradient g at step `step` (Adam's docstring has the
    formula and the order of operations): the new p and the new moments."""
    beta1, beta2 = h["betas"]
    m = beta1 * state["exp_avg"] + (1 - beta1) * g
    v = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
    step_size = rounded(p, h["lr"] / (1 - beta1 ** step))
    denominator = sqrt(v) / rounded(p, (1 - beta2 ** step) ** 0.5) + h["eps"]
    return p - step_size * (m / denominator), {"exp_avg": m, "exp_avg_sq": v}
