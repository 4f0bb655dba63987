"""TensorFlow 1's graph collections: tf.GraphKeys, tf.get_collection, tf.add_to_collection,
tf.get_collection_ref, and the same as methods of every Graph.

A collection is a named list in `graph.collections`, the one graphc's own functions keep:
GLOBAL_VARIABLES is the list gc.global_variables() reads (every Variable joins it when it is
made), LOSSES the one tf.losses adds to, SUMMARIES the one gc.summary adds to, GLOBAL_STEP
the one gc.train keeps. TRAINABLE_VARIABLES is not a list of its own: it is the Variables
made with trainable=True (gc.trainable_variables()), so adding a Variable to it makes the
Variable trainable, and removing one through get_collection_ref makes it not. Any other key
(UPDATE_OPS...) is an ordinary list, empty until something is added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableSequence
from typing import Any, overload

from graphc.graph import Graph, Node, get_default_graph
from graphc.losses import LOSSES, REGULARIZATION_LOSSES
from graphc.summary import SUMMARIES
from graphc.train import GLOBAL_STEP
from graphc.variables import VARIABLES, Variable, trainable_variables, variables_initializer

__all__ = ["GraphKeys", "add_to_collection", "add_to_collections", "get_collection",
           "get_collection_ref", "local_variables", "local_variables_initializer"]


class GraphKeys:
    """The standard collection names, TensorFlow 1's strings."""

    GLOBAL_VARIABLES = VARIABLES
    VARIABLES = VARIABLES  # (TensorFlow 1's deprecated name)
    TRAINABLE_VARIABLES = "trainable_variables"
    LOCAL_VARIABLES = "local_variables"
    MODEL_VARIABLES = "model_variables"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    UPDATE_OPS = "update_ops"
    LOSSES = LOSSES
    REGULARIZATION_LOSSES = REGULARIZATION_LOSSES
    SUMMARIES = SUMMARIES
    GLOBAL_STEP = GLOBAL_STEP
    TRAIN_OP = "train_op"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    SUMMARY_OP = "summary_op"
    ACTIVATIONS = "activations"
    WEIGHTS = "weights"
    BIASES = "biases"
    SAVERS = "savers"


_VARIABLE_KEYS = (GraphKeys.GLOBAL_VARIABLES, GraphKeys.TRAINABLE_VARIABLES)


def get_collection(key: str, scope: str | None = None, graph: Graph | None = None
                   ) -> list[Any]:
    """A copy of the (default) graph's collection `key` (empty if there is none); with
    `scope`, only the items whose name re.match-es it (items without a name are left out)."""
    graph = graph or get_default_graph()
    items = trainable_variables(graph) if key == GraphKeys.TRAINABLE_VARIABLES else \
        list(graph.collections.get(key, ()))
    if scope is None:
        return items
    pattern = re.compile(scope)
    return [item for item in items
            if isinstance(getattr(item, "name", None), str) and pattern.match(item.name)]


def get_collection_ref(key: str, graph: Graph | None = None) -> MutableSequence[Any]:
    """The (default) graph's collection `key` itself, made empty if there is none: changes
    to it change the collection. TRAINABLE_VARIABLES gives a live view of the trainable
    Variables; removing one makes it not trainable, appending one makes it trainable."""
    graph = graph or get_default_graph()
    if key == GraphKeys.TRAINABLE_VARIABLES:
        return _Trainable(graph)
    return graph.collections.setdefault(key, [])


def add_to_collection(name: str, value: Any, graph: Graph | None = None) -> None:
    """Append `value` to the (default) graph's collection `name`. GLOBAL_VARIABLES and
    TRAINABLE_VARIABLES take only that graph's Variables (every Variable is in the first
    already; adding one to the second makes it trainable)."""
    graph = graph or get_default_graph()
    if name in _VARIABLE_KEYS:
        _check_variable(name, value, graph)
        if name == GraphKeys.TRAINABLE_VARIABLES:
            value.trainable = True
        return
    graph.collections.setdefault(name, []).append(value)


def add_to_collections(names: Iterable[str] | str, value: Any,
                       graph: Graph | None = None) -> None:
    """add_to_collection for each of `names` (a single name is one name)."""
    for name in [names] if isinstance(names, str) else dict.fromkeys(names):
        add_to_collection(name, value, graph)


def get_all_collection_keys(graph: Graph | None = None) -> list[str]:
    """The names of the (default) graph's collections."""
    return list((graph or get_default_graph()).collections)


def local_variables(scope: str | None = None) -> list[Any]:
    """The default graph's LOCAL_VARIABLES collection (graphc makes no local variables; it
    holds what was added to it)."""
    return get_collection(GraphKeys.LOCAL_VARIABLES, scope)


def local_variables_initializer() -> Node:
    """An op that initializes the Variables in LOCAL_VARIABLES: a no-op when there are none
    (graphc makes no local variables of its own)."""
    return variables_initializer(local_variables())


def _check_variable(name: str, value: Any, graph: Graph) -> None:
    if not isinstance(value, Variable) or value.graph is not graph:
        what = type(value).__name__ if not isinstance(value, Variable) else \
            f"Variable '{value.name}' of another graph"
        raise TypeError(f"the collection '{name}' holds this graph's gc.Variables; got {what}")


class _Trainable(MutableSequence[Any]):
    """The trainable Variables of a graph as a list whose changes set `trainable`."""

    def __init__(self, graph: Graph) -> None:
        self._graph = graph

    def _items(self) -> list[Variable]:
        return trainable_variables(self._graph)

    @overload
    def __getitem__(self, index: int) -> Any: ...

    @overload
    def __getitem__(self, index: slice) -> MutableSequence[Any]: ...

    def __getitem__(self, index: Any) -> Any:
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())

    def __setitem__(self, index: Any, value: Any) -> None:
        values = list(value) if isinstance(index, slice) else [value]
        for var in values:
            _check_variable(GraphKeys.TRAINABLE_VARIABLES, var, self._graph)
        del self[index]
        for var in values:
            var.trainable = True

    def __delitem__(self, index: Any) -> None:
        removed = self._items()[index]
        for var in removed if isinstance(removed, list) else [removed]:
            var.trainable = False

    def insert(self, index: int, value: Any) -> None:
        add_to_collection(GraphKeys.TRAINABLE_VARIABLES, value, self._graph)

    def __eq__(self, other: object) -> bool:
        return list(self) == other

    def __repr__(self) -> str:
        return repr(self._items())


def _install(graph_class: type) -> None:
    """Every graph answers TensorFlow's collection methods (graph.get_collection(key)...),
    installed from here because graph.py, the bottom layer, knows nothing of Variables."""
    def method(function: Any) -> Any:
        return lambda self, *args: function(*args, graph=self)
    for function in (get_collection, get_collection_ref, add_to_collection,
                     add_to_collections, get_all_collection_keys):
        setattr(graph_class, function.__name__, method(function))


_install(Graph)
