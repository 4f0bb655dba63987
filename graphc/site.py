"""Where in the user's code a node was created, for error messages and renders."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Files inside the package written as user code: the model `graphc demo` builds is the
# demo's own program, so its nodes' sites are demo.py's lines, not the console script's.
_USER_FILES = frozenset(os.path.join(_PACKAGE_DIR, name) for name in ("demo.py",))


@dataclass(frozen=True, slots=True)
class Site:
    """A file and line in user code."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


_inside: dict[str, bool] = {}  # file name -> whether it belongs to graphc (asked once per file)


def user_site() -> Site:
    """The innermost calling frame that lies outside the graphc package."""
    depth, frame = _user_frame()
    return Site("<unknown>", 0) if frame is None else Site(frame.f_code.co_filename,
                                                           frame.f_lineno)


def user_stacklevel() -> int:
    """The `stacklevel` that makes a warning raised by warnings.warn's caller point at the
    user's line (the innermost calling frame outside the graphc package)."""
    depth, frame = _user_frame()
    return depth if frame is not None else 1


def _user_frame() -> tuple[int, Any]:
    """The innermost frame outside graphc (None: there is none) and its depth, counted as
    warnings.warn counts stacklevel: 1 is the caller of user_site or user_stacklevel."""
    frame: Any = sys._getframe(2)
    depth = 1
    while frame is not None:
        filename = frame.f_code.co_filename
        inside = _inside.get(filename)
        if inside is None:  # (graphc's generated code is named "<graphc ...>")
            path = os.path.abspath(filename)
            inside = _inside[filename] = filename.startswith("<graphc") or (
                path.startswith(_PACKAGE_DIR + os.sep) and path not in _USER_FILES)
        if not inside:
            return depth, frame
        frame, depth = frame.f_back, depth + 1
    return depth, None
