"""TensorFlow 1's learning-rate schedules (tf.train.exponential_decay and its kin): graph
tensors computed from the global step, which an optimizer takes as its learning rate.

Each follows TensorFlow 1's formula and dtype rule: the learning rate becomes a tensor (a
Python number a float32 one), and the step, decay_steps and decay_rate are cast to its dtype
before any arithmetic, so `exponential_decay(0.1, step, 100, 0.5)` is float32 as in
TensorFlow. The result is named `name` (else the schedule's TensorFlow name, such as
"ExponentialDecay"), and the ops that compute it sit in a name scope of the TensorFlow name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from graphc.dtypes import DType
from graphc.graph import Graph, Tensor, get_default_graph
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import (add, cast, divide, exp, greater, less_equal, maximum,
                                    minimum, multiply, negative, pow, subtract, where)

__all__ = ["exponential_decay", "inverse_time_decay", "natural_exp_decay",
           "piecewise_constant", "polynomial_decay"]


@contextlib.contextmanager
def _scope(name: str | None, default: str, *values: Any) -> Iterator[Graph]:
    """The graph of the first tensor among `values` (else the default one), as the default
    graph, inside the name scope `name or default`."""
    graph = next((v.graph for v in values if isinstance(v, Tensor) and v.graph is not None),
                 None) or get_default_graph()
    with graph.as_default(), graph.name_scope(name or default):
        yield graph


def _rate(value: Any, function: str) -> Tensor:
    """The learning rate as a floating-point tensor: a Python number becomes float32 (as
    TensorFlow converts it), a numpy scalar keeps its dtype."""
    if not isinstance(value, Tensor):
        array = np.asarray(value)
        if not isinstance(value, np.ndarray | np.generic) and array.dtype.kind in "iuf":
            array = array.astype(np.float32)
        value = convert_to_tensor(array, op=function)
    if not value.dtype.is_floating:
        raise TypeError(f"{function}: learning_rate must be a floating-point number or "
                        f"tensor, got {value.dtype.name}")
    if value.shape is not None and value.shape != ():
        raise ValueError(f"{function}: learning_rate must be a scalar, got shape {value.shape}")
    return value


def _as(value: Any, dtype: DType, function: str, what: str) -> Any:
    """A step count or decay parameter in the learning rate's dtype: a tensor cast to it, a
    number as is (the op's constant takes the dtype)."""
    if value is None:
        raise ValueError(f"{what} is required for {function}.")
    if isinstance(value, Tensor):
        if value.dtype.is_bool:
            raise TypeError(f"{function}: {what} must be a number, got a bool tensor")
        return value if value.dtype == dtype else cast(value, dtype)
    return np.asarray(value).astype(dtype.np)


def _floor(x: Tensor) -> Tensor:
    """floor(x) for a floating tensor, from casts (graphc has no floor op): truncation
    toward zero, less one where that rounded a negative value up."""
    truncated = cast(cast(x, "int64"), x.dtype)
    return where(greater(truncated, x), truncated - 1, truncated)


def _progress(global_step: Any, decay_steps: Any, staircase: bool, dtype: DType,
              function: str) -> Tensor:
    """global_step / decay_steps in `dtype`, floored when `staircase`."""
    p = divide(_as(global_step, dtype, function, "global_step"),
               _as(decay_steps, dtype, function, "decay_steps"))
    return _floor(p) if staircase else p


def _schedule(function: str, default: str, learning_rate: Any, global_step: Any,
              name: str | None, build: Any) -> Tensor:
    """The schedule `build(lr)` returns as (a, b, combine): its inner ops in the name scope
    `default` (graphc does not number scopes), and the result `combine(a, b)` named `name`
    (else `default`) beside it, as TensorFlow names it."""
    if global_step is None:
        raise ValueError(f"global_step is required for {function}.")
    with _scope(None, default, global_step, learning_rate) as graph:
        lr = _rate(learning_rate, function)
        a, b, combine = build(lr)
    with graph.as_default():
        return combine(a, b, name=name or default)


def exponential_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                      decay_rate: Any, staircase: bool = False,
                      name: str | None = None) -> Tensor:
    """learning_rate * decay_rate ^ (global_step / decay_steps); with `staircase` the
    exponent is floored, so the rate drops by decay_rate every decay_steps steps."""
    function = "exponential_decay"

    def build(lr: Tensor) -> tuple[Any, Any, Any]:
        p = _progress(global_step, decay_steps, staircase, lr.dtype, function)
        return lr, pow(_as(decay_rate, lr.dtype, function, "decay_rate"), p), multiply
    return _schedule(function, "ExponentialDecay", learning_rate, global_step, name, build)


def natural_exp_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                      decay_rate: Any, staircase: bool = False,
                      name: str | None = None) -> Tensor:
    """learning_rate * exp(-decay_rate * global_step / decay_steps) (the quotient floored
    with `staircase`)."""
    function = "natural_exp_decay"

    def build(lr: Tensor) -> tuple[Any, Any, Any]:
        p = _progress(global_step, decay_steps, staircase, lr.dtype, function)
        rate = _as(decay_rate, lr.dtype, function, "decay_rate")
        return lr, exp(negative(multiply(rate, p))), multiply
    return _schedule(function, "NaturalExpDecay", learning_rate, global_step, name, build)


def inverse_time_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                       decay_rate: Any, staircase: bool = False,
                       name: str | None = None) -> Tensor:
    """learning_rate / (1 + decay_rate * global_step / decay_steps) (the quotient floored
    with `staircase`)."""
    function = "inverse_time_decay"

    def build(lr: Tensor) -> tuple[Any, Any, Any]:
        p = _progress(global_step, decay_steps, staircase, lr.dtype, function)
        rate = _as(decay_rate, lr.dtype, function, "decay_rate")
        return lr, add(1, multiply(rate, p)), divide
    return _schedule(function, "InverseTimeDecay", learning_rate, global_step, name, build)


def polynomial_decay(learning_rate: Any, global_step: Any, decay_steps: Any,
                     end_learning_rate: Any = 0.0001, power: Any = 1.0, cycle: bool = False,
                     name: str | None = None) -> Tensor:
    """(learning_rate - end_learning_rate) * (1 - step / decay_steps) ^ power +
    end_learning_rate, where step = min(global_step, decay_steps); with `cycle`, decay_steps
    is instead multiplied by ceil(global_step / decay_steps) (1 at step 0), so the decay
    restarts from learning_rate every decay_steps steps."""
    function = "polynomial_decay"

    def build(lr: Tensor) -> tuple[Any, Any, Any]:
        dtype = lr.dtype
        step = _as(global_step, dtype, function, "global_step")
        steps = _as(decay_steps, dtype, function, "decay_steps")
        end = _as(end_learning_rate, dtype, function, "end_learning_rate")
        if cycle:
            ceiling = negative(_floor(negative(divide(step, steps))))
            steps = multiply(steps, maximum(ceiling, 1))  # the ceiling is 0 only at step 0
        else:
            step = minimum(step, steps)
        remaining = pow(subtract(1, divide(step, steps)), _as(power, dtype, function, "power"))
        return multiply(subtract(lr, end), remaining), end, add
    return _schedule(function, "PolynomialDecay", learning_rate, global_step, name, build)


def piecewise_constant(x: Any, boundaries: Sequence[Any], values: Sequence[Any],
                       name: str | None = None) -> Tensor:
    """values[0] where x <= boundaries[0], values[i] where boundaries[i-1] < x <=
    boundaries[i], values[-1] where x > boundaries[-1]; the boundaries take x's dtype and
    the values must share one dtype."""
    function = "piecewise_constant"
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values "
                         f"(piecewise_constant: {len(boundaries)} boundaries, "
                         f"{len(values)} values)")
    with _scope(name, "PiecewiseConstant", x, *values):
        x = convert_to_tensor(x, op=function)
        bounds = [b if isinstance(b, Tensor) else convert_to_tensor(b, x.dtype, op=function)
                  for b in boundaries]
        tensors = [v if isinstance(v, Tensor) else convert_to_tensor(v, op=function)
                   for v in values]
        for b in bounds:
            if b.dtype != x.dtype:
                raise ValueError(f"{function}: boundaries ({b.dtype.name}) must have the "
                                 f"dtype of x ({x.dtype.name})")
        dtypes = {v.dtype.name for v in tensors}
        if len(dtypes) > 1:
            raise ValueError(f"{function}: values must have elements all with the same "
                             f"dtype; got {', '.join(v.dtype.name for v in tensors)}")
        result = tensors[-1]
        for bound, value in zip(reversed(bounds), reversed(tensors[:-1])):
            result = where(less_equal(x, bound), value, result)
        return result
