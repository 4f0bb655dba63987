"""torch.nn.utils: clipping parameters' gradients in place (eager .grad tensors)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from graphc.eager.defaults import get_default_dtype
from graphc.eager.reductions import norm
from graphc.eager.tape import no_grad
from graphc.eager.tensor import Tensor
from graphc.ops.elementwise import abs as abs_
from graphc.ops.array import stack
from graphc.ops.elementwise import cast, minimum
from graphc.ops.operators import clamp
from graphc.ops.reduce import reduce_sum

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    """The .grad of each parameter that has one."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _norm(g: Any, p: float) -> Any:
    """The vector p-norm of all of g's elements: the eager norm's for p = 2, 1 and inf;
    sum(|g|^p)^(1/p) for the other p clip_grad_norm_ takes, as PyTorch's."""
    if p in (2, 1, math.inf):
        return norm(g, p)
    return reduce_sum(abs_(g) ** p) ** (1.0 / p)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float,
                    norm_type: float = 2.0, error_if_nonfinite: bool = False,
                    foreach: Any = None) -> Tensor:
    """Scale the gradients, in place, so that their total norm (the norm_type-norm of all
    of them together, as one vector; inf for the largest magnitude) is at most max_norm:
    each is multiplied by min(max_norm / (total + 1e-6), 1), as PyTorch does. Returns the
    total norm before clipping, a 0-d tensor (0 when no parameter has a gradient)."""
    grads, p = _grads(parameters), float(norm_type)
    if not grads:
        return Tensor(np.array(0.0, get_default_dtype().np))
    with no_grad():
        dtype = grads[0].dtype
        norms = [cast(n, dtype) if n.dtype != dtype else n for n in (_norm(g, p) for g in grads)]
        total = _norm(stack(norms), p)  # as PyTorch's: the norm of the gradients' norms
        if error_if_nonfinite and not math.isfinite(float(total)):
            raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                               "`parameters` is non-finite, so it cannot be clipped. To "
                               "disable this error and scale the gradients by the non-finite "
                               "norm anyway, set `error_if_nonfinite=False`")
        coefficient = minimum(max_norm / (total + 1e-6), 1.0)
        for g in grads:
            g.mul_(coefficient if coefficient.dtype == g.dtype else cast(coefficient, g.dtype))
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float,
                     foreach: Any = None) -> None:
    """Clamp every gradient, in place, to [-clip_value, clip_value]."""
    value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.copy_(clamp(g, -value, value))
