"""TensorFlow 1's variable sharing: gc.get_variable and gc.variable_scope.

`get_variable(name, shape)` makes a Variable named `<scope>/name` in the current variable
scope, or, when the scope reuses (reuse=True, AUTO_REUSE, or after scope.reuse_variables()),
returns the one made before under that name: the same Variable object. The store of such
variables and the stack of open variable scopes live on the graph, in `graph.collections`
(under the keys below), so they die with it; the variables themselves are ordinary
gc.Variables, in global_variables() and (trainable ones) in trainable_variables().
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator
from typing import Any

from graphc import initializers, shapes
from graphc.dtypes import as_dtype, float32
from graphc.graph import Graph, check_name, get_default_graph
from graphc.losses import REGULARIZATION_LOSSES
from graphc.ops.core import convert_to_tensor
from graphc.ops.elementwise import cast
from graphc.variables import Variable

__all__ = ["AUTO_REUSE", "VariableScope", "get_variable", "get_variable_scope",
           "variable_scope"]

# graph.collections keys (lists): the variables get_variable made, by full name (one dict);
# the open VariableScopes, innermost last; how often each scope name was entered (one dict)
VARIABLE_STORE = "variable_store"
VARIABLE_SCOPES = "variable_scopes"
SCOPE_COUNTS = "variable_scope_counts"


class _ReuseMode(enum.Enum):
    AUTO_REUSE = 1

    def __repr__(self) -> str:
        return "tf.AUTO_REUSE"


AUTO_REUSE = _ReuseMode.AUTO_REUSE
"""reuse=AUTO_REUSE: get_variable returns the variable if it exists, else creates it."""


class VariableScope:
    """A variable scope: its name (the prefix of its variables' names), whether get_variable
    reuses in it (False, True or AUTO_REUSE), and the initializer, regularizer and dtype its
    variables default to."""

    def __init__(self, reuse: Any, name: str = "", initializer: Any = None,
                 regularizer: Any = None, dtype: Any = float32, name_scope: str = "") -> None:
        self.name = name
        self._reuse = reuse
        self.initializer = initializer
        self.regularizer = regularizer
        self.dtype = as_dtype(dtype)
        self.original_name_scope = name_scope

    @property
    def reuse(self) -> Any:
        return self._reuse

    def reuse_variables(self) -> None:
        """get_variable reuses in this scope (and scopes opened inside) from now on."""
        self._reuse = True

    def set_initializer(self, initializer: Any) -> None:
        self.initializer = initializer

    def set_regularizer(self, regularizer: Any) -> None:
        self.regularizer = regularizer

    def set_dtype(self, dtype: Any) -> None:
        self.dtype = as_dtype(dtype)

    def get_variable(self, name: str, *args: Any, **kwargs: Any) -> Variable:
        """get_variable(name, ...) as though this scope were the current one."""
        with variable_scope(self):
            return get_variable(name, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<gc.VariableScope '{self.name}' reuse={self._reuse!r}>"


def _store(graph: Graph) -> dict[str, Variable]:
    return graph.collections.setdefault(VARIABLE_STORE, [{}])[0]  # type: ignore[no-any-return]


def _scopes(graph: Graph) -> list[VariableScope]:
    return graph.collections.setdefault(VARIABLE_SCOPES, [VariableScope(False)])


def _counts(graph: Graph) -> dict[str, int]:
    return graph.collections.setdefault(SCOPE_COUNTS, [{}])[0]  # type: ignore[no-any-return]


def get_variable_scope() -> VariableScope:
    """The current variable scope (of the default graph); at top level the root scope, whose
    name is ''."""
    return _scopes(get_default_graph())[-1]


@contextlib.contextmanager
def absolute_name_scope(graph: Graph, name: str) -> Iterator[None]:
    """Nodes made inside are named `name/...` whatever name scopes are open, as a TensorFlow
    name scope ending in '/' does."""
    saved = graph._scopes
    graph._scopes = [name] if name else []
    try:
        yield
    finally:
        graph._scopes = saved


@contextlib.contextmanager
def variable_scope(name_or_scope: str | VariableScope | None, default_name: str | None = None,
                   values: Any = None, initializer: Any = None, regularizer: Any = None,
                   reuse: Any = None, dtype: Any = None,
                   auxiliary_name_scope: bool = True) -> Iterator[VariableScope]:
    """Open a variable scope (TensorFlow 1's tf.variable_scope): get_variable inside names its
    variables `<outer>/<name>/<variable>`, and, with `auxiliary_name_scope`, ops made inside
    are in a name scope of the same name. A VariableScope re-enters that scope, under its own
    name wherever it is entered. `reuse` is True, AUTO_REUSE, or None/False to inherit the
    enclosing scope's (a scope inside a reusing one reuses). With name_or_scope None,
    `default_name` is made unique ('dense', 'dense_1', ...) among the scopes opened in the
    enclosing one since it was entered: leaving a named scope forgets the default names used
    inside it, so a function that builds unnamed layers builds `<scope>/dense` again when it
    enters `<scope>` again to reuse them (as TensorFlow 1 does). `initializer`, `regularizer`
    and `dtype` default get_variable's inside (else the enclosing scope's). `values` is
    accepted for TensorFlow's sake. Yields the VariableScope."""
    graph = get_default_graph()
    stack = _scopes(graph)
    parent = stack[-1]
    counts = _counts(graph)
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        inherited = name_or_scope.reuse
        init = initializer if initializer is not None else name_or_scope.initializer
        reg = regularizer if regularizer is not None else name_or_scope.regularizer
        dt = dtype if dtype is not None else name_or_scope.dtype
        op_scope: str | None = (name_or_scope.original_name_scope.rstrip("/")
                                if name_or_scope.original_name_scope else full)
    else:
        if name_or_scope is None:
            if default_name is None:
                raise TypeError("variable_scope: give name_or_scope or default_name")
            if reuse is True:
                raise ValueError("reuse=True cannot be used without a name_or_scope")
            base = check_name(default_name, "variable scope name")
            prefix = f"{parent.name}/" if parent.name else ""
            name, i = base, 1
            while counts.get(prefix + name, 0) > 0:
                name, i = f"{base}_{i}", i + 1
        else:
            name = check_name(name_or_scope, "variable scope name")
        full = f"{parent.name}/{name}" if parent.name else name
        inherited = parent.reuse
        init = initializer if initializer is not None else parent.initializer
        reg = regularizer if regularizer is not None else parent.regularizer
        dt = dtype if dtype is not None else parent.dtype
        op_scope = None  # a name scope `name` inside the open ones
    counts[full] = counts.get(full, 0) + 1
    scope = VariableScope(reuse or inherited, full, init, reg, dt)
    with contextlib.ExitStack() as stack_cm:
        if auxiliary_name_scope:
            if op_scope is None:
                scope.original_name_scope = stack_cm.enter_context(graph.name_scope(name))
            else:
                stack_cm.enter_context(absolute_name_scope(graph, op_scope))
                scope.original_name_scope = op_scope + "/"
        stack.append(scope)
        entered = dict(counts)
        try:
            yield scope
        finally:
            stack.pop()
            # as TensorFlow's _VariableScopeStore does on leaving a scope: a scope entered by
            # name forgets the default names used inside it (close_variable_subscopes), so
            # entering it again, to reuse, names unnamed layers `conv2d`, `dense` again; a
            # VariableScope re-entered puts back the counts it found
            if isinstance(name_or_scope, VariableScope):
                counts.clear()
                counts.update(entered)
            else:
                for key in counts:
                    if key.startswith(full + "/"):
                        counts[key] = 0


def get_variable(name: str, shape: Any = None, dtype: Any = None, initializer: Any = None,
                 regularizer: Any = None, trainable: bool | None = None,
                 collections: Any = None, caching_device: Any = None, partitioner: Any = None,
                 validate_shape: bool = True, use_resource: Any = None,
                 custom_getter: Any = None, constraint: Any = None) -> Variable:
    """The Variable `<scope>/name` (TensorFlow 1's tf.get_variable): made, when the current
    variable scope does not reuse, with `initializer` (an initializer, called with shape and
    dtype; or a tensor or value, with shape None) else the scope's, else glorot_uniform for
    floating point variables and zeros for others; returned as it is, when the scope reuses.
    Raises TensorFlow's ValueErrors when a variable of that name exists and the scope does not
    reuse, when none does and reuse is True, and when the shape or dtype asked for differs
    from the existing variable's. `regularizer` (else the scope's), a function of the new
    variable returning a scalar loss or None, adds `regularizer(variable)`, built under the name
    scope `<scope>/name/Regularizer`, to the REGULARIZATION_LOSSES collection when the
    variable is made (not when it is reused). caching_device and use_resource are accepted
    and ignored; collections, partitioner, custom_getter and constraint are not supported."""
    for label, value in (("collections", collections), ("partitioner", partitioner),
                         ("custom_getter", custom_getter), ("constraint", constraint)):
        if value is not None:
            raise NotImplementedError(f"get_variable: {label} is not supported")
    graph = get_default_graph()
    scope = _scopes(graph)[-1]
    check_name(name, "variable name")
    full = f"{scope.name}/{name}" if scope.name else name
    store = _store(graph)
    reuse = scope.reuse
    dims = shapes.as_shape(shape) if shape is not None else None
    if full in store:
        if reuse is False:
            var = store[full]
            raise ValueError(f"Variable {full} already exists, disallowed. Did you mean to set "
                             "reuse=True or reuse=tf.AUTO_REUSE in VarScope? Originally "
                             f"defined at:\n\n  {var.node.site}")
        var = store[full]
        if dims is not None and validate_shape and not shapes.compatible(dims, var.shape):
            raise ValueError(f"Trying to share variable {full}, but specified shape "
                             f"{shapes.fmt(dims)} and found shape {shapes.fmt(var.shape)}.")
        if dtype is not None and as_dtype(dtype) != var.dtype:
            raise ValueError(f"Trying to share variable {full}, but specified dtype "
                             f"{as_dtype(dtype).name} and found dtype {var.dtype.name}.")
        return var
    if reuse is True:
        raise ValueError(f"Variable {full} does not exist, or was not created with "
                         "tf.get_variable(). Did you mean to set reuse=tf.AUTO_REUSE in "
                         "VarScope?")
    var = _create(graph, full, dims, dtype, initializer, scope,
                  True if trainable is None else trainable)
    store[full] = var
    regularize = regularizer if regularizer is not None else scope.regularizer
    if regularize is not None:
        with absolute_name_scope(graph, f"{full}/Regularizer"):
            loss = regularize(var)
        if loss is not None:
            graph.collections.setdefault(REGULARIZATION_LOSSES, []).append(
                convert_to_tensor(loss, op="get_variable"))
    return var


def _create(graph: Graph, full: str, dims: Any, dtype: Any, initializer: Any,
            scope: VariableScope, trainable: bool) -> Variable:
    init = initializer if initializer is not None else scope.initializer
    if isinstance(init, type) and issubclass(init, initializers.Initializer):
        init = init()  # tf.zeros_initializer passed uncalled
    # the initial value is built outside any control_dependencies, under `<full>/Initializer`
    with graph.control_dependencies(None):
        with absolute_name_scope(graph, f"{full}/Initializer"):
            if init is not None and not callable(init):
                if dims is not None:
                    raise ValueError(f"get_variable {full}: if initializer is a constant, do "
                                     "not specify shape.")
                value = convert_to_tensor(init, as_dtype(dtype) if dtype is not None else None,
                                          op="get_variable")
                if dtype is not None and value.dtype != as_dtype(dtype):
                    value = cast(value, dtype)
            else:
                dt = as_dtype(dtype) if dtype is not None else scope.dtype
                if dims is None:
                    raise ValueError(f"Shape of a new variable ({full}) must be fully "
                                     "defined, but instead was None.")
                if not shapes.is_fully_defined(dims):
                    raise ValueError(f"Shape of a new variable ({full}) must be fully "
                                     f"defined, but instead was {shapes.fmt(dims)}.")
                if init is None:
                    init = (initializers.GlorotUniform() if dt.is_floating
                            else initializers.Zeros())
                value = init(dims, dt)
                if value.dtype != dt:
                    value = cast(value, dt)
        with absolute_name_scope(graph, ""):  # the Variable names its initializer by its name
            return Variable(value, name=full, trainable=trainable)
