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

Both kernels are generated for what they read: a plain reduction reads its input; a
fused_reduction computes its elementwise expression (the ops' scalar templates, as the
elementwise kernels do) on each element it combines, so the value is never stored.
"""

from __future__ import annotations

import math
from functools import cache
from math import prod
from typing import Any

import numba
import numpy as np
from numba import cuda

from graphc.ops.debug import not_finite
from graphc.ops.reduce import NO_IDENTITY
from graphc.ops.shape import insert_ones
from graphc.runtime.cuda import device
from graphc.runtime.cuda.elementwise import compiled, launch_over, scalar_code
from graphc.runtime.cuda.table import Call, Launcher, kernel

SUM, MAX, MEAN = 0, 1, 2


def _larger(best: Any, v: Any) -> Any:
    """The larger of two values, a NaN winning, the later on a tie (kernels.larger on the
    CPU)."""
    return v if v >= best or v != v else best


def _result(acc: Any, kind: int, count: Any) -> Any:
    """What an output holds: the mean's float64 sum over the count (0 / 0 is NaN: numba's
    CUDA target divides as IEEE does), else the accumulator."""
    if kind == MEAN:
        return acc / count if count != 0 else math.nan
    return acc


@cache
def _device_functions() -> dict[str, Any]:
    return {"larger": cuda.jit(device=True)(_larger), "result": cuda.jit(device=True)(_result)}


# The two kernels, generated for each body: the lines computing `value` from x0, x1, ...,
# the elements of the inputs each read at its index: k (it holds the value's elements),
# o (one element per output, an output's row), or 0 (one element). A plain reduction's
# body is its input, "x0". The accumulator starts as a float64 (numpy's scalar, so numba's
# CUDA simulator, where a Python 0.0 plus a float32 stays float32, adds in float64 too).
PER_THREAD = """
def kernel(out, base, inner, count{params}):
    for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        acc = {start}
        for j in range(inner.size):
            k = base[o] + inner[j]
{element}
            acc = {combine}
        out[o] = result(acc, {kind}, count)
"""
PER_BLOCK = """
def kernel(out, base, inner, count{params}):
    partial = cuda.shared.array({threads}, numba.float64)
    t = cuda.threadIdx.x
    for o in range(cuda.blockIdx.x, out.size, cuda.gridDim.x):
        acc = {start}
        for j in range(t, inner.size, {threads}):
            k = base[o] + inner[j]
{element}
            acc = {combine}
        partial[t] = acc
        cuda.syncthreads()
        width = {threads} // 2
        while width > 0:
            if t < width:
                acc, value = partial[t], partial[t + width]
                partial[t] = {combine}
            cuda.syncthreads()
            width //= 2
        if t == 0:
            out[o] = result(partial[0], {kind}, count)
        cuda.syncthreads()
"""


def _source(template: str, body: str, at: tuple[str, ...], kind: int) -> str:
    """The kernel of `template` reducing `body` over inputs a0, a1, ..., input i read at
    index at[i]: "k", "o" or "0"."""
    *statements, value = body.split("\n")
    reads = [f"x{i} = a{i}[{index}]" for i, index in enumerate(at)]
    element = "\n".join(f"            {line}" for line in [*reads, *statements,
                                                            f"value = {value}"])
    return template.format(
        params="".join(f", a{i}" for i in range(len(at))), element=element, kind=kind,
        threads=device.THREADS, start=f"np.float64({'-np.inf' if kind == MAX else '0.0'})",
        combine="larger(acc, value)" if kind == MAX else "acc + value")


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


@cache  # (a run launches it again each time: no source to format and hash then)
def reduction_kernel(per_block: bool, body: str, at: tuple[str, ...], kind: int) -> Any:
    """The kernel `kernel(out, base, inner, count, a0, a1, ...)` (a block per output, or a
    thread) reducing body over inputs read at indices `at` (see _source)."""
    source = _source(PER_BLOCK if per_block else PER_THREAD, body, at, kind)
    return compiled(source, numba=numba, **_device_functions())


def launch_reduction(body: str, inputs: list[Any], shape: tuple[int, ...],
                     axes: tuple[int, ...], kind: int, out: Any,
                     per_row: tuple[bool, ...] = ()) -> Any:
    """out (any shape holding the kept elements in order) = `body` (scalar code over x0,
    x1, ...: elementwise.scalar_code) over inputs of the value's `shape`, of one element,
    or (where per_row says so) of one element per output, reduced over axes."""
    size = prod(shape)
    shape, axes = (shape, axes) if shape else ((1,), (0,))
    count = float(prod(shape[d] for d in axes))
    if kind == MAX and not count:  # (numpy refuses it even with no rows to reduce)
        raise ValueError(NO_IDENTITY)
    if out.size == 0:
        return out
    base, inner = _offsets(shape, axes)
    at = tuple("0" if a.size == 1 else "o" if i < len(per_row) and per_row[i] else "k"
               for i, a in enumerate(inputs))
    # no elements to read (each output is 0, or NaN for a mean): any array stands for each
    arrays = [device.flat(a) if size else device.empty((1,), a.dtype) for a in inputs]
    per_block = inner.size > 32 * device.THREADS and out.size < 64 * device.THREADS
    fn = reduction_kernel(per_block, body, at, kind)
    blocks = max(1, min(device.MAX_BLOCKS, out.size)) if per_block else \
        device.blocks_for(out.size)
    fn[blocks, device.THREADS](device.flat(out), base, inner, count, *arrays)
    return out


def launch_reduce(x: Any, axes: tuple[int, ...], kind: int, out: Any) -> Any:
    """out (any shape holding the kept elements in order) = x reduced over axes."""
    return launch_reduction("x0", [x], tuple(x.shape), axes if x.shape else (), kind, out)


def _axes(call: Call, rank: int | None = None) -> tuple[int, ...]:
    """The axes reduced: attrs' axis, or every axis of input 0 (or of a value of `rank`)."""
    axis = call.attrs["axis"]
    rank = len(call.args[0].shape) if rank is None else rank
    return tuple(range(rank)) if axis is None else tuple(axis)


KINDS = {"reduce_sum": SUM, "reduce_mean": MEAN, "reduce_max": MAX}


def _reduction(kind: int) -> Launcher:
    return lambda call: [launch_reduce(call.args[0], _axes(call), kind, call.out())]


for _op, _kind in KINDS.items():
    kernel(_op)(_reduction(_kind))


@kernel("fused_reduction")
def _fused_reduction(call: Call) -> list[Any]:
    """The expression reduced as it is computed, each input read where the reduction
    reads it: one of the value's shape at each element, one with 1s at the reduced axes
    (the last ones) once per output; any other that broadcasts is first copied out to the
    value's shape, and an integer power (whose error flag only the elementwise launch
    reads back) is computed there."""
    body = scalar_code(call.attrs["expression"])
    shape = tuple(np.broadcast_shapes(*(tuple(a.shape) for a in call.args)))
    axes = _axes(call, len(shape))
    row = tuple(1 if d in axes else n for d, n in enumerate(shape))
    trailing = axes == tuple(range(len(shape) - len(axes), len(shape)))
    per_row = tuple(trailing and tuple(a.shape) == row != shape for a in call.args)
    inputs = [a if a.size == 1 or tuple(a.shape) == shape or by_row else
              launch_over("x0", [a], device.empty(shape, a.dtype))
              for a, by_row in zip(call.args, per_row)]
    if "int_power(" in body:
        inputs = [launch_over(body, inputs, device.empty(shape, call.outs[0].dtype.np))]
        body, per_row = "x0", ()
    return [launch_reduction(body, inputs, shape, axes, KINDS[call.attrs["reduction"]],
                             call.out(), per_row)]


@kernel("sum_to")
def _sum_to(call: Call) -> list[Any]:
    """x summed over its extra leading dims and the dims where like's shape has a 1."""
    x, like = call.args
    target = insert_ones(tuple(like.shape), call.attrs["axes"], 1)
    lead = len(x.shape) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(target)
                                      if d == 1 and x.shape[lead + i] != 1)
    return [launch_reduce(x, axes, SUM, call.out())]


@kernel("check_numerics", view=True)
def _check_numerics(call: Call) -> list[Any]:
    """x itself, once a sum over x of 1 per NaN or infinity (x - x is NaN exactly there)
    is read back as 0: a run stops at the check, so it waits for the count (in a buffer of
    its own, not the pool's: the check is for debugging, and the pool's are for outputs)."""
    x = call.args[0]
    if x.dtype.kind == "f" and x.size:
        count = launch_reduction("(1.0 if x0 - x0 != x0 - x0 else 0.0)", [x], tuple(x.shape),
                                 tuple(range(len(x.shape))), SUM,
                                 device.empty((1,), np.float64))
        bad = int(device.to_host(count)[0])
        if bad:
            raise ValueError(not_finite(call.attrs["message"], bad, x.size))
    return [x]
