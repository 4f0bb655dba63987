"""Backends that execute Programs; importing this package registers the built-in ones."""

from graphc.runtime import interpreter  # noqa: F401 - registers the "numpy" backend
from graphc.runtime.backend import BACKENDS, RunState, get_backend, register_backend

__all__ = ["BACKENDS", "RunState", "get_backend", "register_backend"]
