"""Matrix products: a tiled shared-memory kernel with transpose flags and an epilogue.

Each block computes a TILE x TILE tile of the product, staging TILE-wide slabs of both
operands in shared memory; a transposed operand is read along its rows, so loads stay
coalesced either way. matmul_add's epilogue, beta * c + scale * product, is applied as each
element is written; matmul_epilogue's expression runs as a generated elementwise kernel
over the product (runtime/cuda/fused.py).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numba
import numpy as np
from numba import cuda

from graphc.runtime.cuda import device
from graphc.runtime.cuda.elementwise import strides_for
from graphc.runtime.cuda.table import Call, kernel

EPILOGUES = ("none", "add", "subtract")


@cache
def matmul_kernel(epilogue: str, ta: bool, tb: bool, dtype: np.dtype) -> Any:
    """The kernel for one (epilogue, flags, dtype); numba compiles it once per process."""
    tile = device.TILE
    element = numba.from_dtype(dtype)
    zero = dtype.type(0)
    epi = EPILOGUES.index(epilogue)

    @cuda.jit
    def product(a, b, out, extra, er, ec, scale, beta):
        sa = cuda.shared.array((tile, tile), element)
        sb = cuda.shared.array((tile, tile), element)
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        row0, col0 = cuda.blockIdx.y * tile, cuda.blockIdx.x * tile
        m, n = out.shape
        k = a.shape[0] if ta else a.shape[1]
        acc = zero
        for t in range((k + tile - 1) // tile):
            if ta:  # a is (k, m): consecutive threads read consecutive rows of it
                r, q = row0 + tx, t * tile + ty
                sa[tx, ty] = a[q, r] if r < m and q < k else zero
            else:
                r, q = row0 + ty, t * tile + tx
                sa[ty, tx] = a[r, q] if r < m and q < k else zero
            if tb:  # b is (n, k)
                c, q = col0 + ty, t * tile + tx
                sb[tx, ty] = b[c, q] if c < n and q < k else zero
            else:
                c, q = col0 + tx, t * tile + ty
                sb[ty, tx] = b[q, c] if c < n and q < k else zero
            cuda.syncthreads()
            for j in range(tile):
                acc += sa[ty, j] * sb[j, tx]
            cuda.syncthreads()
        row, col = row0 + ty, col0 + tx
        if row < m and col < n:
            e = extra[row * er + col * ec]
            if epi == 0:
                out[row, col] = acc
            elif epi == 1:
                out[row, col] = beta[0] * e + scale[0] * acc
            else:
                out[row, col] = beta[0] * e - scale[0] * acc

    return product


@cache
def _placeholder(dtype: np.dtype) -> Any:
    """A one-element device array standing in for an absent extra operand or scale."""
    return device.to_device(np.zeros(1, dtype))


def launch_matmul(call: Call, epilogue: str, extra: Any = None, scale: Any = None,
                  beta: Any = None) -> list[Any]:
    a, b = call.args[0], call.args[1]
    out = call.out()
    m, n = out.shape
    dtype = np.dtype(out.dtype)
    if extra is None:
        extra, (er, ec) = _placeholder(dtype), (0, 0)
    else:  # broadcast to (m, n) by strides
        er, ec = strides_for(tuple(extra.shape), (m, n))
        extra = device.flat(extra)
    scale = _placeholder(dtype) if scale is None else device.flat(scale)
    beta = _placeholder(dtype) if beta is None else device.flat(beta)
    fn = matmul_kernel(epilogue, call.attrs["transpose_a"], call.attrs["transpose_b"], dtype)
    tile = device.TILE
    grid = (-(-n // tile) or 1, -(-m // tile) or 1)
    fn[grid, (tile, tile)](a, b, out, extra, er, ec, scale, beta)
    return [out]


@kernel("matmul")
def _matmul(call: Call) -> list[Any]:
    return launch_matmul(call, "none")
