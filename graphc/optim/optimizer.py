"""Optimizer: one update rule per optimizer, run eagerly by step() or built into a graph by
minimize(loss); PyTorch's parameter groups, state_dict() and load_state_dict(); and the
plumbing that builds an update rule into a graph (state Variables, the step count, one
assignment per value), which gc.train's TensorFlow optimizers share."""

from __future__ import annotations

import operator
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from graphc.dtypes import DType, float64
from graphc.eager.tape import enable_grad, no_grad
from graphc.eager.tensor import Tensor
from graphc.graph import Node, Tensor as GraphTensor
from graphc.nn.parameter import Parameter
from graphc.ops.control import group as group_ops
from graphc.ops.elementwise import cast, equal, where
from graphc.passes.autodiff import gradients
from graphc.optim.compiled_step import CompiledSteps
from graphc.runtime.arrays import copy_of, full_like, host, moved_to, write_into
from graphc.runtime.cuda.device import is_device_array
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


def rounded(p: Any, value: Any) -> Any:
    """A scalar an update rule computed from the step number, in parameter p's dtype: in a
    graph the rules get the step in float64 (minimize), so the scalar is rounded once
    here, as PyTorch rounds the Python float it computes (1 - 0.999^t loses all but a few
    digits in float32); eagerly it is a Python float already, and is returned as it is."""
    return cast(value, p.dtype) if isinstance(value, GraphTensor) else value


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


def _copied(value: Any) -> Any:
    """A hyperparameter's value, lists copied (a state dict never shares them)."""
    if isinstance(value, list):
        return [_copied(v) for v in value]
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    return value


def _index(value: Any) -> int:
    """A parameter's number in a state dict (an int)."""
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"load_state_dict: parameters are numbered by ints, got "
                        f"{value!r:.60}") from None


def _step_number(value: Any, where: str) -> int:
    """A loaded "step": a tensor, array or number holding a whole count >= 0."""
    if isinstance(value, Tensor):
        value = host(value.array)
    number = np.asarray(value)
    if number.size != 1 or number.dtype.kind not in "iuf":
        raise ValueError(f"load_state_dict: {where} 'step' is {value!r:.60}, not a number")
    count = number.reshape(()).item()
    if not (count >= 0 and count == int(count)):
        raise ValueError(f"load_state_dict: {where} 'step' is {count}, not a count >= 0")
    return int(count)


class Optimizer:
    """Base class: subclasses define `state_names` and `update(p, g, state, step, group)`,
    which returns the new parameter value and the new state values, written with op
    functions, reading the hyperparameters from `group` (a parameter group: lr, momentum,
    ...).

    `params` are nn Parameters (trained eagerly by step() or in a graph by minimize) or
    graph Variables (gc.Variable, trained by minimize only): an iterable of them, or, as
    PyTorch's, a list of parameter groups, dicts with the key "params" and any
    hyperparameters, the others taken from the constructor's (`defaults`):

        optim.SGD([{"params": model[0].parameters()},
                   {"params": model[2].parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)

    `param_groups` is that list of dicts, each with "params" and every hyperparameter.
    step() reads each group's values at every step, so changing them (`g["lr"] = 0.01`, or an
    lr_scheduler) takes effect at the next step(). minimize() builds each group's values as
    they are when it is called into the graph as constants: a change made after minimize()
    does not reach the op it returned (call minimize() again for a graph with the new
    values)."""

    state_names: tuple[str, ...] = ()
    # whether each parameter's state holds its "step" (PyTorch's SGD keeps none: its state
    # is the momentum buffer alone)
    counts_steps = True

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any] | None = None,
                 **hyper: Any) -> None:
        self.defaults: dict[str, Any] = {**(defaults or {}), **hyper}
        self.hyper = self.defaults  # (the constructor's values; each group holds its own)
        self.state: dict[int, dict[str, Tensor]] = {}
        self.steps = 0
        # updates applied to each parameter (by id): as PyTorch's per-parameter state
        # "step", it counts only the steps where the parameter had a gradient
        self.param_steps: dict[int, int] = {}
        # the eager steps, as graph runs: for graphc's own rules (a subclass's rule may
        # branch on its Python step number, which a graph's step is not)
        self.compiled = CompiledSteps(self.update, enabled=type(self).update.__module__
                                      .startswith("graphc.optim."))
        self.param_groups: list[dict[str, Any]] = []
        if isinstance(params, Tensor | Variable):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__}: got an empty list of parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    @property
    def params(self) -> list[Any]:
        """Every group's parameters, in group order."""
        return [p for g in self.param_groups for p in g["params"]]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group (a dict with "params" and any hyperparameters; the others are the
        constructor's). A parameter may belong to one group only (PyTorch's rules)."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group must have the key 'params', got "
                             f"{sorted(map(str, param_group))}")
        params = param_group["params"]
        if isinstance(params, Tensor | Variable):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Parameter | Variable):
                raise TypeError(f"{name} optimizes nn Parameters, got {type(p).__name__} "
                                "(graph Variables, gc.Variable, are accepted too)")
        group = {"params": params, **{k: v for k, v in param_group.items() if k != "params"}}
        for key, default in self.defaults.items():
            group.setdefault(key, default)
        if len({id(p) for p in params}) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        if {id(p) for p in self.params} & {id(p) for p in params}:
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def update(self, p: Any, g: Any, state: dict[str, Any], step: Any,
               group: Mapping[str, Any]) -> tuple[Any, dict]:
        raise NotImplementedError

    def group_state_names(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """The state buffers the update needs for a parameter of `group`."""
        return self.state_names

    def initial_value(self, name: str, group: Mapping[str, Any]) -> float:
        """The value state buffer `name` starts at (eager tensors and graph Variables)."""
        return 0.0

    # -- eager -----------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set every parameter's gradient to None (graph Variables have none), or to zeros
        with set_to_none=False."""
        for p in self.params:
            if isinstance(p, Parameter) and p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    write_into(p.grad.array, full_like(p.grad.array, 0))
                    p.grad._version[0] += 1

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Apply one update to every parameter that has a gradient, with its group's
        hyperparameters as they are now. `closure` (PyTorch's), if given, is called first
        with gradients enabled (it recomputes the loss and its gradients) and its value
        returned."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__}.step() updates nn Parameters eagerly; "
                                f"graph Variable '{p.node.name}' is trained by the op "
                                "minimize(loss) returns, run in a Session")
        self._check_state_dtypes()
        self.steps += 1
        with no_grad():
            for group in self.param_groups:
                names = self.group_state_names(group)
                stepped = [p for p in group["params"] if p.grad is not None]
                states, counts = [], []
                for p in stepped:
                    state = self.state.setdefault(id(p), {})
                    for n in names:  # zero buffers (or the optimizer's start), made once
                        if n not in state:
                            state[n] = Tensor(full_like(p.array, self.initial_value(n, group)))
                    states.append(state)
                    counts.append(self.param_steps.get(id(p), 0) + 1)
                results = self.compiled.run(stepped, [{n: s[n] for n in names} for s in states],
                                            counts, group) or \
                    [self._eager_update(p, s, c, group) for p, s, c in zip(stepped, states, counts)]
                for p, state, count, (new_p, new_state) in zip(stepped, states, counts, results):
                    buffers = {n: Tensor(v) for n, v in new_state.items()}
                    write_into(p.array, new_p)
                    p._version[0] += 1
                    self.param_steps[id(p)] = count
                    state.update(buffers)
        return loss

    def _eager_update(self, p: Parameter, state: dict[str, Tensor], count: int,
                      group: Mapping[str, Any]) -> tuple[Any, dict[str, Any]]:
        """The rule run with eager ops: the new value and the new state buffers, as arrays
        of their own (a rule may keep the gradient itself, as SGD's first dampened step
        does: the buffer is then a copy, which zero_grad cannot change)."""
        grad: Any = p.grad
        new_p, new_state = self.update(p, grad, state, count, group)
        return new_p.array, {n: copy_of(v.array) if v is grad else v.array
                             for n, v in new_state.items()}

    def _check_state_dtypes(self) -> None:
        """Before any update: each parameter's state has the parameter's dtype (a module
        converted with .double() after its optimizer stepped would otherwise fail midway)."""
        for number, p in enumerate(p for g in self.param_groups for p in g["params"]):
            for name, buffer in self.state.get(id(p), {}).items():
                if isinstance(buffer, Tensor) and buffer.dtype != p.dtype:
                    raise RuntimeError(
                        f"{type(self).__name__}.step(): parameter {number} is "
                        f"{p.dtype.name} but its state '{name}' is {buffer.dtype.name} (was "
                        "the model converted after the optimizer stepped?); convert the model "
                        "before making its optimizer, as in PyTorch")

    # -- state dicts -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """PyTorch's layout: {"state": {index: {"step": count, name: buffer, ...}},
        "param_groups": [{hyperparameter: value, ..., "params": [index, ...]}]}, parameters
        numbered 0, 1, ... in group order. Only parameters with state (those stepped so far;
        every one for Adagrad) appear in "state"; "step" is a float32 0-d tensor, as
        PyTorch's (SGD has none, as PyTorch's). The buffers are copies (PyTorch returns
        references), so later steps do not change a state dict already taken."""
        index: dict[int, int] = {}
        groups = []
        start = 0
        for group in self.param_groups:
            packed = {k: _copied(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index.setdefault(id(p), i)
            packed["params"] = [index[id(p)] for p in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state: dict[int, dict[str, Any]] = {}
        for p in self.params:
            if id(p) not in self.state or index[id(p)] in state:
                continue
            entry: dict[str, Any] = {}
            if self.counts_steps:
                entry["step"] = Tensor(np.array(self.param_steps.get(id(p), 0), np.float32))
            for n, buffer in self.state[id(p)].items():
                entry[n] = Tensor(copy_of(buffer.array))
            if entry:
                state[index[id(p)]] = entry
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore what state_dict() returned (from this optimizer or one built the same way,
        perhaps read back by graphc.eager.load): every group's hyperparameters, and each
        parameter's state, copied into new buffers in the parameter's dtype and device (the
        dict's arrays are never shared). The groups must match in number and sizes, as
        PyTorch checks. Nothing changes if the dict is refused."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(
                state_dict):
            raise ValueError("load_state_dict: expected an optimizer's state_dict(), a dict "
                             "with 'state' and 'param_groups'")
        if not isinstance(state_dict["state"], Mapping):
            raise ValueError("load_state_dict: the state dict's 'state' must be a dict of "
                             f"parameter number -> state, got {type(state_dict['state']).__name__}")
        groups, saved_groups = self.param_groups, list(state_dict["param_groups"])
        for s in saved_groups:
            if not isinstance(s, Mapping) or "params" not in s:
                raise ValueError("load_state_dict: each of the state dict's param_groups must "
                                 f"be a dict with 'params', got {s!r:.80}")
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't "
                             "match the size of optimizer's group")
        id_map = {}
        for g, s in zip(groups, saved_groups):
            for p, i in zip(g["params"], s["params"]):
                id_map[_index(i)] = p
        state: dict[int, dict[str, Tensor]] = {}
        steps: dict[int, int] = {}
        for key, saved in state_dict["state"].items():
            i = _index(key)
            where = f"the state of parameter {i}:"
            if i not in id_map:
                raise ValueError(f"load_state_dict: the state dict has state for parameter "
                                 f"{i}, which none of its param_groups lists")
            p = id_map[i]
            if not isinstance(p, Parameter):
                raise TypeError(f"load_state_dict: parameter {i} is a graph Variable, whose "
                                "state lives in the graph")
            if not isinstance(saved, Mapping):
                raise TypeError(f"load_state_dict: {where} is a {type(saved).__name__}, not a "
                                "dict")
            buffers = {n: Tensor(self._loaded_buffer(p, value, f"{where} {n!r}"))
                       for n, value in saved.items() if n != "step" and value is not None}
            if saved.get("step") is not None:
                steps[id(p)] = _step_number(saved["step"], where)
            elif self.counts_steps:
                raise ValueError(f"load_state_dict: {where} has no 'step'")
            elif buffers:  # (SGD) a momentum buffer exists after the first step
                steps[id(p)] = 1
            state[id(p)] = buffers
        for g, s in zip(groups, saved_groups):
            params = g["params"]
            hyper = {k: _copied(v) for k, v in s.items() if k != "params"}
            g.clear()
            g["params"] = params
            g.update(hyper)
            for key, default in self.defaults.items():
                g.setdefault(key, default)
        self.state, self.param_steps = state, steps

    @staticmethod
    def _loaded_buffer(p: Parameter, value: Any, where: str) -> Any:
        """A copy of a loaded state tensor in p's shape, dtype and device."""
        if isinstance(value, Tensor):
            value = value.array
        array = host(value) if is_device_array(value) else np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"load_state_dict: {where} holds {array.dtype} data, not a "
                            "tensor's numbers")
        if array.shape != tuple(p.shape):
            raise ValueError(f"load_state_dict: {where} has shape {array.shape}, but the "
                             f"parameter has shape {tuple(p.shape)}")
        copy = np.array(array, dtype=p.array.dtype, order="C", copy=True)
        return moved_to("cuda" if is_device_array(p.array) else "cpu", copy)

    # -- static ----------------------------------------------------------------------------
    def minimize(self, loss: Any, name: str | None = None,
                 process_gradients: Callable[[list[Any]], list[Any]] | None = None) -> Node:
        """An op that, run in a Session, applies one update (TensorFlow style). Its state
        (moment buffers, the step count) lives in Variables that global_variables_initializer()
        sets. Each group's hyperparameters are built in with the values they hold now: a
        change to param_groups (or an lr_scheduler's step) after this call does not reach
        the op. `process_gradients` maps the list of gradients (one per parameter, in group
        order, None where the loss does not depend on it) to the gradients the update uses
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
            exact = cast(step, float64)  # the rules' step, as PyTorch's Python number
            start = 0
            for group in self.param_groups:
                end = start + len(group["params"])
                hyper = dict(group)  # this call's values

                def rule(p: Any, g: Any, state: dict[str, Any], t: Any,
                         hyper: dict[str, Any] = hyper) -> tuple[Any, dict]:
                    return self.update(p, g, state, t, hyper)

                def buffers(var: Variable, hyper: dict[str, Any] = hyper
                            ) -> dict[str, Variable]:
                    return self._state_variables(var, hyper)

                updates += update_assignments(zip(grads[start:end], variables[start:end]),
                                              rule, buffers, exact)
                start = end
            return group_ops(updates, name="update")

    def _variable(self, p: Parameter | Variable, graph: Any) -> Variable:
        """The Variable that `p` is in `graph`: a Parameter's bound Variable, or `p` itself."""
        if isinstance(p, Parameter):
            return p.variable(graph)
        if p.graph is not graph:
            raise ValueError(f"{type(self).__name__}.minimize: Variable '{p.node.name}' is not "
                             "in the loss's graph")
        return p

    def _state_variables(self, var: Variable, group: Mapping[str, Any]) -> dict[str, Variable]:
        """Fresh buffers for `var`, one per state name of its group (made by each
        minimize), filled with their initial values."""
        short = var.node.name.rsplit("/", 1)[-1]
        return {n: state_variable(var, f"{short}_{n}", self.initial_value(n, group))
                for n in self.group_state_names(group)}
