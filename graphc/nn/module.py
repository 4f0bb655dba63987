"""Module: the base of layers and models, holding Parameters and submodules."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from graphc import graph as graph_ir
from graphc.eager.tensor import Tensor
from graphc.nn.parameter import Parameter, binding, binding_graph
from graphc.runtime.arrays import copy_of, host, moved_to, write_into
from graphc.runtime.cuda.device import check_device


class Module:
    """Subclass it, assign Parameters and submodules as attributes, and define forward().

    Called on eager tensors a module computes; called on graph tensors it builds nodes, in a
    name scope named after its class, reading each Parameter through a bound Variable.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning to a Module")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        parameters = self.__dict__.get("_parameters", {})
        if name in parameters:
            graph = binding_graph()
            return parameters[name] if graph is None else parameters[name].variable(graph, name)
        modules = self.__dict__.get("_modules", {})
        if name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # -- calling ---------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        graph = next((a.graph for a in args if isinstance(a, graph_ir.Tensor)), None)
        if graph is None:
            return self.forward(*args, **kwargs)
        with binding(graph), graph.name_scope(graph_ir.legal_name(type(self).__name__,
                                                                  "Module")):
            return self.forward(*args, **kwargs)

    # -- traversal -------------------------------------------------------------------------
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs, named as PyTorch names them ("0.weight", "linear1.bias")."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, child in self._modules.items():
            yield from child.named_parameters(f"{prefix}{name}.")

    def parameters(self) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters())

    def children(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def modules(self) -> Iterator[Module]:
        yield self
        for child in self._modules.values():
            yield from child.modules()

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set it to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def to(self, device: str) -> Module:
        """Move every parameter to `device` ('cpu' or 'cuda'), in place, as PyTorch does:
        the module keeps its Parameter objects; build optimizers after moving."""
        where = check_device(device)
        for p in self.parameters():
            if p.device != where:
                p.array = moved_to(where, p.array)
                p.grad = None if p.grad is None else p.grad.to(where)
                p._version[0] += 1
        return self

    def cuda(self) -> Module:
        return self.to("cuda")

    def cpu(self) -> Module:
        return self.to("cpu")

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Copies of the parameters' values, by name."""
        return OrderedDict((name, Tensor(copy_of(p.array))) for name, p in self.named_parameters())

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter from `state` (tensors or numpy arrays); on a missing or
        unexpected key, or a shape that differs, raise and change nothing."""
        own = dict(self.named_parameters())
        missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
        if missing or unexpected:
            raise KeyError(f"load_state_dict for {type(self).__name__}: missing keys "
                           f"{missing}, unexpected keys {unexpected}")
        values = {}
        for name, p in own.items():
            value = np.asarray(host(state[name].array) if isinstance(state[name], Tensor)
                               else state[name])
            if value.shape != p.shape:
                raise ValueError(f"load_state_dict for {type(self).__name__}: '{name}' has "
                                 f"shape {value.shape} in the state dict but {p.shape} in "
                                 "the module")
            if value.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: '{name}' holds non-numeric data")
            values[name] = value
        for name, value in values.items():
            write_into(own[name].array, value)
            own[name]._version[0] += 1

    # -- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"
