"""Variables: named state that persists across runs of a Session, and their initializers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from graphc import shapes
from graphc.dtypes import as_dtype
from graphc.graph import Graph, Node, Tensor, get_default_graph
from graphc.ops.control import group, no_op
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import cast
from graphc.ops.state import assign as assign_node
from graphc.ops.state import variable_node
from graphc.runtime.arrays import as_storage, is_storage


class Variable(Tensor):
    """A tensor whose value lives in each Session and changes only through assignments.

    Reading it anywhere in a run gives its value from the start of that run; an assignment
    takes effect when the run ends, and only if the whole run succeeded.
    """

    __slots__ = ("initial_value", "initializer", "trainable")

    def __init__(self, initial_value: Any, trainable: Any = True, name: str | None = None,
                 dtype: Any = None) -> None:
        # (TensorFlow 1's order: its tutorial's tf.Variable([.3], tf.float32) passes the
        # dtype where trainable goes, a true value, and the dtype follows the value)
        # (its initial value and initializer wait for no control_dependencies the Variable is
        # made in, as in TensorFlow: an optimizer's slots made inside one still initialize)
        dt = as_dtype(dtype) if dtype is not None else None
        with get_default_graph().control_dependencies(None):
            init = convert_to_tensor(initial_value, dt, op="Variable")
            if dt is not None and init.dtype != dt:
                init = cast(init, dt)
        if not shapes.is_fully_defined(init.shape):
            raise ValueError(f"Variable: the initial value's shape {shapes.fmt(init.shape)} "
                             "must be fully known")
        graph = init.graph or get_default_graph()
        with graph.as_default(), graph.control_dependencies(None):
            node = variable_node(init.shape, init.dtype, name)
            super().__init__(node, 0)
            self.initial_value = init
            self.initializer: Node = assign_node(node, init, name=_initializer_name(node)).node
        self.trainable = bool(trainable)
        _register(self, graph)

    @classmethod
    def bound(cls, storage: Any, name: str, graph: Graph | None = None) -> Variable:
        """A Variable whose value is `storage.array` itself (an nn Parameter): runs read it and
        assignments write into it, in every Session; its initializer does nothing.

        Native code updates that array in place by raw pointer, so it must be C-contiguous,
        aligned and writable: one that is not (a transposed or strided view, a read-only or
        broadcast array) is replaced by a C-ordered copy, which `storage.array` then is (an
        nn Parameter already makes sure of it whenever its data is set)."""
        graph = graph or get_default_graph()
        if not is_storage(storage.array):
            storage.array = as_storage(storage.array)
        with graph.as_default():
            node = variable_node(storage.array.shape, storage.array.dtype, name, storage)
            initializer = no_op(name=_initializer_name(node))
        var = cls.__new__(cls)
        Tensor.__init__(var, node, 0)
        var.initial_value = var
        var.initializer = initializer
        var.trainable = True
        _register(var, graph)
        return var

    @classmethod
    def from_nodes(cls, node: Node, initializer: Node, trainable: bool = True) -> Variable:
        """The Variable whose value node and initializer already exist (e.g. in an imported
        graph)."""
        var = cls.__new__(cls)
        Tensor.__init__(var, node, 0)
        var.initial_value = initializer.inputs[0] if initializer.inputs else var
        var.initializer = initializer
        var.trainable = trainable
        _register(var, node.graph)  # type: ignore[arg-type]
        return var

    def assign(self, value: Any, name: str | None = None) -> Tensor:
        """A tensor holding `value`; running it makes `value` the variable's new value."""
        return assign_node(self.node, value, name=name)

    def assign_add(self, delta: Any, name: str | None = None) -> Tensor:
        """Like assign(self + delta)."""
        return assign_node(self.node, self + delta, name=name)

    def assign_sub(self, delta: Any, name: str | None = None) -> Tensor:
        """Like assign(self - delta)."""
        return assign_node(self.node, self - delta, name=name)

    def __repr__(self) -> str:
        return (f"<gc.Variable '{self.name}' shape={shapes.fmt(self.shape)} "
                f"dtype={self.dtype.name}>")


# TensorFlow 1 spells each assignment both ways, tf.assign(v, x) and v.assign(x): the functions
# call the methods (use_locking is accepted for TensorFlow's sake; shapes are always checked,
# and a run's assignments always commit together).
def assign(ref: Variable, value: Any, validate_shape: Any = None, use_locking: Any = None,
           name: str | None = None) -> Tensor:
    """`ref.assign(value)`: a tensor holding `value`; running it makes `value` the new value.
    A variable keeps the static shape it was made with, so validate_shape=False (which lets
    a TensorFlow variable change shape) is accepted only for a value of that very shape."""
    variable = _variable(ref, "assign")
    if validate_shape is False:
        got = getattr(value, "shape", None) if hasattr(value, "dtype") else np.shape(value)
        got = None if got is None else tuple(got)
        if got != tuple(variable.shape or ()) or not shapes.is_fully_defined(got):
            raise ValueError(
                f"assign: validate_shape=False lets a TensorFlow variable take a value of "
                f"another shape; graphc's variables keep the static shape they were made "
                f"with, {shapes.fmt(variable.shape)} for '{variable.name}', and the value's "
                f"is {shapes.fmt(got)}")
    return variable.assign(value, name=name)


def assign_add(ref: Variable, value: Any, use_locking: Any = None,
               name: str | None = None) -> Tensor:
    """`ref.assign_add(value)`: like assign(ref, ref + value)."""
    return _variable(ref, "assign_add").assign_add(value, name=name)


def assign_sub(ref: Variable, value: Any, use_locking: Any = None,
               name: str | None = None) -> Tensor:
    """`ref.assign_sub(value)`: like assign(ref, ref - value)."""
    return _variable(ref, "assign_sub").assign_sub(value, name=name)


def _variable(ref: Any, op: str) -> Variable:
    if isinstance(ref, Tensor) and not isinstance(ref, Variable) and ref.graph is not None:
        # a variable's value by its name (get_tensor_by_name("w:0")): TensorFlow's ref
        ref = next((v for v in global_variables(ref.graph) if v.node is ref.node), ref)
    if not isinstance(ref, Variable):
        raise TypeError(f"{op}: ref must be a gc.Variable, got {type(ref).__name__}"
                        + (f" '{ref.name}'" if isinstance(ref, Tensor) else ""))
    return ref


# The graph collection that holds a graph's Variables, in creation order. The list lives on
# the graph (so it dies with it) but only this module reads or writes it: graph.py, the
# bottom layer, knows nothing of Variables.
VARIABLES = "variables"


def _register(var: Variable, graph: Graph) -> None:
    graph.collections.setdefault(VARIABLES, []).append(var)


def global_variables(graph: Graph | None = None) -> list[Variable]:
    """Every Variable created in the (default) graph, in creation order."""
    return list((graph or get_default_graph()).collections.get(VARIABLES, ()))


def trainable_variables(graph: Graph | None = None) -> list[Variable]:
    """The Variables created with trainable=True."""
    return [v for v in global_variables(graph) if v.trainable]


def variables_initializer(var_list: Iterable[Variable], name: str = "init") -> Node:
    """An op that sets each of `var_list` to its initial value."""
    return group([v.initializer for v in var_list], name=name)


def global_variables_initializer() -> Node:
    """An op that initializes every Variable of the default graph."""
    return variables_initializer(global_variables())


initialize_all_variables = global_variables_initializer  # (TensorFlow 1's deprecated name)


# Every graph answers `graph.variables` (the same as global_variables(graph)); installed from
# here because graph.py, the bottom layer, knows nothing of Variables.
Graph.variables = property(global_variables)  # type: ignore[method-assign,assignment]


def _initializer_name(node: Node) -> str:
    """"<variable>/initializer", given relative to the open name scopes (which the graph
    prefixes again), so a Variable "s/w" made in scope "s" has "s/w/initializer"."""
    graph = node.graph or get_default_graph()
    return f"{node.name.removeprefix(graph.scope_prefix)}/initializer"
