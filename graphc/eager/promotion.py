"""PyTorch's type promotion for eager elementwise ops across kinds (bool < integer < float).

An int64 tensor raised to a float tensor's power, or a float tensor times an int tensor,
computes in the float tensor's dtype; an int tensor times 2.5 in the default float dtype.
Operands rank in three groups: tensors with dims, 0-d tensors, Python numbers. A later
group decides the dtype only where its kind is higher than every earlier group's (so
float32 dims times a float64 0-d tensor stay float32, int dims times a float64 0-d tensor
are float64). Within one kind graphc keeps its rule that dtypes must match (float32 dims
plus float64 dims is an error that says to cast), as it does in graphs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from graphc.dtypes import DType, as_dtype
from graphc.eager.defaults import get_default_dtype

_KIND_RANK = {"b": 0, "i": 1, "u": 1, "f": 2}


def _kind_of_number(value: Any) -> int | None:
    if isinstance(value, bool | np.bool_):
        return 0
    if isinstance(value, int | np.integer):
        return 1
    if isinstance(value, float | np.floating):
        return 2
    return None


def _default_for(rank: int) -> DType:
    return as_dtype(("bool", "int64", get_default_dtype().name)[rank])


def promoted_dtype(operands: Sequence[Any]) -> DType | None:
    """The dtype the operands compute in, where it differs in kind from some operand's;
    None where no promotion across kinds applies (the op's own rule then decides)."""
    groups: tuple[list[tuple[int, DType | None]], ...] = ([], [], [])
    for x in operands:
        dtype = getattr(x, "dtype", None)
        if dtype is not None and hasattr(x, "ndim") and not isinstance(x, np.generic):
            d = as_dtype(dtype)
            groups[0 if x.ndim else 1].append((_KIND_RANK[d.np.kind], d))
        else:
            rank = _kind_of_number(x)
            if rank is None:
                return None  # not a number: the op's conversion reports it
            groups[2].append((rank, None))
    best, target = -1, None
    for group in groups:
        if not group:
            continue
        rank = max(r for r, _ in group)
        if rank <= best:
            continue
        dtypes = {d for r, d in group if r == rank}
        if len(dtypes) > 1:
            return None  # one kind, two widths: the op's rule names both
        best, (target,) = rank, dtypes
        target = target or _default_for(rank)
    mixed = any(d is not None and d != target for group in groups for _, d in group)
    kinds = {r for group in groups for r, _ in group}
    return target if mixed or len(kinds) > 1 else None
