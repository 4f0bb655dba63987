"""C extension modules loaded from their files, without importing their packages: scipy's
cython_blas without scipy.linalg (0.3 s), numba's C helpers without numba (0.3 s and more).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType


def load_extension(name: str, path: Path) -> ModuleType | None:
    """The extension module `name` from the file at `path`; None if it is not one.
    (Importing its package later finds the same module state: CPython keeps one copy of a
    single-phase extension per file and name.)"""
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module
