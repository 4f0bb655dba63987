"""CUDA kernels of TensorFlow 1's array ops and reductions (ops/array.py, ops/reduce.py):
argmax, argmin, reduce_min, reduce_prod, reduce_any, reduce_all and one_hot; concat,
split_part and split_pad, which copy blocks of a tensor seen as (outer, n, inner) around its
axis; expand_dims and squeeze, which are views here (a device array is always contiguous);
gather and scatter_add (atomic adds, so repeated indices add up in any order), which flag an
index out of range for the launch to raise, as the CPU backends do; tile and tile_sum (one
thread per output, which sums its tiles in float64 for floats).

The reductions run one thread per output, each looping over the elements it combines,
which it finds as reduce.py's kernels do: `base[o]`, the offset of output o's first element,
plus `inner[k]`, the offsets of the reduced elements relative to it (in C order, so for one
axis k is the index along it). Products of floats multiply in float64 and round once, as on
the CPU; integer products wrap around in their dtype. min propagates NaN and argmax/argmin
pick the first of ties and the first NaN, as numpy's do.
"""

from __future__ import annotations

from functools import cache
from math import prod
from typing import Any

import numpy as np
from numba import cuda

from graphc.ops.array import part_range
from graphc.ops.reduce import NO_IDENTITY
from graphc.runtime.cuda import constant, device
from graphc.runtime.cuda.reduce import _offsets
from graphc.runtime.cuda.table import Call, kernel


@cache
def min_kernel() -> Any:
    @cuda.jit
    def reduce_min(x, base, inner, out):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            best = x[base[o]]
            for j in range(1, inner.size):
                v = x[base[o] + inner[j]]
                if v < best or v != v:
                    best = v
                if best != best:
                    break
            out[o] = best

    return reduce_min


@cache
def prod_kernel(widen: bool) -> Any:
    """Floats (widen) multiply in float64; integers in int64, wrapping once stored."""
    one = 1.0 if widen else 1

    @cuda.jit
    def reduce_prod(x, base, inner, out):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            acc = one
            for j in range(inner.size):
                acc *= x[base[o] + inner[j]]
            out[o] = acc

    return reduce_prod


@cache
def logical_kernel(every: bool) -> Any:
    @cuda.jit
    def reduce_logical(x, base, inner, out):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            acc = every
            for j in range(inner.size):
                v = x[base[o] + inner[j]]
                if every:
                    acc = acc and v
                else:
                    acc = acc or v
            out[o] = acc

    return reduce_logical


@cache
def arg_kernel(smallest: bool) -> Any:
    @cuda.jit
    def arg_extreme(x, base, inner, out):
        for o in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            best = x[base[o]]
            at = 0
            for j in range(1, inner.size):
                if best != best:
                    break
                v = x[base[o] + inner[j]]
                better = v < best if smallest else v > best
                if better or v != v:
                    best = v
                    at = j
            out[o] = at

    return arg_extreme


@cache
def one_hot_kernel() -> Any:
    @cuda.jit
    def one_hot(indices, depth, inner, on, off, out):
        for p in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            o = p // (depth * inner)
            rest = p - o * depth * inner
            d = rest // inner
            out[p] = on if indices[o * inner + rest - d * inner] == d else off

    return one_hot


def _launch(make: Any, x: Any, axes: tuple[int, ...], out: Any, needs_elements: bool) -> Any:
    """out = x reduced over axes by the kernel `make` (one thread per output)."""
    shape = tuple(x.shape) or (1,)
    count = prod(shape[d] for d in axes)
    if count == 0 and needs_elements:  # (numpy refuses it even with no rows to reduce)
        raise ValueError(NO_IDENTITY)
    if out.size == 0:
        return out
    base, inner = _offsets(shape, axes)
    flat_x = device.flat(x) if x.size else device.empty((1,), x.dtype)
    make[device.blocks_for(out.size), device.THREADS](flat_x, base, inner, device.flat(out))
    return out


def _axes(call: Call) -> tuple[int, ...]:
    axis = call.attrs["axis"]
    return tuple(range(len(call.args[0].shape))) if axis is None else tuple(axis)


@kernel("reduce_min")
def _reduce_min(call: Call) -> list[Any]:
    return [_launch(min_kernel(), call.args[0], _axes(call), call.out(), True)]


@kernel("reduce_prod")
def _reduce_prod(call: Call) -> list[Any]:
    widen = np.dtype(call.args[0].dtype).kind == "f"
    return [_launch(prod_kernel(widen), call.args[0], _axes(call), call.out(), False)]


@kernel("reduce_any")
def _reduce_any(call: Call) -> list[Any]:
    return [_launch(logical_kernel(False), call.args[0], _axes(call), call.out(), False)]


@kernel("reduce_all")
def _reduce_all(call: Call) -> list[Any]:
    return [_launch(logical_kernel(True), call.args[0], _axes(call), call.out(), False)]


@kernel("argmax")
def _argmax(call: Call) -> list[Any]:
    return [_launch(arg_kernel(False), call.args[0], (call.attrs["axis"],), call.out(), True)]


@kernel("argmin")
def _argmin(call: Call) -> list[Any]:
    return [_launch(arg_kernel(True), call.args[0], (call.attrs["axis"],), call.out(), True)]


@kernel("one_hot")
def _one_hot(call: Call) -> list[Any]:
    indices, out = call.args[0], call.out()
    if out.size:
        axis, depth = call.attrs["axis"], call.attrs["depth"]
        inner = prod(tuple(indices.shape)[axis:])
        on, off = (out.dtype.type(call.attrs[k]) for k in ("on_value", "off_value"))
        one_hot_kernel()[device.blocks_for(out.size), device.THREADS](
            device.flat(indices), depth, inner, on, off, device.flat(out))
    return [out]


# -- concat, split_part, split_pad, expand_dims, squeeze -------------------------------------
@cache
def copy_block_kernel() -> Any:
    @cuda.jit
    def copy_block(src, dst, outer, src_n, dst_n, inner, src_begin, dst_begin, count):
        """dst[o, dst_begin + j, i] = src[o, src_begin + j, i] for j < count, both arrays
        flat views of (outer, src_n / dst_n, inner)."""
        block = count * inner
        for p in range(cuda.grid(1), outer * block, cuda.gridsize(1)):
            o = p // block
            rest = p - o * block
            j = rest // inner
            i = rest - j * inner
            dst[(o * dst_n + dst_begin + j) * inner + i] = \
                src[(o * src_n + src_begin + j) * inner + i]

    return copy_block


def _copy_block(src: Any, dst: Any, axis: int, src_begin: int, dst_begin: int,
                count: int) -> None:
    shape = tuple(dst.shape)
    outer, inner = prod(shape[:axis]), prod(shape[axis + 1:])
    if outer * count * inner:
        copy_block_kernel()[device.blocks_for(outer * count * inner), device.THREADS](
            device.flat(src), device.flat(dst), outer, src.shape[axis], dst.shape[axis],
            inner, src_begin, dst_begin, count)


def _range(call: Call, dim: int, refs: Any) -> tuple[int, int]:
    axis = call.attrs["axis"]
    return part_range(dim, call.attrs["parts"], call.attrs["index"],
                      [r.shape[axis] for r in refs])


@kernel("concat")
def _concat(call: Call) -> list[Any]:
    out, axis = call.out(), call.attrs["axis"]
    offset = 0
    for x in call.args:
        _copy_block(x, out, axis, 0, offset, x.shape[axis])
        offset += x.shape[axis]
    return [out]


@kernel("split_part")
def _split_part(call: Call) -> list[Any]:
    x, axis, out = call.args[0], call.attrs["axis"], call.out()
    begin, size = _range(call, x.shape[axis], call.args[1:])
    _copy_block(x, out, axis, begin, 0, size)
    return [out]


@kernel("split_pad")
def _split_pad(call: Call) -> list[Any]:
    g, axis, out = call.args[0], call.attrs["axis"], call.out()
    begin, size = _range(call, out.shape[axis], call.args[2:])
    if tuple(g.shape) != tuple(out.shape[:axis]) + (size,) + tuple(out.shape[axis + 1:]):
        raise ValueError(f"a part of shape {tuple(g.shape)} does not fit part "
                         f"{call.attrs['index']} of shape {tuple(out.shape)}")
    constant.fill(out, 0)
    _copy_block(g, out, axis, 0, begin, size)
    return [out]


@kernel("expand_dims", "squeeze", view=True)
def _reshaped(call: Call) -> list[Any]:
    """A view in the output's shape (its rule checked that squeezed dims are 1)."""
    return [call.args[0].reshape(tuple(call.outs[0].shape))]  # type: ignore[arg-type]


# -- gather, scatter_add, tile, tile_sum ------------------------------------------------------
OUT_OF_RANGE = "an index is out of range"


@cache
def gather_kernel() -> Any:
    @cuda.jit
    def gather(params, indices, out, n, m, inner, error):
        """out (outer, m, inner) = params (outer, n, inner) at the m flat indices."""
        block = m * inner
        for p in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            o = p // block
            rest = p - o * block
            j = rest // inner
            k = indices[j]
            if k < 0 or k >= n:
                error[0] = 1
                out[p] = 0
            else:
                out[p] = params[(o * n + k) * inner + rest - j * inner]

    return gather


@cache
def scatter_add_kernel() -> Any:
    @cuda.jit
    def scatter_add(values, indices, out, n, m, inner, error):
        """out (outer, n, inner), zeroed, += values (outer, m, inner) at the flat indices."""
        block = m * inner
        for p in range(cuda.grid(1), values.size, cuda.gridsize(1)):
            o = p // block
            rest = p - o * block
            j = rest // inner
            k = indices[j]
            if k < 0 or k >= n:
                error[0] = 1
            else:
                cuda.atomic.add(out, (o * n + k) * inner + rest - j * inner, values[p])

    return scatter_add


def _launch_indexed(make: Any, source: Any, indices: Any, out: Any, n: int, m: int,
                    inner: int) -> None:
    error = device.to_device(np.zeros(1, np.int32))
    size = max(source.size, out.size)
    make[device.blocks_for(size), device.THREADS](
        device.flat(source), device.flat(indices) if indices.size else
        device.empty((1,), indices.dtype), device.flat(out), n, m, inner, error)
    if device.to_host(error)[0]:
        raise ValueError(OUT_OF_RANGE)


@kernel("gather")
def _gather(call: Call) -> list[Any]:
    params, indices = call.args
    axis, out = call.attrs["axis"], call.out()
    shape = tuple(params.shape)
    if out.size:
        _launch_indexed(gather_kernel(), params, indices, out, shape[axis], indices.size,
                        prod(shape[axis + 1:]))
    elif indices.size and shape[axis] == 0:
        raise ValueError(OUT_OF_RANGE)
    return [out]


@kernel("scatter_add")
def _scatter_add(call: Call) -> list[Any]:
    values, indices, _ = call.args
    axis, out = call.attrs["axis"], call.out()
    shape = tuple(out.shape)
    expected = shape[:axis] + tuple(indices.shape) + shape[axis + 1:]
    if tuple(values.shape) != expected:
        raise ValueError(f"values of shape {tuple(values.shape)} do not fit {expected}")
    constant.fill(out, 0)
    if values.size:
        _launch_indexed(scatter_add_kernel(), values, indices, out, shape[axis],
                        indices.size, prod(shape[axis + 1:]))
    return [out]


@cache
def tile_kernel() -> Any:
    @cuda.jit
    def tile(x, out, x_shape, out_shape):
        """out[index] = x[index % x_shape] (C order; shapes as tuples of one rank)."""
        for p in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            rest, offset, step = p, 0, 1
            for d in range(len(out_shape) - 1, -1, -1):
                k = rest % out_shape[d]
                rest //= out_shape[d]
                offset += (k % x_shape[d]) * step
                step *= x_shape[d]
            out[p] = x[offset]

    return tile


@cache
def tile_sum_kernel(widen: bool) -> Any:
    zero = 0.0 if widen else 0

    @cuda.jit
    def tile_sum(g, out, g_shape, out_shape, tiles):
        """out[index] = the sum over the tiles of g at index + tile * out_shape."""
        for p in range(cuda.grid(1), out.size, cuda.gridsize(1)):
            acc = zero
            for t in range(tiles):
                rest, tile_rest, offset, step = p, t, 0, 1
                for d in range(len(out_shape) - 1, -1, -1):
                    k = rest % out_shape[d]
                    rest //= out_shape[d]
                    count = g_shape[d] // out_shape[d]
                    offset += (k + (tile_rest % count) * out_shape[d]) * step
                    tile_rest //= count
                    step *= g_shape[d]
                acc += g[offset]
            out[p] = acc

    return tile_sum


@kernel("tile")
def _tile(call: Call) -> list[Any]:
    x, out = call.args[0], call.out()
    if out.size:
        shape = tuple(x.shape) or (1,)
        tile_kernel()[device.blocks_for(out.size), device.THREADS](
            device.flat(x), device.flat(out), shape, tuple(out.shape) or (1,))
    return [out]


@kernel("tile_sum")
def _tile_sum(call: Call) -> list[Any]:
    g, out, multiples = call.args[0], call.out(), call.attrs["multiples"]
    shape = tuple(out.shape)
    if tuple(g.shape) != tuple(d * m for d, m in zip(shape, multiples)):
        raise ValueError(f"a tiling of shape {tuple(g.shape)} is not {list(multiples)} tiles "
                         f"of shape {shape}")
    if out.size and not g.size:  # no tiles: zeros
        constant.fill(out, 0)
    elif out.size:
        widen = np.dtype(out.dtype).kind == "f"
        tile_sum_kernel(widen)[device.blocks_for(out.size), device.THREADS](
            device.flat(g), device.flat(out), tuple(g.shape) or (1,), shape or (1,),
            prod(multiples))
    return [out]
