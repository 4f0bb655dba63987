"""Optimizer: one update rule per optimizer, run eagerly by step() or built into a graph by
minimize(loss); and the plumbing that builds an update rule into a graph (state Variables, the
step count, one assignment per value), which gc.train's TensorFlow optimizers share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from graphc.dtypes import DType
from graphc.eager.tape import no_grad
from graphc.eager.tensor import Tensor
from graphc.graph import Node, Tensor as GraphTensor
from graphc.nn.parameter import Parameter
from graphc.ops.control import group
from graphc.ops.elementwise import equal, where
from graphc.passes.autodiff import gradients
from graphc.runtime.arrays import full_like, write_into
from graphc.variables import Variable


def on_first_step(step: Any, first: Any, otherwise: Any) -> Any:
    """`first` on step 1, else `otherwise`; `step` is an int (eager) or a graph tensor (whose
    `==` is identity, as in TensorFlow 1, so the comparison is an op)."""
    if isinstance(step, int):
        return first if step == 1 else otherwise
    return where(equal(step, 1), first, otherwise)


# An update rule: (parameter, gradient, state by name, step) -> (the new parameter value, the
# new state values by name), written with op functions, so that one rule runs eagerly (on eager
# tensors, `step` an int) and builds graphs (on graph tensors, `step` a scalar tensor)
UpdateRule = Callable[[Any, Any, dict[str, Any], Any], tuple[Any, dict[str, Any]]]


def state_variable(var: Variable, name: str, value: float = 0.0) -> Variable:
    """A non-trainable Variable shaped like `var`, filled with `value` by its initializer:
    one buffer of an optimizer's state (a moment, an accumulator) for `var`."""
    return Variable(np.full(var.shape, value, var.dtype.np), name=name, trainable=False)


def step_count(dtype: DType, name: str = "step") -> Variable:
    """A scalar Variable counting the updates applied (0 before the first): a run that
    applies one takes step number `count + 1`, which the update rules get, and assigns it."""
    return Variable(np.array(0, dtype.np), name=name, trainable=False)


def update_assignments(grads_and_vars: Iterable[tuple[Any, Variable]], update: UpdateRule,
                       state_of: Callable[[Variable], dict[str, Variable]],
                       step: Any = None) -> list[GraphTensor]:
    """The assignments that apply `update` once to each variable with a gradient (None
    gradients are skipped): the variable's new value, and each state Variable's
    (`state_of(var)`, by name) that the rule returns. A run reads every value as it was
    when the run started, so the rules see the state before this step."""
    assignments = []
    for g, var in grads_and_vars:
        if g is None:
            continue
        buffers = state_of(var)
        new_p, new_state = update(var, g, dict(buffers), step)
        assignments.append(var.assign(new_p))
        assignments += [buffers[n].assign(v) for n, v in new_state.items()]
    return assignments


class Optimizer:
    """Base class: subclasses define `state_names` and `update(p, g, state, step)`, which
    returns the new parameter value and the new state values, written with op functions.

    `params` are nn Parameters (trained eagerly by step() or in a graph by minimize) or
    graph Variables (gc.Variable, trained by minimize only)."""

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter | Variable], **hyper: Any) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        for p in self.params:
            if not isinstance(p, Parameter | Variable):
                raise TypeError(f"{type(self).__name__} optimizes nn Parameters, got "
                                f"{type(p).__name__} (graph Variables, gc.Variable, are "
                                "accepted too)")
        self.hyper = hyper
        self.state: dict[int, dict[str, Tensor]] = {}
        self.steps = 0
        # updates applied to each parameter (by id): as PyTorch's per-parameter state
        # "step", it counts only the steps where the parameter had a gradient
        self.param_steps: dict[int, int] = {}

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any) -> tuple[Any, dict]:
        raise NotImplementedError

    # -- eager -----------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's gradient to None (graph Variables have none)."""
        for p in self.params:
            if isinstance(p, Parameter):
                p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        params = []
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__}.step() updates nn Parameters eagerly; "
                                f"graph Variable '{p.node.name}' is trained by the op "
                                "minimize(loss) returns, run in a Session")
            params.append(p)
        self.steps += 1
        with no_grad():
            for p in params:
                if p.grad is None:
                    continue
                state = self.state.get(id(p))
                if state is None:  # the first step: zero buffers, made once per parameter
                    state = self.state[id(p)] = {name: Tensor(full_like(p.array, 0))
                                                 for name in self.state_names}
                count = self.param_steps[id(p)] = self.param_steps.get(id(p), 0) + 1
                new_p, new_state = self.update(p, p.grad, state, count)
                write_into(p.array, new_p.array)
                p._version[0] += 1
                state.update(new_state)

    # -- static ----------------------------------------------------------------------------
    def minimize(self, loss: Any, name: str | None = None,
                 process_gradients: Callable[[list[Any]], list[Any]] | None = None) -> Node:
        """An op that, run in a Session, applies one update (TensorFlow style). Its state
        (moment buffers, the step count) lives in Variables that global_variables_initializer()
        sets. `process_gradients` maps the list of gradients (one per parameter, None where
        the loss does not depend on it) to the gradients the update uses
        (graphc.distributed.DistributedOptimizer allreduces them)."""
        graph = loss.graph
        label = name or type(self).__name__
        with graph.as_default(), graph.name_scope(label):
            variables = [self._variable(p, graph) for p in self.params]
            grads = gradients(loss, variables)
            if process_gradients is not None:
                grads = list(process_gradients(list(grads)))
            count = step_count(loss.dtype)
            step = count + 1
            updates = [count.assign(step)]
            updates += update_assignments(zip(grads, variables), self.update,
                                          self._state_variables, step)
            return group(updates, name="update")

    def _variable(self, p: Parameter | Variable, graph: Any) -> Variable:
        """The Variable that `p` is in `graph`: a Parameter's bound Variable, or `p` itself."""
        if isinstance(p, Parameter):
            return p.variable(graph)
        if p.graph is not graph:
            raise ValueError(f"{type(self).__name__}.minimize: Variable '{p.node.name}' is not "
                             "in the loss's graph")
        return p

    def _state_variables(self, var: Variable) -> dict[str, Variable]:
        """Fresh zero buffers for `var`, one per state name (made by each minimize)."""
        short = var.node.name.rsplit("/", 1)[-1]
        return {n: state_variable(var, f"{short}_{n}") for n in self.state_names}
