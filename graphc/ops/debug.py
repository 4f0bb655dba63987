"""Debugging ops: check_numerics stops a run at the first NaN or infinity."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.errors import InvalidArgumentError
from graphc.ops.core import apply
from graphc.registry import OpDef, register


def not_finite(message: str, bad: int, size: int) -> str:
    """What a failed check says (every backend's words)."""
    return f"{message}: {bad} of {size} values are NaN or infinite"


def _check(x: np.ndarray, message: str) -> np.ndarray:
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        raise InvalidArgumentError(not_finite(message, int(np.count_nonzero(~np.isfinite(x))),
                                              x.size))
    return x


# forward y = x, raising if x holds a NaN or an infinity; backward dy passes through
CHECK_NUMERICS = register(OpDef("check_numerics", lambda types, attrs: types[0], _check,
                                lambda op, g: (g,), elementwise=True, view=True,
                                check=True))


def check_numerics(tensor: Any, message: str, name: str | None = None) -> Any:
    """`tensor`, unchanged; a run (or eager call) fails with `message` if it holds NaN/Inf."""
    return apply(CHECK_NUMERICS, tensor, name=name, message=str(message))
