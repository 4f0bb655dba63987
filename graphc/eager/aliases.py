"""`import graphc.eager.nn as nn`: graphc.eager.nn is the module graphc.nn itself (and
graphc.eager.optim graphc.optim, submodules included), as torch.nn sits under torch.

A finder at the front of sys.meta_path answers for those names with the real modules, so
a PyTorch program that imports torch.nn.functional gets graphc.nn.functional, never a
second copy of it with classes of its own.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from types import ModuleType
from typing import Any

ALIASES = {"graphc.eager.nn": "graphc.nn", "graphc.eager.optim": "graphc.optim"}


def target_of(fullname: str) -> str | None:
    """The real module's name for an alias name (None for any other name)."""
    for alias, real in ALIASES.items():
        if fullname == alias or fullname.startswith(alias + "."):
            return real + fullname[len(alias):]
    return None


class _AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and 'loads' an alias name as the real module, imported under its own name."""

    def __init__(self) -> None:
        self._specs: dict[str, Any] = {}

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        real = target_of(fullname)
        found = None if real is None else importlib.util.find_spec(real)
        if found is None:
            return None
        return importlib.util.spec_from_loader(
            fullname, self, is_package=found.submodule_search_locations is not None)

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(target_of(spec.name))  # type: ignore[arg-type]
        # the import system sets module.__spec__ to the alias's spec; exec_module restores it
        self._specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._specs.pop(module.__spec__.name)  # type: ignore[union-attr]


def install() -> None:
    """Put the finder first on sys.meta_path (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _AliasFinder())
