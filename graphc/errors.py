"""Exceptions graphc raises, named as TensorFlow names them so its users recognise them."""

from typing import Any


def refuse_unsupported(function: str, **options: Any) -> None:
    """NotImplementedError naming the first of a function's options that was given (is not
    None) though graphc does not support it (a layer's regularizers, say)."""
    for label, value in options.items():
        if value is not None:
            raise NotImplementedError(f"{function}: {label} is not supported")


class GraphcError(Exception):
    """Base class of graphc's own errors."""


class InvalidArgumentError(GraphcError, ValueError):
    """A run was given a value it cannot use: a bad feed, or an op failing on its inputs."""


class FailedPreconditionError(GraphcError, RuntimeError):
    """A run needs state that is not there yet, such as an uninitialized Variable."""
