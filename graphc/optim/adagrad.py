"""Adagrad, PyTorch's: a running sum of squared gradients, with learning-rate decay and (L2)
weight decay."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from graphc.eager.tensor import Tensor
from graphc.nn.parameter import Parameter
from graphc.ops.elementwise import sqrt
from graphc.optim.optimizer import Optimizer, rounded
from graphc.optim.rmsprop import check_hyper
from graphc.runtime.arrays import full_like


class Adagrad(Optimizer):
    """PyTorch's update at step t, per parameter p with gradient g:

        g = g + weight_decay * p
        s = s + g^2                       (s starts at initial_accumulator_value)
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)

    with each parameter group's values (see Optimizer). Unlike TensorFlow's AdagradOptimizer
    (gc.train: s starts at 0.1, no eps), as PyTorch."""

    state_names = ("sum",)

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10) -> None:
        check_hyper("Adagrad", learning_rate=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                    initial_accumulator_value=initial_accumulator_value, epsilon=eps)
        super().__init__(params, lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                         initial_accumulator_value=initial_accumulator_value, eps=eps)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """As Optimizer's; and, as PyTorch's, the group's sums exist from the start, filled
        with its initial_accumulator_value (step() keeps state it finds)."""
        super().add_param_group(param_group)
        group = self.param_groups[-1]
        for p in group["params"]:
            if isinstance(p, Parameter):
                self.state[id(p)] = {"sum": Tensor(full_like(
                    p.array, self.initial_value("sum", group)))}

    def initial_value(self, name: str, group: Mapping[str, Any]) -> float:
        """The sum starts at the group's initial_accumulator_value (in graphs too)."""
        return group["initial_accumulator_value"] if name == "sum" else 0.0

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        h = group
        if h["weight_decay"]:
            g = g + h["weight_decay"] * p
        s = state["sum"] + g * g
        lr = rounded(p, h["lr"] / (1 + (step - 1) * h["lr_decay"])) if h["lr_decay"] \
            else h["lr"]
        return p - lr * (g / (sqrt(s) + h["eps"])), {"sum": s}  # (PyTorch's order)
