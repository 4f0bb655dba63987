"""ModuleList and ModuleDict: submodules held by index or by name, registered as children
(as Sequential's are), so parameters(), state_dict(), train()/eval() and to() see them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from graphc.nn.module import Module


def _checked(module: Any, where: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{where}: {type(module).__name__} is not a Module subclass")
    return module


class ModuleList(Module):
    """Modules in a list (append, extend, insert, indexing, slicing, len, iteration); no
    forward of its own: a model's forward() runs them. Parameter names are the indices
    ("layers.0.weight")."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _index(self, index: int) -> str:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range")
        return str(index % n)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._index(index)]

    def __setitem__(self, index: int, module: Module) -> None:
        self._modules[self._index(index)] = _checked(module, "ModuleList")

    def __delitem__(self, index: int | slice) -> None:
        items = list(self._modules.values())
        if isinstance(index, slice):
            del items[index]
        else:
            del items[int(self._index(index))]
        self._renumber(items)

    def _renumber(self, items: list[Module]) -> None:
        """Hold `items` under the keys 0, 1, ... (as PyTorch keeps the numbering)."""
        self._modules.clear()
        for i, m in enumerate(items):
            self._modules[str(i)] = m

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList([*self, *other])

    def append(self, module: Module) -> ModuleList:
        """Add a module at the end."""
        self._modules[str(len(self))] = _checked(module, "ModuleList.append")
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add each module at the end, in order."""
        if isinstance(modules, Module) and not isinstance(modules, ModuleList | ModuleDict):
            raise TypeError(f"ModuleList.extend should be called with an iterable, but got "
                            f"{type(modules).__name__}")
        for m in list(modules):
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Put a module before position `index`."""
        items = list(self._modules.values())
        items.insert(index, _checked(module, "ModuleList.insert"))
        self._renumber(items)


class ModuleDict(Module):
    """Modules by name, in insertion order, with a dict's methods (keys, values, items,
    update, pop, clear, `in`, len, iteration over the keys). Parameter names start with the
    key ("heads.a.weight")."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None
                 = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        return self._modules[key]

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"module name should be a string. Got {type(key).__name__}")
        if "." in key or not key:
            raise KeyError(f'module name must be non-empty and must not contain ".", got "{key}"')
        if key not in self._modules and (hasattr(type(self), key) or key in self.__dict__):
            raise KeyError(f"attribute '{key}' already exists")
        self._modules[key] = _checked(module, "ModuleDict")

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Any:
        return self._modules.keys()

    def values(self) -> Any:
        return self._modules.values()

    def items(self) -> Any:
        return self._modules.items()

    def pop(self, key: str) -> Module:
        """Remove the module under `key` and return it."""
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add (or replace) modules from a mapping or from (key, module) pairs."""
        pairs = modules.items() if isinstance(modules, Mapping | ModuleDict) else modules
        for i, pair in enumerate(pairs):
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise ValueError(f"ModuleDict update sequence element #{i} should be a "
                                 f"(key, module) pair, got {pair!r:.60}")
            self[pair[0]] = pair[1]
