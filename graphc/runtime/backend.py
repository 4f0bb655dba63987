"""The backend protocol: compile a Program once, then call the result once per run."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from graphc.graph import Node
from graphc.ops.random import make_rng
from graphc.program import Program
from graphc.site import user_stacklevel


class RunState:
    """What a run may read besides its feeds: variable values and per-op random generators."""

    def __init__(self, variables: dict[Node, Any] | None = None,
                 rngs: dict[Node, np.random.Generator] | None = None,
                 device_random: dict[Node, Any] | None = None) -> None:
        self.variables: dict[Node, Any] = {} if variables is None else variables
        self._rngs: dict[Node, np.random.Generator] = {} if rngs is None else rngs
        # generator states on the GPU, per random op (the cuda backend's)
        self.device_random: dict[Node, Any] = {} if device_random is None else device_random

    def snapshot(self) -> RunState:
        """The variable values as they are now, sharing the random generators."""
        return RunState(dict(self.variables), self._rngs, self.device_random)

    def rng(self, node: Node) -> np.random.Generator:
        if node not in self._rngs:
            self._rngs[node] = make_rng(node.attrs["seed"])
        return self._rngs[node]


class Executable(Protocol):
    """A compiled Program. Returns the fetched values and the pending variable writes;
    it must not change `state.variables` itself (the Session commits after success), and
    no write may share memory with a feed (those are the user's arrays, which the Session
    does not copy).

    The exception: an executable with `updates_in_place` may write a variable's new value
    into the variable's own buffer (and return that buffer as the write), when it knows the
    run cannot fail after doing so. The Session then runs it with no other run in flight."""

    updates_in_place: bool

    def __call__(self, feeds: Sequence[np.ndarray],
                 state: RunState) -> tuple[list[np.ndarray], dict[Node, np.ndarray]]: ...


class Backend(Protocol):
    name: str
    # whether control flow's function graphs run as programs this backend compiles, on host
    # arrays (graphc/function_runner.py); where not, they run on the numpy interpreter
    runs_functions: bool

    def compile(self, program: Program, check_numerics: bool = False) -> Executable:
        """An executable for `program`; with check_numerics, the first op whose output holds
        a NaN or an infinity raises InvalidArgumentError naming it."""
        ...

    def place(self, value: Any) -> Any:
        """A value (host or device array) moved to where this backend keeps variables."""
        ...


class FallbackWarning(UserWarning):
    """An op ran on its numpy reference because the backend has no kernel for it."""


_warned: set[tuple[str, str]] = set()


def warn_fallback(op: str, where: str, backend: str, reason: str = "") -> None:
    """Warn, once per op and backend per process, that an op (`where`: which node, or
    "eager") runs on its numpy reference."""
    if (op, backend) in _warned:
        return
    _warned.add((op, backend))
    reason = reason or f"the {backend} backend has no kernel for it"
    warnings.warn(f"op '{op}' ({where}) runs on its numpy reference: {reason}",
                  FallbackWarning, stacklevel=user_stacklevel())


BACKENDS: dict[str, Callable[[], Backend]] = {}
DEFAULT_BACKEND = "numba"


def register_backend(name: str, factory: Callable[[], Backend]) -> None:
    """Make a backend available to Session(backend=name)."""
    BACKENDS[name] = factory


def default_backend() -> str:
    """$GRAPHC_BACKEND if set, else "numba"."""
    return os.environ.get("GRAPHC_BACKEND") or DEFAULT_BACKEND


def get_backend(name: str | None) -> Backend:
    """The backend called `name` (the default when None)."""
    name = name or default_backend()
    if name not in BACKENDS:
        raise ValueError(f"unknown backend '{name}'; available: {', '.join(sorted(BACKENDS))}")
    return BACKENDS[name]()
