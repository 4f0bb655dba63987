"""gc.train: TensorFlow 1's training API (tf.train): its optimizers, with TensorFlow's update
formulas, minimize / compute_gradients / apply_gradients, slots and the global step.

An optimizer builds its update into the graph with graphc.optim's plumbing (state Variables,
the step count, one group of assignments), under TensorFlow's names: the slots of a variable
`w` are `w/Adam`, `w/Adam_1`, ..., created once per variable and optimizer, and
`global_variables_initializer()` sets them. Where TensorFlow's formula is PyTorch's
(GradientDescent, Momentum), the math is graphc.optim.sgd.descend; Adam, RMSProp and Adagrad
are TensorFlow's own (Adam's epsilon, for one, is not PyTorch's).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np

from graphc.checkpoint_state import (CheckpointState, checkpoint_exists, get_checkpoint_state,
                                     latest_checkpoint)
from graphc.graph import Graph, Node, Tensor, get_default_graph
from graphc.learning_rate_decay import (exponential_decay, inverse_time_decay,
                                        natural_exp_decay, piecewise_constant,
                                        polynomial_decay)
from graphc.moving_averages import ExponentialMovingAverage
from graphc.ops.control import group
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import cast, sqrt, square
from graphc.optim.optimizer import state_variable, step_count, update_assignments
from graphc.optim.sgd import descend
from graphc.passes.autodiff import gradients
from graphc.saver import Saver, export_meta_graph, import_meta_graph
from graphc.session import Session
from graphc.variables import Variable, assign_add, global_variables, trainable_variables

GLOBAL_STEP = "global_step"  # the graph collection of the global step (TensorFlow's key)


class Optimizer:
    """TensorFlow 1's optimizer base class. A subclass names its slots (`slot_names`, in the
    order TensorFlow creates them, with `slot_initial` values other than 0) and defines
    `update(var, grad, slots, step)`, returning the variable's new value and its slots' new
    values, written with op functions; `uses_step` asks for the step number (1 on the first
    update) that Adam's bias correction needs."""

    GATE_NONE, GATE_OP, GATE_GRAPH = 0, 1, 2

    slot_names: tuple[str, ...] = ()
    slot_initial: dict[str, float] = {}
    uses_step = False

    def __init__(self, use_locking: bool, name: str) -> None:
        if not name:
            raise ValueError("Must specify the optimizer name")
        self._use_locking = use_locking  # (accepted; a run's assignments commit together)
        self._name = name
        self._slots: dict[str, dict[Variable, Variable]] = {}
        self._steps: weakref.WeakKeyDictionary[Graph, Variable] = weakref.WeakKeyDictionary()

    def get_name(self) -> str:
        return self._name

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    # -- TensorFlow's API ------------------------------------------------------------------
    def minimize(self, loss: Tensor, global_step: Variable | None = None,
                 var_list: Iterable[Variable] | None = None, gate_gradients: int = GATE_OP,
                 aggregation_method: Any = None, colocate_gradients_with_ops: bool = False,
                 name: str | None = None, grad_loss: Any = None) -> Node:
        """An op that, run, applies one update to `var_list` (default: the trainable
        variables) against the gradient of `loss`, and adds 1 to `global_step` if given:
        compute_gradients then apply_gradients."""
        grads_and_vars = self.compute_gradients(loss, var_list, grad_loss=grad_loss)
        if all(g is None for g, _ in grads_and_vars):
            raise ValueError("No gradients provided for any variable, check your graph for ops "
                             "that do not support gradients, between variables "
                             f"{[v.name for _, v in grads_and_vars]} and loss {loss}.")
        return self.apply_gradients(grads_and_vars, global_step=global_step, name=name)

    def compute_gradients(self, loss: Tensor, var_list: Iterable[Variable] | None = None,
                          gate_gradients: int = GATE_OP, aggregation_method: Any = None,
                          colocate_gradients_with_ops: bool = False,
                          grad_loss: Any = None) -> list[tuple[Tensor | None, Variable]]:
        """[(gradient, variable)] for `var_list` (default: the trainable variables of the
        loss's graph); the gradient is None where the loss does not depend on the variable.
        (gate_gradients, aggregation_method and colocate_gradients_with_ops are accepted for
        TensorFlow's sake: a graph's gradients are computed in one run anyway.)"""
        if not isinstance(loss, Tensor):
            raise TypeError(f"{type(self).__name__}: the loss must be a graph tensor, got "
                            f"{type(loss).__name__} (gc.train's optimizers build graphs; "
                            "gc.optim's step() trains eagerly)")
        graph = loss.graph or get_default_graph()
        variables = trainable_variables(graph) if var_list is None else list(var_list)
        if not variables:
            raise ValueError("No variables to optimize.")
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}: var_list holds a "
                                f"{type(v).__name__}, not a gc.Variable")
            if v.graph is not graph:
                raise ValueError(f"{type(self).__name__}: variable '{v.name}' is not in the "
                                 "loss's graph")
        with graph.as_default():
            grads = gradients(loss, variables, grad_ys=grad_loss)
        return list(zip(grads, variables))

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]],
                        global_step: Variable | None = None, name: str | None = None) -> Node:
        """An op that, run, applies one update to each variable with a gradient (None
        gradients are skipped) and adds 1 to `global_step` if given. Every read in the run
        sees the values from its start, so the update uses this step's gradients and the
        slots' values before it."""
        pairs = [(g, v) for g, v in grads_and_vars]
        if not pairs:
            raise ValueError("No variables provided.")
        for _, v in pairs:
            if not isinstance(v, Variable):
                raise TypeError(f"{type(self).__name__}.apply_gradients: {v!r} is not a "
                                "gc.Variable")
        pairs = [(None if g is None else convert_to_tensor(g, v.dtype, v.graph,
                                                           op="apply_gradients"), v)
                 for g, v in pairs]
        if all(g is None for g, _ in pairs):
            raise ValueError(f"No gradients provided for any variable: "
                             f"{[v.name for _, v in pairs]}.")
        trained = [(g, v) for g, v in pairs if g is not None]
        graph = trained[0][1].graph or get_default_graph()
        label = name or self._name
        with graph.as_default():
            slots = {v: self._slots_of(v) for _, v in trained}
            count = self._step_count(graph, trained[0][1]) if self.uses_step else None
            with graph.name_scope(label):
                step = None if count is None else count + 1
                updates = update_assignments(trained, self.update, slots.__getitem__, step)
                if count is not None:
                    updates.append(count.assign(step))
                if global_step is not None:
                    updates.append(assign_add(global_step, 1))
            return group(updates, name=label)

    def get_slot(self, var: Variable, name: str) -> Variable | None:
        """The slot `name` (e.g. "m", "momentum") of `var`, if made (by an apply)."""
        return self._slots.get(name, {}).get(var)

    def get_slot_names(self) -> list[str]:
        """The names of the slots this optimizer has made, sorted."""
        return sorted(self._slots)

    def variables(self) -> list[Variable]:
        """The Variables holding this optimizer's state in the default graph (its slots, and
        its step count if it keeps one), by name."""
        graph = get_default_graph()
        found = [v for slots in self._slots.values() for v in slots.values() if v.graph is graph]
        if graph in self._steps:
            found.append(self._steps[graph])
        return sorted(found, key=lambda v: v.name)

    # -- helpers -----------------------------------------------------------------------------
    def _slots_of(self, var: Variable) -> dict[str, Variable]:
        """`var`'s slots by name, made on first use as TensorFlow names them: `<var>/<name>`,
        then `<var>/<name>_1`, ... (the graph makes the names unique)."""
        made = {}
        for slot in self.slot_names:
            by_var = self._slots.setdefault(slot, {})
            if var not in by_var:
                by_var[var] = state_variable(var, f"{var.node.name}/{self._name}",
                                             self.slot_initial.get(slot, 0.0))
            made[slot] = by_var[var]
        return made

    def _step_count(self, graph: Graph, first: Variable) -> Variable:
        """This optimizer's count of the updates applied in `graph`, of the first variable's
        dtype (TensorFlow keeps Adam's beta powers so)."""
        if graph not in self._steps:
            self._steps[graph] = step_count(first.dtype, name=f"{self._name}/step")
        return self._steps[graph]


def _hyper(value: Any, var: Variable) -> Any:
    """A hyperparameter as the update uses it: a Python number as is, a tensor cast to the
    variable's dtype, a callable called first (TensorFlow accepts all three)."""
    if callable(value):
        value = value()
    if isinstance(value, Tensor) and value.dtype != var.dtype:
        return cast(value, var.dtype)
    return value


class GradientDescentOptimizer(Optimizer):
    """TensorFlow's gradient descent: `var -= learning_rate * grad`."""

    def __init__(self, learning_rate: Any, use_locking: bool = False,
                 name: str = "GradientDescent") -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        return descend(var, grad, _hyper(self._learning_rate, var))[0], {}


class MomentumOptimizer(Optimizer):
    """TensorFlow's momentum, with slot "momentum" (accum, starting at 0):

        accum = accum * momentum + grad
        var -= learning_rate * accum                                   (use_nesterov=False)
        var -= learning_rate * grad + learning_rate * momentum * accum (use_nesterov=True)

    (PyTorch's SGD with momentum and no dampening is the same formula: both are
    graphc.optim.sgd.descend.)"""

    slot_names = ("momentum",)

    def __init__(self, learning_rate: Any, momentum: Any, use_locking: bool = False,
                 name: str = "Momentum", use_nesterov: bool = False) -> None:
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self._momentum = momentum
        self._use_nesterov = use_nesterov

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        new_var, accum = descend(var, grad, _hyper(self._learning_rate, var), slots["momentum"],
                                 _hyper(self._momentum, var), self._use_nesterov)
        return new_var, {"momentum": accum}


class AdamOptimizer(Optimizer):
    """TensorFlow's Adam, with slots "m" and "v" (starting at 0), at step t = 1, 2, ...:

        lr_t = learning_rate * sqrt(1 - beta2^t) / (1 - beta1^t)
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad^2
        var -= lr_t * m / (sqrt(v) + epsilon)

    The bias correction is folded into the learning rate and epsilon is added to sqrt(v),
    not to PyTorch's sqrt(v / (1 - beta2^t)), so the two differ while v is small; TensorFlow
    keeps beta1^t and beta2^t in Variables, this counts the steps (`<name>/step`)."""

    slot_names = ("m", "v")
    uses_step = True

    def __init__(self, learning_rate: Any = 0.001, beta1: Any = 0.9, beta2: Any = 0.999,
                 epsilon: Any = 1e-08, use_locking: bool = False, name: str = "Adam") -> None:
        super().__init__(use_locking, name)
        self._lr, self._beta1, self._beta2, self._epsilon = learning_rate, beta1, beta2, epsilon

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        lr, beta1, beta2, epsilon = (_hyper(h, var) for h in
                                     (self._lr, self._beta1, self._beta2, self._epsilon))
        t = step if step.dtype == var.dtype else cast(step, var.dtype)
        lr_t = lr * sqrt(1 - beta2 ** t) / (1 - beta1 ** t)
        m = slots["m"] * beta1 + grad * (1 - beta1)
        v = slots["v"] * beta2 + square(grad) * (1 - beta2)
        return var - lr_t * m / (sqrt(v) + epsilon), {"m": m, "v": v}


class RMSPropOptimizer(Optimizer):
    """TensorFlow 1's RMSProp, with slots "rms" (mean_square, starting at 1, as in TensorFlow
    1), "mg" (mean_grad, if centered, starting at 0) and "momentum" (mom, starting at 0):

        mean_square = decay * mean_square + (1 - decay) * grad^2
        mean_grad = decay * mean_grad + (1 - decay) * grad                  (centered)
        mom = momentum * mom + learning_rate * grad / sqrt(mean_square + epsilon)
              (centered: sqrt(mean_square - mean_grad^2 + epsilon))
        var -= mom
    """

    slot_initial = {"rms": 1.0}

    def __init__(self, learning_rate: Any, decay: Any = 0.9, momentum: Any = 0.0,
                 epsilon: Any = 1e-10, use_locking: bool = False, centered: bool = False,
                 name: str = "RMSProp") -> None:
        super().__init__(use_locking, name)
        self._learning_rate, self._decay = learning_rate, decay
        self._momentum, self._epsilon = momentum, epsilon
        self._centered = centered
        self.slot_names = ("rms", "mg", "momentum") if centered else ("rms", "momentum")

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        lr, decay, momentum, epsilon = (
            _hyper(h, var) for h in (self._learning_rate, self._decay, self._momentum,
                                     self._epsilon))
        rms = slots["rms"] * decay + square(grad) * (1 - decay)
        new = {"rms": rms}
        if self._centered:
            mg = new["mg"] = slots["mg"] * decay + grad * (1 - decay)
            denominator = rms - square(mg) + epsilon
        else:
            denominator = rms + epsilon
        mom = new["momentum"] = slots["momentum"] * momentum + lr * grad / sqrt(denominator)
        return var - mom, new


class AdagradOptimizer(Optimizer):
    """TensorFlow 1's Adagrad, with slot "accumulator" (starting at
    initial_accumulator_value):

        accumulator += grad^2
        var -= learning_rate * grad / sqrt(accumulator)
    """

    slot_names = ("accumulator",)

    def __init__(self, learning_rate: Any, initial_accumulator_value: float = 0.1,
                 use_locking: bool = False, name: str = "Adagrad") -> None:
        if initial_accumulator_value <= 0.0:
            raise ValueError("initial_accumulator_value must be positive: "
                             f"{initial_accumulator_value}")
        super().__init__(use_locking, name)
        self._learning_rate = learning_rate
        self.slot_initial = {"accumulator": initial_accumulator_value}

    def update(self, var: Variable, grad: Tensor, slots: dict[str, Any],
               step: Any) -> tuple[Any, dict[str, Any]]:
        accumulator = slots["accumulator"] + square(grad)
        return (var - _hyper(self._learning_rate, var) * grad / sqrt(accumulator),
                {"accumulator": accumulator})


# -- the global step ---------------------------------------------------------------------------
def get_global_step(graph: Graph | None = None) -> Variable | None:
    """The graph's global step: the Variable in its "global_step" collection, else a
    Variable named "global_step"; None if there is none."""
    graph = graph or get_default_graph()
    found = graph.collections.get(GLOBAL_STEP)
    if found:
        return found[0]
    named = [v for v in global_variables(graph) if v.node.name == GLOBAL_STEP]
    return named[0] if named else None


def get_or_create_global_step(graph: Graph | None = None) -> Variable:
    """The graph's global step, made if there is none: an int64 scalar Variable named
    "global_step", starting at 0, not trainable."""
    graph = graph or get_default_graph()
    step = get_global_step(graph)
    if step is None:
        with graph.as_default():
            step = Variable(np.array(0, np.int64), name=GLOBAL_STEP, trainable=False)
        graph.collections[GLOBAL_STEP] = [step]
    return step


def global_step(sess: Session, global_step_tensor: Tensor) -> int:
    """The global step's value in `sess`, as a Python int."""
    return int(sess.run(global_step_tensor))


__all__ = [
    "AdagradOptimizer", "AdamOptimizer", "GradientDescentOptimizer", "MomentumOptimizer",
    "Optimizer", "RMSPropOptimizer", "Saver", "get_global_step", "get_or_create_global_step",
    "global_step",
]
__all__ += ["CheckpointState", "checkpoint_exists", "get_checkpoint_state", "latest_checkpoint"]
__all__ += ["exponential_decay", "inverse_time_decay", "natural_exp_decay", "piecewise_constant",
            "polynomial_decay"]
__all__ += ["ExponentialMovingAverage"]  # (graphc/moving_averages.py)
__all__ += ["export_meta_graph", "import_meta_graph"]  # (graphc/saver.py)
