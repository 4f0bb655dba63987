"""Exceptions graphc raises, named as TensorFlow names them so its users recognise them."""


class GraphcError(Exception):
    """Base class of graphc's own errors."""


class InvalidArgumentError(GraphcError, ValueError):
    """A run was given a value it cannot use: a bad feed, or an op failing on its inputs."""


class FailedPreconditionError(GraphcError, RuntimeError):
    """A run needs state that is not there yet, such as an uninitialized Variable."""
