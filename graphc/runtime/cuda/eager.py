"""Eager ops on device tensors: the same kernels the graph backend launches, called at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from graphc.graph import TensorType
from graphc.registry import OpDef
from graphc.runtime.backend import warn_fallback
from graphc.runtime.cuda import device
from graphc.runtime.cuda.backend import kernel_for_op
from graphc.runtime.cuda.table import Call


def run_op(opdef: OpDef, arrays: list[Any], attrs: dict[str, Any], out: TensorType) -> Any:
    """The op's result on the device, as a new array (never a view of an input)."""
    found = kernel_for_op(opdef.name, out)
    if found is None:  # the numpy reference, on host copies
        warn_fallback(opdef.name, "eager", "cuda")
        value = opdef.reference(*[device.to_host(a) for a in arrays], **attrs)  # type: ignore[misc]
        return device.to_device(np.asarray(value, dtype=out.dtype.np))
    (result,) = found.launch(Call(arrays, attrs, [out]))
    return device.copy(result) if found.view else result
