"""C extension modules loaded from their files, without importing their packages: scipy's
cython_blas without scipy.linalg (0.3 s), numba's C helpers without numba (0.3 s and more).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path
from types import ModuleType


def extension_in(name: str, folder: Path) -> ModuleType | None:
    """The extension module `name` (e.g. "numba._helperlib") from its file in `folder`,
    the last part of the name with one of this Python's extension suffixes; None if there
    is no such file. (Importing its package later finds the same module state: CPython
    keeps one copy of a single-phase extension per file and name.)"""
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"{name.rsplit('.', 1)[-1]}{suffix}"
        if not path.is_file():
            continue
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
        if spec is not None:
            module = importlib.util.module_from_spec(spec)
            loader.exec_module(module)
            return module
    return None
