"""Optimizer: one update rule per optimizer, run eagerly by step() or built into a graph by
minimize(loss)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from graphc.eager.tape import no_grad
from graphc.eager.tensor import Tensor
from graphc.graph import Node
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


class Optimizer:
    """Base class: subclasses define `state_names` and `update(p, g, state, step)`, which
    returns the new parameter value and the new state values, written with op functions."""

    state_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Parameter], **hyper: Any) -> None:
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__} optimizes nn Parameters, got "
                                f"{type(p).__name__}")
        self.hyper = hyper
        self.state: dict[int, dict[str, Tensor]] = {}
        self.steps = 0

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any) -> tuple[Any, dict]:
        raise NotImplementedError

    # -- eager -----------------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Set every parameter's gradient to None."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        self.steps += 1
        with no_grad():
            for p in self.params:
                if p.grad is None:
                    continue
                state = self.state.get(id(p))
                if state is None:  # the first step: zero buffers, made once per parameter
                    state = self.state[id(p)] = {name: Tensor(full_like(p.data, 0))
                                                 for name in self.state_names}
                new_p, new_state = self.update(p, p.grad, state, self.steps)
                write_into(p.data, new_p.data)
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
            variables = [p.variable(graph) for p in self.params]
            grads = gradients(loss, variables)
            if process_gradients is not None:
                grads = list(process_gradients(list(grads)))
            count = Variable(np.array(0, loss.dtype.np), name="step", trainable=False)
            step = count + 1
            updates = [count.assign(step)]
            for var, g in zip(variables, grads):
                if g is None:
                    continue
                buffers = {n: Variable(np.zeros(var.shape, var.dtype.np), trainable=False,
                                       name=f"{var.node.name.rsplit('/', 1)[-1]}_{n}")
                           for n in self.state_names}
                new_p, new_state = self.update(var, g, dict(buffers), step)
                updates.append(var.assign(new_p))
                updates += [buffers[n].assign(v) for n, v in new_state.items()]
            return group(updates, name="update")
