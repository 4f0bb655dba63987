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

REBUILDS = 8  # graphs a parameter group may need before its steps go back to eager ops


class CompiledSteps:
    """The graphs an optimizer's eager steps run, by parameter group and what they were
    built for."""

    def __init__(self, update: Callable[..., tuple[Any, dict[str, Any]]],
                 enabled: bool = True) -> None:
        self.update = update  # Optimizer.update
        # (group, key) -> (the run, each parameter's new state names), or None: eager ops
        self.runs: dict[tuple[int, Any], tuple[Callable[..., Any], list[list[str]]] | None] = {}
        self.built: dict[int, int] = {}  # graphs built, by group
        self.enabled = enabled

    def run(self, params: Sequence[Any], states: Sequence[dict[str, Any]],
            counts: Sequence[int], group: Mapping[str, Any]
            ) -> list[tuple[np.ndarray, dict[str, np.ndarray]]] | None:
        """Each parameter's new value and new state buffers (arrays of their own), or None
        where the eager ops must do it (see the module docstring)."""
        if not self.enabled or not params or self.built.get(id(group), 0) > REBUILDS:
            return None
        hyperparameters = _plain(tuple(sorted((k, v) for k, v in group.items()
                                              if k != "params")))
        if hyperparameters is None:
            return None
        arrays = [a for p, s in zip(params, states)
                  for a in (p.array, p.grad.array, *(s[n].array for n in sorted(s)))]
        if not all(type(a) is np.ndarray for a in arrays):
            return None
        key = (id(group), hyperparameters,
               *[(p.array.shape, p.array.dtype, p.grad.array.shape, p.grad.array.dtype,
                  *((n, s[n].array.dtype) for n in sorted(s))) for p, s in zip(params, states)])
        if key not in self.runs:
            self.built[id(group)] = self.built.get(id(group), 0) + 1
            if self.built[id(group)] > REBUILDS:  # (its hyperparameters keep changing)
                for old in [k for k in self.runs if k[0] == id(group)]:
                    del self.runs[old]
                return None
            self.runs[key] = self._build(params, states, group)
        built = self.runs[key]
        if built is None:
            return None
        run, names = built
        values = iter([np.asarray(v) for v in  # (a 0-d result comes back a numpy scalar)
                       run(*arrays, *(np.array(c, np.float64) for c in counts))])
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
                    grad = placeholder(p.grad.dtype, p.grad.shape)
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


def _plain(value: Any) -> Any:
    """A hyperparameter value as a key when it is built of Python's own numbers, bools,
    strings and None (a graph bakes in exactly what the eager ops would compute with), else
    None: numpy scalars round in their own dtype, arrays print only 8 digits."""
    if type(value) in (int, float, bool, str) or value is None:
        return value if value is not None else ("None",)
    if type(value) in (tuple, list):
        items = [_plain(v) for v in value]
        return None if any(i is None for i in items) else (type(value).__name__, *items)
    return None
