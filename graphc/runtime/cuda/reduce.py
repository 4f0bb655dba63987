"""Reductions, in two shapes. Where each output combines many elements and there are
few outputs (a full sum), one block per output: its threads stride over the reduced
elements and combine their partial results in shared memory (a tree). Otherwise (a bias
gradient summing a batch) one thread per output, looping over its elements.

Which input elements an output combines is given by two index arrays made once per
(shape, axes): `base[o]`, the offset of output o's first element, and `inner[k]`, the
offsets of the reduced elements relative to it. So one kernel reduces any axes of any
rank, sums and means accumulate in float64 as the CPU backends do, and the full sum of
a large tensor still spreads over a block of threads. A mean is the float64 sum divided
by the count (NaN for none), rounded once as it is stored (ops/reduce.py); a max
propagates NaN, as numpy's does.
"""

from __future__ import annotations

import math
from functools import cache
from math import prod
from typing import Any

import numba
import numpy as np
from numba import cuda

from graphc.ops.shape import insert_ones
from graphc.runtime.cuda import device
from graphc.runtime.cuda.table import Call, kernel

SUM, MAX, MEAN = 0, 1, 2


def _larger(best: Any, v: Any) -> Any:
    """The larger of two values, a NaN winning (kernels._larger on the CPU)."""
    return v if v > best or v != v else best


def _result(acc: Any, kind: int, count: Any) -> Any:
    """What an output holds: the mean's float64 sum over the count (0 / 0 is NaN: numba's
    CUDA target divides as IEEE does), else the accumulator."""
    if kind == MEAN:
        return acc / count if count != 0 else math.nan
    return acc


@cache
def _device_functions() -> tuple[Any, Any]:
    return cuda.jit(device=True)(_larger), cuda.jit(device=True)(_result)


@cache
def _per_thread_kernel(kind: int) -> Any:
    start = -np.inf if kind == MAX else 0.0
    larger, result = _device_functions()

    @cuda.jit
    def reduce(x, base, inner, out, count):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            acc = start
            for j in range(inner.size):
                v = x[base[o] + inner[j]]
                acc = larger(acc, v) if kind == MAX else acc + v
            out[o] = result(acc, kind, count)

    return reduce


@cache
def _per_block_kernel(kind: int) -> Any:
    threads = device.THREADS
    start = -np.inf if kind == MAX else 0.0
    larger, result = _device_functions()

    @cuda.jit
    def reduce(x, base, inner, out, count):
        partial = cuda.shared.array(threads, numba.float64)
        t = cuda.threadIdx.x
        for o in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
            acc = start
            for j in range(t, inner.size, threads):
                v = x[base[o] + inner[j]]
                acc = larger(acc, v) if kind == MAX else acc + v
            partial[t] = acc
            cuda.syncthreads()
            width = threads // 2
            while width > 0:
                if t < width:
                    other = partial[t + width]
                    partial[t] = larger(partial[t], other) if kind == MAX else \
                        partial[t] + other
                cuda.syncthreads()
                width //= 2
            if t == 0:
                out[o] = result(partial[0], kind, count)
            cuda.syncthreads()

    return reduce


@cache
def _offsets(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[Any, Any]:
    """Device arrays (base, inner) of element offsets for reducing `shape` over `axes`."""
    kept = [d for d in range(len(shape)) if d not in axes]
    rows = np.transpose(np.arange(prod(shape), dtype=np.int64).reshape(shape),
                        kept + list(axes)).reshape(prod(shape[d] for d in kept),
                                                   prod(shape[d] for d in axes))
    if rows.size == 0:
        base, inner = np.zeros(len(rows), np.int64), np.zeros(0, np.int64)
    else:
        base, inner = rows[:, 0].copy(), rows[0] - rows[0, 0]
    return device.to_device(base), device.to_device(inner)


def launch_reduce(x: Any, axes: tuple[int, ...], kind: int, out: Any) -> Any:
    """out (any shape holding the kept elements in order) = x reduced over axes."""
    if out.size == 0:
        return out
    shape = tuple(x.shape) or (1,)
    axes = axes if x.shape else (0,)
    base, inner = _offsets(shape, axes)
    count = float(prod(shape[d] for d in axes))
    # no elements to read (each output is 0, or NaN for a mean): any array stands for x
    flat_x = device.flat(x) if x.size else device.empty((1,), x.dtype)
    args = (flat_x, base, inner, device.flat(out), count)
    if inner.size > 32 * device.THREADS and out.size < 64 * device.THREADS:
        _per_block_kernel(kind)[max(1, min(device.MAX_BLOCKS, out.size)), device.THREADS](*args)
    else:
        _per_thread_kernel(kind)[device.blocks_for(out.size), device.THREADS](*args)
    return out


def _axes(call: Call) -> tuple[int, ...]:
    axis = call.attrs["axis"]
    return tuple(range(len(call.args[0].shape))) if axis is None else tuple(axis)


kernel("reduce_sum")(lambda call: [launch_reduce(call.args[0], _axes(call), SUM, call.out())])
kernel("reduce_mean")(lambda call: [launch_reduce(call.args[0], _axes(call), MEAN, call.out())])
kernel("reduce_max")(lambda call: [launch_reduce(call.args[0], _axes(call), MAX, call.out())])


@kernel("sum_to")
def _sum_to(call: Call) -> list[Any]:
    """x summed over its extra leading dims and the dims where like's shape has a 1."""
    x, like = call.args
    target = insert_ones(tuple(like.shape), call.attrs["axes"], 1)
    lead = len(x.shape) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target)
                                      if d == 1 and x.shape[lead + i] != 1)
    return [launch_reduce(x, axes, SUM, call.out())]
