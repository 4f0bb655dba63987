"""TensorFlow 1's moving averages: tf.train.ExponentialMovingAverage and
assign_moving_average, with TensorFlow's names, collections and formulas.

`ExponentialMovingAverage(decay).apply(var_list)` makes one shadow Variable per averaged
value, `<var>/ExponentialMovingAverage` (the average's `name`), not trainable, starting at
the Variable's initial value (a Tensor's shadow starts at 0), and returns an op that moves
each shadow toward its value:

    shadow -= (1 - decay) * (shadow - value)
    decay = min(decay, (1 + num_updates) / (10 + num_updates))   (when num_updates is given)

`decay` is computed in float32, as TensorFlow computes it, and cast to each shadow's dtype.
A run reads every Variable as it was at the start of the run (graphc's rule for all reads),
so `with tf.control_dependencies([train_op]): ema.apply(...)` averages in the values before
that run's update, and so does `tf.group(train_op, ema.apply(...))`. `zero_debias=True`
debiases the averages of Tensors (not Variables), as TensorFlow does, with two more
Variables per Tensor, `<shadow>/biased` and `<shadow>/local_step`.

The averaged Variables join the graph's "moving_average_variables" collection
(tf.GraphKeys.MOVING_AVERAGE_VARIABLES, read by tf.moving_average_variables()), and
`variables_to_restore()` maps the shadows' names to the Variables, so that
`tf.train.Saver(ema.variables_to_restore())` loads the averages into the model's Variables.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from graphc.dtypes import float32
from graphc.graph import Graph, Node, Tensor, get_default_graph
from graphc.ops.control import group
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import cast, minimum
from graphc.ops.constant import zeros_like
from graphc.variable_scope import absolute_name_scope
from graphc.variables import Variable, global_variables, trainable_variables

MOVING_AVERAGE_VARIABLES = "moving_average_variables"  # tf.GraphKeys' key

__all__ = ["ExponentialMovingAverage", "assign_moving_average", "moving_average_variables"]


def moving_average_variables(graph: Graph | None = None) -> list[Variable]:
    """The Variables an ExponentialMovingAverage averages, in the (default) graph's
    "moving_average_variables" collection (tf.moving_average_variables())."""
    return list((graph or get_default_graph()).collections.get(MOVING_AVERAGE_VARIABLES, ()))


def assign_moving_average(variable: Variable, value: Any, decay: Any, zero_debias: bool = True,
                          name: str | None = None) -> Tensor:
    """TensorFlow's assign_moving_average: `variable -= (variable - value) * (1 - decay)`,
    returned as the assignment. With `zero_debias`, the average is kept biased in
    `<variable>/biased` and divided by `1 - decay ** steps` (`<variable>/local_step`
    counts them), so an average that starts at 0 is not pulled toward it."""
    graph = variable.graph or get_default_graph()
    with graph.as_default():
        debias = _debias_variables(variable) if zero_debias else None
        with graph.name_scope(name or "AssignMovingAvg"):
            return _update(variable, value, decay, debias)


def _update(variable: Variable, value: Any, decay: Any,
            debias: tuple[Variable, Variable] | None) -> Tensor:
    """The assignment of `variable`'s new average (see assign_moving_average)."""
    graph = variable.graph
    value = convert_to_tensor(value, variable.dtype, graph, op="assign_moving_average")
    one_minus = 1.0 - _float_tensor(decay)
    if one_minus.dtype != variable.dtype:
        one_minus = cast(one_minus, variable.dtype)
    if debias is None:
        return variable.assign_sub((variable - value) * one_minus)
    biased, local_step = debias
    new_biased = biased - (biased - value) * one_minus
    new_step = local_step + 1
    unbiased = new_biased / (1 - (1 - one_minus) ** new_step)
    with graph.control_dependencies([biased.assign(new_biased),  # type: ignore[union-attr]
                                     local_step.assign(new_step)]):
        return variable.assign(unbiased)


def _debias_variables(variable: Variable) -> tuple[Variable, Variable]:
    """`variable`'s biased average and step count for zero debiasing, both starting at 0
    (TensorFlow's `<variable>/biased` and `<variable>/local_step`)."""
    base = variable.node.name
    with variable.graph.control_dependencies(None):  # type: ignore[union-attr]
        biased = Variable(np.zeros(variable.shape, variable.dtype.np), trainable=False,
                          name=f"{base}/biased")
        step = Variable(np.array(0, variable.dtype.np), trainable=False,
                        name=f"{base}/local_step")
    return biased, step


def _float_tensor(decay: Any) -> Tensor:
    """The decay as TensorFlow converts it: a Python number as a float32 constant, a tensor
    as it is."""
    return decay if isinstance(decay, Tensor) else convert_to_tensor(decay, float32, op="decay")


class ExponentialMovingAverage:
    """TensorFlow 1's tf.train.ExponentialMovingAverage: shadow Variables that follow the
    averaged values, `shadow -= (1 - decay) * (shadow - value)` each time the op that
    `apply` returns runs (see the module's docstring)."""

    def __init__(self, decay: Any, num_updates: Any = None, zero_debias: bool = False,
                 name: str = "ExponentialMovingAverage") -> None:
        self._decay = decay
        self._num_updates = num_updates
        self._zero_debias = zero_debias
        self._name = name
        self._averages: dict[Tensor, Variable] = {}
        self._debias: dict[Variable, tuple[Variable, Variable]] = {}

    @property
    def name(self) -> str:
        return self._name

    def apply(self, var_list: Iterable[Tensor] | None = None) -> Node:
        """An op that updates the average of each of `var_list` (default: the trainable
        Variables), making the shadow Variables on first use. Variables must be float."""
        values = trainable_variables() if var_list is None else list(var_list)
        for var in values:
            if not isinstance(var, Tensor):
                raise TypeError(f"ExponentialMovingAverage.apply: {var!r} is not a Variable or "
                                "a Tensor")
            if not var.dtype.is_floating:
                raise TypeError(f"The variables must be half, float, or double: {var.name}")
        graph = values[0].graph if values and values[0].graph else get_default_graph()
        with graph.as_default():
            for var in values:
                if var not in self._averages:
                    self._averages[var] = self._shadow(var, graph)
            with graph.name_scope(self._name):
                decay = _float_tensor(self._decay)
                if self._num_updates is not None:
                    steps = cast(convert_to_tensor(self._num_updates, op="num_updates"),
                                 float32, name="num_updates")
                    ramp = (1.0 + steps) / (10.0 + steps)
                    decay = minimum(decay, ramp if ramp.dtype == decay.dtype
                                    else cast(ramp, decay.dtype))
                updates = [_update(self._averages[v], v, decay,
                                   self._debias.get(self._averages[v])) for v in values]
            return group(updates, name=self._name)

    def _shadow(self, var: Tensor, graph: Graph) -> Variable:
        """The shadow of `var`: a Variable's starts at its initial value and the Variable
        joins MOVING_AVERAGE_VARIABLES; a Tensor's starts at 0. Its name ignores the open
        name scopes, as TensorFlow's does (a checkpoint restores it by that name)."""
        with graph.control_dependencies(None), absolute_name_scope(graph, ""):
            if isinstance(var, Variable):
                shadow = Variable(var.initial_value, trainable=False,
                                  name=f"{var.node.name}/{self._name}")
                graph.collections.setdefault(MOVING_AVERAGE_VARIABLES, []).append(var)
            else:
                if var.shape is None or None in var.shape:
                    raise ValueError(f"ExponentialMovingAverage.apply: the shape of "
                                     f"'{var.name}' must be fully known to average it")
                shadow = Variable(zeros_like(var), trainable=False,
                                  name=f"{var.node.name}/{self._name}")
                if self._zero_debias:
                    self._debias[shadow] = _debias_variables(shadow)
        return shadow

    def average(self, var: Tensor) -> Variable | None:
        """The shadow Variable of `var`, or None if `apply` has not averaged it."""
        return self._averages.get(var)

    def average_name(self, var: Tensor) -> str:
        """The name of `var`'s shadow Variable: `<var>/<name>` (the one it has once made)."""
        if var in self._averages:
            return self._averages[var].node.name
        graph = var.graph or get_default_graph()
        base = name = f"{var.node.name}/{self._name}"
        count = 0
        while _has_node(graph, name):
            count += 1
            name = f"{base}_{count}"
        return name

    def variables_to_restore(self, moving_avg_variables: Iterable[Variable] | None = None
                             ) -> dict[str, Variable]:
        """The map a Saver restores the averages with: each averaged Variable (default: the
        trainable ones and MOVING_AVERAGE_VARIABLES) under its shadow's name, every other
        Variable under its own name."""
        if moving_avg_variables is None:
            moving_avg_variables = trainable_variables() + moving_average_variables()
        averaged = list(dict.fromkeys(moving_avg_variables))
        name_map = {self.average_name(v): v for v in averaged}
        names = {v.name for v in averaged}
        for v in global_variables():
            if v.name not in names and v.node.name not in name_map:
                name_map[v.node.name] = v
        return name_map


def _has_node(graph: Graph, name: str) -> bool:
    try:
        graph.get_node(name)
    except KeyError:
        return False
    return True
