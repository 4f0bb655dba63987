"""Filled tensors: every element one value, written by a grid-stride loop."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numba import cuda

from graphc.runtime.cuda import device
from graphc.runtime.cuda.table import Call, kernel


@cache
def _fill_kernel() -> Any:

    @cuda.jit
    def fill(out, value):
        for i in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            out[i] = value

    return fill


def fill(out: Any, value: Any) -> Any:
    """out with every element set to value (converted to out's dtype first)."""
    _fill_kernel()[device.blocks_for(out.size), device.THREADS](device.flat(out),
                                                                 out.dtype.type(value))
    return out


@kernel("fill", "fill_like")
def _fill(call: Call) -> list[Any]:
    return [fill(call.out(), call.attrs["value"])]


@kernel("reduction_count")
def _reduction_count(call: Call) -> list[Any]:
    shape, axis = call.args[0].shape, call.attrs["axis"]
    count = 1
    for d in range(len(shape)) if axis is None else axis:
        count *= shape[d]
    return [fill(call.out(), count)]


@kernel("shape_of")
def _shape_of(call: Call) -> list[Any]:
    """The input's shape, known on the host: copied into the output on the device."""
    out = call.out()
    out.copy_to_device(np.array(call.args[0].shape, out.dtype))
    return [out]
