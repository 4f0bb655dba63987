"""Parameters: eager tensors owned by modules, bound into graphs as Variables on demand."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from graphc.dtypes import as_dtype
from graphc.eager.tensor import Tensor, _check_differentiable
from graphc.graph import Graph
from graphc.runtime.arrays import as_storage, copy_of
from graphc.variables import Variable


class Parameter(Tensor):
    """A leaf tensor that requires grad and belongs to a Module.

    Called on graph tensors, a module reads each Parameter through a Variable bound to it:
    runs in any Session read the Parameter's values and assignments write into them.

    Its `array` is always an array native code may update in place by raw pointer:
    C-contiguous, aligned, writable, its own memory or exactly a C-contiguous view's.
    Setting `p.data` (or `p.array`) to any other array (a transpose, a strided or reversed
    view, a broadcast or read-only array) stores a C-ordered copy, and `p.array` is then that
    copy: graphc updates it, never the array it came from. (PyTorch keeps such a view and
    updates it through its strides.)
    """

    __slots__ = ("_variables",)

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        array = copy_of(data.array) if isinstance(data, Tensor) else \
            np.array(data, copy=True, order="C")
        _check_differentiable(as_dtype(array.dtype), requires_grad)
        super().__init__(array, requires_grad=requires_grad)
        self._variables: weakref.WeakKeyDictionary[Graph, Variable] = \
            weakref.WeakKeyDictionary()

    def __setattr__(self, name: str, value: Any) -> None:
        # `array` stays a plain slot, read at full speed (every run reads a bound parameter's);
        # only setting it, which is rare, goes through here
        object.__setattr__(self, name, as_storage(value) if name == "array" else value)

    def variable(self, graph: Graph, name: str = "parameter") -> Variable:
        """The Variable standing for this Parameter in `graph` (made once per graph; inside a
        control-flow function graph, the Variable of the user's graph, captured there)."""
        graph = graph.lineage()[-1]
        if graph not in self._variables:
            self._variables[graph] = Variable.bound(self, name, graph)
        return self._variables[graph]

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


_binding = threading.local()


def binding_graph() -> Graph | None:
    """The graph a module call is building into, if any (per thread)."""
    return getattr(_binding, "graph", None)


@contextmanager
def binding(graph: Graph | None) -> Iterator[None]:
    previous = binding_graph()
    _binding.graph = graph
    try:
        yield
    finally:
        _binding.graph = previous
