"""Module: the base of layers and models, holding Parameters and submodules."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

import numpy as np

from graphc import graph as graph_ir
from graphc.dtypes import DType, as_dtype, float32, float64
from graphc.eager.tape import RemovableHandle
from graphc.eager.tensor import Tensor, _to_arguments
from graphc.nn.parameter import Parameter, binding, binding_graph
from graphc.runtime.arrays import copy_of, host, moved_to, write_into
from graphc.variables import Variable


class IncompatibleKeys(NamedTuple):
    """What load_state_dict returns (PyTorch's _IncompatibleKeys)."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return (f"IncompatibleKeys(missing_keys={self.missing_keys!r}, "
                f"unexpected_keys={self.unexpected_keys!r})")


class Module:
    """Subclass it, assign Parameters and submodules as attributes, and define forward().

    Called on eager tensors a module computes; called on graph tensors it builds nodes, in a
    name scope named after its class, reading each Parameter through a bound Variable.

    Buffers (register_buffer: BatchNorm's running statistics) are tensors of the module's
    state that no optimizer steps: in state_dict() (unless registered persistent=False),
    converted by to() / double() / float(), never in parameters(). In a graph each is read
    through a Variable bound to it, not trainable, so assignments in a run write into it.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers", set())
        # buffer name -> the Variable bound to that buffer in each graph it was read in
        object.__setattr__(self, "_buffer_variables", {})
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        # hook id -> hook, in calling order (see register_forward_hook); the ids of those
        # registered with_kwargs=True
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_hooks_with_kwargs", set())

    # -- registration ----------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError("call super().__init__() before assigning to a Module")
        if name in self._buffers and not isinstance(value, Parameter | Module):
            self._set_buffer(name, value)
            return
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        if isinstance(value, Parameter | Module):
            self.__dict__.pop(name, None)  # (a plain attribute, e.g. bias=None, would shadow it)
            (self._parameters if isinstance(value, Parameter) else self._modules)[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        parameters = self.__dict__.get("_parameters", {})
        if name in parameters:
            graph = binding_graph()
            return parameters[name] if graph is None else parameters[name].variable(graph, name)
        buffers = self.__dict__.get("_buffers", {})
        if name in buffers:
            graph = binding_graph()
            value = buffers[name]
            return value if graph is None or value is None else \
                self._buffer_variable(name, graph)
        modules = self.__dict__.get("_modules", {})
        if name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True
                        ) -> None:
        """Add a buffer: a tensor (or None) of the module's state, read as `self.<name>`,
        which optimizers never see. A persistent one is in state_dict()."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        if not isinstance(name, str):
            raise TypeError(f"buffer name should be a string. Got {type(name).__name__}")
        if "." in name:
            raise KeyError('buffer name can\'t contain "."')
        if name == "":
            raise KeyError('buffer name can\'t be empty string ""')
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (torch Tensor or None required)")
        self._buffers[name] = tensor
        self._buffer_variables.pop(name, None)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def _set_buffer(self, name: str, value: Any) -> None:
        """`self.<name> = value` for a buffer: a tensor (or None) replaces it, as PyTorch's."""
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"cannot assign '{type(value).__name__}' as buffer '{name}' "
                            "(torch.Tensor or None expected)")
        self._buffers[name] = value
        self._buffer_variables.pop(name, None)

    def _buffer_variable(self, name: str, graph: graph_ir.Graph) -> Variable:
        """The Variable standing for buffer `name` in `graph` (made once per graph, in the
        user's graph when read inside a control-flow function): runs read the buffer's
        array and assignments write into it; not trainable."""
        graph = graph.lineage()[-1]
        bound = self._buffer_variables.setdefault(name, weakref.WeakKeyDictionary())
        if graph not in bound:
            var = Variable.bound(self._buffers[name], name, graph)
            var.trainable = False
            bound[graph] = var
        return bound[graph]  # type: ignore[no-any-return]

    # -- calling ---------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        graph = next((a.graph for a in args if isinstance(a, graph_ir.Tensor)), None)
        hooked = self.__dict__.get("_forward_pre_hooks") or self.__dict__.get("_forward_hooks")
        if graph is None:
            return self._hooked_forward(args, kwargs) if hooked else \
                self.forward(*args, **kwargs)
        with binding(graph), graph.name_scope(graph_ir.legal_name(type(self).__name__,
                                                                  "Module")):
            return self._hooked_forward(args, kwargs) if hooked else \
                self.forward(*args, **kwargs)

    def _hooked_forward(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """forward() between the forward pre-hooks and the forward hooks, as PyTorch's
        Module.__call__ runs them (each sees what the one before returned)."""
        with_kwargs = self.__dict__.get("_hooks_with_kwargs", set())
        for hook_id, hook in list(self.__dict__.get("_forward_pre_hooks", {}).items()):
            if hook_id in with_kwargs:
                changed = hook(self, args, kwargs)
                if changed is not None:
                    if not (isinstance(changed, tuple) and len(changed) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of "
                                           f"(new_args, new_kwargs), but got {changed}.")
                    args, kwargs = changed
            else:
                changed = hook(self, args)
                if changed is not None:
                    args = changed if isinstance(changed, tuple) else (changed,)
        result = self.forward(*args, **kwargs)
        for hook_id, hook in list(self.__dict__.get("_forward_hooks", {}).items()):
            changed = hook(self, args, kwargs, result) if hook_id in with_kwargs else \
                hook(self, args, result)
            if changed is not None:
                result = changed
        return result

    def register_forward_pre_hook(self, hook: Any, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """Call hook(module, args) before each forward(), args the tuple of positional
        arguments: it returns None, or the arguments forward() gets instead (a tuple, or
        one value for a single argument). With with_kwargs=True it is hook(module, args,
        kwargs), returning None or (args, kwargs). Hooks run in the order registered
        (prepend=True: first); the handle's remove() takes the hook off."""
        return self._add_hook("_forward_pre_hooks", hook, prepend, with_kwargs)

    def register_forward_hook(self, hook: Any, *, prepend: bool = False,
                              with_kwargs: bool = False) -> RemovableHandle:
        """Call hook(module, args, output) after each forward(), args the tuple of positional
        arguments forward() got: it returns None, or a value to return instead of the output
        (the next hook sees that one). With with_kwargs=True it is hook(module, args, kwargs,
        output). Hooks run in the order registered (prepend=True: first), on eager and
        graph tensors alike; the handle's remove() takes the hook off."""
        return self._add_hook("_forward_hooks", hook, prepend, with_kwargs)

    def _add_hook(self, where: str, hook: Any, prepend: bool, with_kwargs: bool
                  ) -> RemovableHandle:
        if not callable(hook):
            raise TypeError(f"hook must be callable, got {type(hook).__name__}")
        for name, value in (("_forward_pre_hooks", OrderedDict()),
                            ("_forward_hooks", OrderedDict()), ("_hooks_with_kwargs", set())):
            if name not in self.__dict__:  # (a module made without Module.__init__)
                object.__setattr__(self, name, value)
        hooks = self.__dict__[where]
        handle = RemovableHandle(hooks, self.__dict__["_hooks_with_kwargs"])
        hooks[handle.id] = hook
        if with_kwargs:
            self.__dict__["_hooks_with_kwargs"].add(handle.id)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # -- traversal -------------------------------------------------------------------------
    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) pairs, named as PyTorch names them ("0.weight", "linear1.bias"):
        a parameter that two modules share (nn.Sequential(layer, layer), tied weights)
        once, under its first name, unless remove_duplicate=False (so an optimizer updates
        it once, as PyTorch's); only this module's own with recurse=False."""
        pairs = self._all_parameters(prefix, recurse)
        return _first_of_each(pairs) if remove_duplicate else pairs

    def _all_parameters(self, prefix: str, recurse: bool) -> Iterator[tuple[str, Parameter]]:
        for name, p in self._parameters.items():
            yield prefix + name, p
        if recurse:
            for name, child in self._modules.items():
                yield from child._all_parameters(f"{prefix}{name}.", recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) pairs, named as PyTorch names them ("0.running_mean"), buffers set
        to None left out; a shared one once unless remove_duplicate=False."""
        pairs = ((name, b) for name, _, _, b in self._all_buffers(prefix, recurse))
        return _first_of_each(pairs) if remove_duplicate else pairs

    def _all_buffers(self, prefix: str, recurse: bool
                     ) -> Iterator[tuple[str, Module, str, Tensor]]:
        """(full name, owning module, its own name there, buffer) for every buffer."""
        for name, b in self._buffers.items():
            if b is not None:
                yield prefix + name, self, name, b
        if recurse:
            for name, child in self._modules.items():
                yield from child._all_buffers(f"{prefix}{name}.", recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of named_buffers(), without their names."""
        return (b for _, b in self.named_buffers(recurse=recurse))

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct submodule, each module once."""
        return _first_of_each((name, m) for name, m in self._modules.items() if m is not None)

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_modules(self, memo: set[Any] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Module]]:
        """(name, module) for this module ("") and every submodule below it ("0.conv"), each
        module once unless remove_duplicate=False."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register `module` as the submodule `name` (as `self.<name> = module`)."""
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"module name must be a non-empty string without '.', got {name!r}")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        if module is None:
            self._modules[name] = None  # type: ignore[assignment]
        else:
            setattr(self, name, module)

    register_module = add_module

    def apply(self, fn: Any) -> Module:
        """fn(m) for every submodule m, children first, then this module (PyTorch's order,
        as its init idiom `model.apply(init_weights)` expects); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set requires_grad on every parameter (False freezes them); returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set it to None, as PyTorch does by default)."""
        for p in self.parameters():
            p.grad = None

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """PyTorch's Module.to: to(device), to(dtype), to(device, dtype), to(tensor) (its
        device and dtype), or to(device=..., dtype=...). Moves every parameter and buffer to
        the device ('cpu' or 'cuda') and converts every floating-point one (a parameter with
        its .grad) to the dtype, which must be floating-point, in place: the module keeps
        its Parameter and buffer objects and returns itself.

        Convert before building an optimizer, as in PyTorch: an optimizer's state (momentum,
        moment buffers) made before keeps its dtype, and its next step() raises on the
        mix. A parameter or buffer already read in a graph (through its bound Variable,
        whose dtype is fixed, and which stays bound) cannot change dtype: that raises a
        RuntimeError and changes nothing; load_state_dict copies values into a module of
        another dtype."""
        where, dtype = _to_arguments(args, kwargs)
        if dtype is not None and not dtype.is_floating:
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype.name}")
        return self._convert(where, dtype)

    def type(self, dst_type: Any) -> Module:
        """Convert every floating-point parameter and buffer to `dst_type` (a floating-point
        dtype), in place; see to()."""
        dtype = as_dtype(dst_type)
        if not dtype.is_floating:
            raise TypeError(f"{type(self).__name__}.type(): parameters require gradients, so "
                            f"only floating-point dtypes are accepted, not {dtype.name}")
        return self._convert(None, dtype)

    def double(self) -> Module:
        """Convert every floating-point parameter and buffer to float64, in place; see to()."""
        return self._convert(None, float64)

    def float(self) -> Module:
        """Convert every floating-point parameter and buffer to float32, in place; see to()."""
        return self._convert(None, float32)

    def cuda(self) -> Module:
        return self.to("cuda")

    def cpu(self) -> Module:
        return self.to("cpu")

    def _convert(self, where: str | None, dtype: DType | None) -> Module:
        """Move the parameters and buffers to `where` and convert the floating-point ones to
        `dtype` (either None: unchanged), checking every one before changing any."""
        held: list[tuple[str, str, Tensor, Any]] = [
            ("parameter", name, p, p._variables) for name, p in self.named_parameters()]
        held += [("buffer", name, b, owner._buffer_variables.get(key, {}))
                 for name, owner, key, b in self._all_buffers("", True)]
        retyped = set() if dtype is None else \
            {id(t) for _, _, t, _ in held if t.dtype.is_floating and t.dtype != dtype}
        for kind, name, t, variables in held:
            bound = next(iter(variables.values()), None) if id(t) in retyped else None
            if bound is not None:
                raise RuntimeError(
                    f"{type(self).__name__}: cannot convert {kind} '{name}' from "
                    f"{t.dtype.name} to {getattr(dtype, 'name', dtype)}: a graph reads it "
                    f"through the {t.dtype.name} Variable '{bound.node.name}', whose dtype "
                    f"is fixed (a {kind} stays bound to each graph it was read in); "
                    "convert the module before calling it on graph tensors, or copy its "
                    "values into a new module of the wanted dtype "
                    "(new.load_state_dict(old.state_dict()) converts them)")
        done: set[int] = set()
        for _, _, t, _ in held:
            if id(t) in done:  # (a buffer two modules share)
                continue
            done.add(id(t))
            target = where or t.device.type
            if dtype is not None and id(t) in retyped:
                t.array = moved_to(target, host(t.array).astype(dtype.np))
                if t.grad is not None:
                    t.grad = Tensor(moved_to(target, host(t.grad.array).astype(dtype.np)))
            elif t.device != target:
                t.array = moved_to(target, t.array)
                t.grad = None if t.grad is None else t.grad.to(target)
            else:
                continue
            t._version[0] += 1
        return self

    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Copies of the parameters' and persistent buffers' values, by name, in PyTorch's
        order (a module's parameters, its buffers, then its children's; a shared one under
        each of its names)."""
        return OrderedDict((name, Tensor(copy_of(t.array))) for name, t in self._state())

    def _state(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(name, tensor) for every parameter and persistent buffer, as state_dict names
        them."""
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers:
                yield prefix + name, b
        for name, child in self._modules.items():
            yield from child._state(f"{prefix}{name}.")

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True
                        ) -> IncompatibleKeys:
        """Set every parameter and persistent buffer from `state_dict` (tensors or numpy
        arrays; values are converted to each one's dtype). As PyTorch's, a missing or
        unexpected key (with strict=True) or a shape that differs raises a RuntimeError
        listing them all, "Error(s) in loading state_dict for Sequential: ...", and changes
        nothing. Returns the missing and unexpected keys (a named tuple)."""
        own = dict(self._state())
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in missing) + ". ")
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: "
                          + ", ".join(f'"{k}"' for k in unexpected) + ". ")
        values = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            given = state_dict[name]
            value = np.asarray(host(given.array) if isinstance(given, Tensor) else given)
            if value.dtype.kind not in "biuf":
                raise TypeError(f"load_state_dict: '{name}' holds non-numeric data")
            if value.shape != p.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape "
                              f"{value.shape} from checkpoint, the shape in current model is "
                              f"{p.shape}.")
                continue
            values[name] = value
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:"
                               "\n\t" + "\n\t".join(errors))
        for name, value in values.items():
            write_into(own[name].array, value.astype(own[name].array.dtype, copy=False))
            own[name]._version[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # -- printing --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ")
                 for name, m in self._modules.items()]
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


T = TypeVar("T")


def _first_of_each(pairs: Iterable[tuple[str, T]]) -> Iterator[tuple[str, T]]:
    """The (name, object) pairs whose object has not come before: a shared parameter,
    buffer or module once, under its first name."""
    seen: set[int] = set()
    for name, item in pairs:
        if id(item) not in seen:
            seen.add(id(item))
            yield name, item
