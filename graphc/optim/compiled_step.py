"""An optimizer's eager step as one graph run: the update rule (Optimizer.update, the one
definition both modes use) built once into a graph over placeholders for a group's
parameters, gradients, state buffers and step numbers, and run by a Session.

Eagerly, a rule is a dozen ops a parameter, each a Python dispatch and an array pass (Adam:
13). As a graph, the compiler fuses each parameter's update into one loop, and the run
goes through the Session's tiers: the numpy references first, machine code once the steps
have taken a second (GRAPHC_COMPILE). The numbers are the eager rule's: the same ops in the
same order, each rounded to its dtype.

A graph bakes in the group's hyperparameters as they are (as minimize does), so it is made
again when they change; an optimizer whose hyperparameters change more often than
REBUILDS times (a learning rate set every step) goes back to the eager ops, as do
parameters off the CPU and anything the graph cannot be built for.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from graphc.dtypes import float64
from graphc.graph import Graph
from graphc.ops.state import placeholder

REBUILDS = 8


class CompiledSteps:
    """The graphs an optimizer's eager steps run, by what they were built for."""

    def __init__(self, update: Callable[..., tuple[Any, dict[str, Any]]]) -> None:
        self.update = update  # Optimizer.update
        # key -> (the run, each parameter's new state names), or None: the eager ops
        self.runs: dict[tuple[Any, ...], tuple[Callable[..., Any], list[list[str]]] | None] = {}
        self.enabled = True

    def run(self, params: Sequence[Any], states: Sequence[dict[str, Any]],
            counts: Sequence[int], group: Mapping[str, Any]
            ) -> list[tuple[np.ndarray, dict[str, np.ndarray]]] | None:
        """Each parameter's new value and new state buffers (fresh arrays), or None where
        the eager ops must do it (see the module docstring)."""
        if not self.enabled or not params:
            return None
        arrays = [a for p, s in zip(params, states)
                  for a in (p.array, p.grad.array, *(s[n].array for n in sorted(s)))]
        if not all(type(a) is np.ndarray for a in arrays):
            return None
        key = (repr(sorted((k, v) for k, v in group.items() if k != "params")),
               *[(p.array.shape, p.array.dtype, p.grad.array.dtype,
                  *((n, s[n].array.dtype) for n in sorted(s))) for p, s in zip(params, states)])
        if key not in self.runs:
            if len(self.runs) >= REBUILDS:
                self.enabled = False  # (its hyperparameters keep changing)
                return None
            self.runs[key] = self._build(params, states, group)
        built = self.runs[key]
        if built is None:
            return None
        run, names = built
        values = iter(run(*arrays, *(np.array(c, np.float64) for c in counts)))
        return [(next(values), {n: next(values) for n in own}) for own in names]

    def _build(self, params: Sequence[Any], states: Sequence[dict[str, Any]],
               group: Mapping[str, Any]
               ) -> tuple[Callable[..., Any], list[list[str]]] | None:
        from graphc.session import Session  # (optim sits below session in graphc's layers)

        graph = Graph()
        feeds, steps, outputs, names = [], [], [], []
        try:
            with graph.as_default():
                for p, state in zip(params, states):
                    value = placeholder(p.dtype, p.shape)
                    grad = placeholder(p.grad.dtype, p.shape)
                    buffers = {n: placeholder(state[n].dtype, state[n].shape)
                               for n in sorted(state)}
                    step = placeholder(float64, ())
                    new_p, new_state = self.update(value, grad, dict(buffers), step, group)
                    feeds += [value, grad, *buffers.values()]
                    steps.append(step)
                    outputs += [new_p, *(new_state[n] for n in sorted(new_state))]
                    names.append(sorted(new_state))
        except (TypeError, ValueError):
            return None  # (the eager ops raise the error, naming the user's line)
        return Session(graph).make_callable(outputs, feeds + steps), names
