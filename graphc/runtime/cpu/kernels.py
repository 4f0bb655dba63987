"""Native kernels the generated code calls: each is compiled once per argument types
(op, dtype, rank) and cached on disk, then shared by every graph that uses it.

Elementwise ops need no kernel here: the code generator writes each as a loop of its own.
Kernels raise plain errors; the backend re-runs a failed run on the reference interpreter
to name the op and the shapes.

A kernel that makes an array takes it from the run's workspace: `space` is the segment's
byte buffer (see memory.py) and `slot` the part of it the memory plan gave the result, or
-1 for an array of its own (a result that outlives the run).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from numba import njit, types
from numba.cpython.unsafe.tuple import tuple_setitem
from numba.extending import overload

from graphc.ops.reduce import NO_IDENTITY
from graphc.runtime.cpu.blas import axpy  # noqa: F401 (called by generated update loops)
from graphc.runtime.cpu.blas import gemm, gemm_parts, inner_split

_kernel = njit(cache=True, nogil=True)


def scalar(x):  # type: ignore[no-untyped-def]
    """The value of a rank-0 result, which numba holds as a 0-d array or a plain scalar."""
    raise NotImplementedError("only callable from numba code")


@overload(scalar)
def _scalar_impl(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Array):
        return lambda x: x[()]
    return lambda x: x


def itemsize(dtype):  # type: ignore[no-untyped-def]
    """The size in bytes of a numpy scalar type, known when numba compiles."""
    raise NotImplementedError("only callable from numba code")


@overload(itemsize)
def _itemsize_impl(dtype):  # type: ignore[no-untyped-def]
    size = np.dtype(str(dtype.dtype)).itemsize
    return lambda dtype: size


def power_by_squaring(base, exponent):  # type: ignore[no-untyped-def]
    """numpy's integer power for exponent >= 0: squaring, each product wrapping around once
    converted to the op's dtype. The CUDA backend compiles this same loop."""
    result, square, n = 1, base, exponent
    while n > 0:
        if n & 1:
            result *= square
        square *= square
        n >>= 1
    return result


_squaring = njit(cache=True, nogil=True, inline="always")(power_by_squaring)


def power(base, exponent):  # type: ignore[no-untyped-def]
    """base ** exponent as the pow op's scalar template means it (ops/elementwise.py)."""
    raise NotImplementedError("only callable from numba code")


@overload(power)
def _power_impl(base, exponent):  # type: ignore[no-untyped-def]
    if isinstance(base, types.Integer) and isinstance(exponent, types.Integer):
        def integer_power(base, exponent):  # type: ignore[no-untyped-def]
            # numpy's: squaring, every product wrapping around (the caller converts the
            # int64 result to the op's dtype, which wraps it the same way)
            if exponent < 0:
                raise ValueError("Integers to negative integer powers are not allowed.")
            return _squaring(base, exponent)
        return integer_power
    return lambda base, exponent: np.power(base, exponent)


@_kernel
def _header(space):  # type: ignore[no-untyped-def]
    """The workspace's header (see memory.py) as int64s, and its number of slots."""
    slots = space[8:16].view(np.int64)[0]
    return space[:8 * (2 + 3 * slots)].view(np.int64), slots


@_kernel
def _slot_start(space, slot, size):  # type: ignore[no-untyped-def]
    """Where slot `slot` starts if `size` bytes fit in it; else -1, the size recorded as
    needed and the grow flag raised."""
    header, slots = _header(space)
    if size <= header[2 + slots + slot]:
        return header[2 + slot]
    header[0] = 1
    header[2 + 2 * slots + slot] = max(header[2 + 2 * slots + slot], size)
    return -1


@_kernel
def scratch(space, slot, shape, dtype):  # type: ignore[no-untyped-def]
    """An uninitialized array of `shape` and `dtype` (a np.dtype) in slot `slot` of the
    workspace, or of its own when slot is -1 or the slot is too small (then the host gives
    the next run a larger workspace: memory.grown)."""
    count = 1
    for d in shape:
        count *= d
    size = count * itemsize(dtype)
    start = _slot_start(space, slot, size) if slot >= 0 else -1
    if start < 0:
        return np.empty(shape, dtype)
    return space[start:start + size].view(dtype).reshape(shape)


@_kernel
def broadcast_dim(m, n):  # type: ignore[no-untyped-def]
    """The dim two broadcast dims make (np.broadcast_shapes allocates; this does not)."""
    if m == n or n == 1:
        return m
    if m == 1:
        return n
    raise ValueError("operands could not be broadcast together")


@_kernel
def _product_shape(a, b, transpose_a, transpose_b):  # type: ignore[no-untyped-def]
    m, k = (a.shape[1], a.shape[0]) if transpose_a else (a.shape[0], a.shape[1])
    k2, n = (b.shape[1], b.shape[0]) if transpose_b else (b.shape[0], b.shape[1])
    if k != k2:
        raise ValueError("matmul: the inner dimensions differ")
    return m, n


@_kernel
def matmul(a, b, transpose_a, transpose_b, space, slot):  # type: ignore[no-untyped-def]
    """op(a) @ op(b) for float arrays, by BLAS gemm. A product that BLAS would thread
    badly is made as partial products, one per BLAS thread (blas.inner_split), stacked in
    the result's slot and summed into the first."""
    m, n = _product_shape(a, b, transpose_a, transpose_b)
    parts = inner_split(m, n, a.shape[0] if transpose_a else a.shape[1])
    stacked = scratch(space, slot, (parts * m, n), a.dtype)
    gemm_parts(a, b, stacked, parts, transpose_a, transpose_b)
    flat, size = stacked.ravel(), m * n
    for p in range(1, parts):
        for i in range(size):
            flat[i] += flat[p * size + i]
    return stacked[:m]


@_kernel
def matmul_loops(a, b, transpose_a, transpose_b, space, slot):  # type: ignore[no-untyped-def]
    """op(a) @ op(b) for integer arrays (BLAS has no integer gemm)."""
    m, n = _product_shape(a, b, transpose_a, transpose_b)
    x = a.T if transpose_a else a
    y = b.T if transpose_b else b
    c = scratch(space, slot, (m, n), a.dtype)
    c[:] = 0
    for i in range(m):
        for p in range(x.shape[1]):
            for j in range(n):
                c[i, j] += x[i, p] * y[p, j]
    return c


def own_buffer(c):  # type: ignore[no-untyped-def]
    """c itself, for a kernel to write into: an in-place update's variable, which is
    C-contiguous and writable. (For any other type of c, a transposed view or a read-only
    constant, which never comes in place, a copy of c: so that such a c compiles, and the
    result would still be right.)"""
    raise NotImplementedError("only callable from numba code")


@overload(own_buffer)
def _own_buffer_impl(c):  # type: ignore[no-untyped-def]
    if c.layout == "C" and c.mutable:
        return lambda c: c
    return lambda c: c.copy()  # (np.copy would keep a transposed layout)


@_kernel
def matmul_add(a, b, c, scale, beta, transpose_a, transpose_b, in_place, space, slot):  # type: ignore[no-untyped-def]
    """beta * c + scale * op(a) @ op(b) as one gemm: an SGD or momentum update needs no
    temporary for the gradient and no second pass over the weights. In place, gemm
    accumulates into c itself; otherwise into a copy of c in the result's workspace slot
    (when c is not a variable, or the run reads its old value after this)."""
    if _product_shape(a, b, transpose_a, transpose_b) != c.shape:
        raise ValueError("matmul_add: the product's shape differs from the accumulator's")
    out = own_buffer(c) if in_place else scratch(space, slot, c.shape, c.dtype)
    if not in_place:
        out[...] = c
    if scale == 0 or beta == 0:  # BLAS skips a zero term: NaN and inf there must still count
        product = np.zeros(c.shape, c.dtype)
        gemm(a, b, product, transpose_a, transpose_b, 1.0, 0.0)
        flat, terms = out.reshape(out.size), product.reshape(product.size)
        for i in range(flat.size):
            flat[i] = beta * flat[i] + scale * terms[i]
        return out
    gemm(a, b, out, transpose_a, transpose_b, scale, beta)
    return out


@njit(cache=True, nogil=True, error_model="numpy")
def _mean(total, count):  # type: ignore[no-untyped-def]
    """A float64 sum over a count as the mean; of none, 0 / 0: the NaN numpy's mean gives
    (numpy's error model divides by zero as IEEE does, not raising ZeroDivisionError)."""
    return total / count


@_kernel
def reduce_row(x, r, kind):  # type: ignore[no-untyped-def]
    """Sum (kind 0), max (kind 1) or mean (kind 2) of row r of a 2-d array, as a float64
    the caller rounds once to the result's dtype (ops/reduce.py): sums accumulate in
    float64, a mean is that sum over the count."""
    length = x.shape[1]
    if kind != 1:
        total = _row_total(x, r)
        return _mean(total, length) if kind == 2 else total
    require_items(length)
    best = x[r, 0]
    for i in range(1, length):
        best = larger(best, x[r, i])
        if best != best:
            break
    return best


@njit(cache=True, nogil=True, fastmath={"reassoc"})
def _row_total(x, r):  # type: ignore[no-untyped-def]
    """The float64 sum of row r. The additions may be reordered (fastmath's `reassoc`, for
    this loop alone), so the compiler adds several lanes at once: 10x faster at 1e6
    elements. Every addition is still in float64, and the result is rounded once."""
    total = 0.0
    for i in range(x.shape[1]):
        total += x[r, i]
    return total


@_kernel
def require_items(count):  # type: ignore[no-untyped-def]
    if count == 0:
        raise ValueError(NO_IDENTITY)


@_kernel
def larger(best, v):  # type: ignore[no-untyped-def]
    """The larger of two values, a NaN winning (numpy's max propagates NaN), the later on
    a tie (numpy's maximum gives its second operand: of -0.0 and +0.0, the later zero)."""
    return v if v >= best or v != v else best


@_kernel
def reduce_rows(x, kind, space, slot):  # type: ignore[no-untyped-def]
    """reduce_row of each row of a C-contiguous 2-d array (a max of rows of no elements
    is refused, as numpy does, even when there are no rows)."""
    if kind == 1:
        require_items(x.shape[1])
    out = scratch(space, slot, (x.shape[0],), x.dtype)
    for r in range(x.shape[0]):
        out[r] = reduce_row(x, r, kind)
    return out


@_kernel
def reduce_columns(x, kind, space, slot):  # type: ignore[no-untyped-def]
    """reduce_row's reduction of each column of a C-contiguous 2-d array: the reduced axes
    lead, so x is read row after row, in order, with no transposed copy. Sums accumulate
    in float64, as reduce_row's do, in the slot's first bytes; the result follows them."""
    rows, columns = x.shape
    if kind == 1:
        out = scratch(space, slot, (columns,), x.dtype)
        require_items(rows)
        out[:] = x[0]
        for r in range(1, rows):
            for j in range(columns):
                out[j] = larger(out[j], x[r, j])
        return out
    both = scratch(space, slot, (columns * (8 + itemsize(x.dtype)),), np.dtype(np.uint8))
    total = both[:8 * columns].view(np.float64)
    out = both[8 * columns:].view(x.dtype)
    total[:] = 0
    for r in range(rows):
        for j in range(columns):
            total[j] += x[r, j]
    for j in range(columns):
        out[j] = _mean(total[j], rows) if kind == 2 else total[j]
    return out


@_kernel
def _sum_into(x, out, target):  # type: ignore[no-untyped-def]
    """Add every element of x into out (shaped `target`, size-1 dims broadcast), x's extra
    leading dims summed away: the general case, one element at a time in x's order."""
    xc = np.ascontiguousarray(x)
    flat_x = xc.ravel()
    flat_out = out.ravel()
    rank, lead = len(target), xc.ndim - len(target)
    strides = np.zeros(xc.ndim, np.int64)
    step = 1
    for k in range(rank - 1, -1, -1):
        if target[k] != 1:
            strides[lead + k] = step
        step *= target[k]
    index = np.zeros(xc.ndim, np.int64)
    offset = 0
    for i in range(flat_x.size):
        flat_out[offset] += flat_x[i]
        for d in range(xc.ndim - 1, -1, -1):  # odometer: the next index in C order
            index[d] += 1
            offset += strides[d]
            if index[d] < xc.shape[d]:
                break
            offset -= strides[d] * index[d]
            index[d] = 0


@_kernel
def sum_to(x, target, space, slot):  # type: ignore[no-untyped-def]
    """x summed down to the shape `target` (of x's rank); x itself when nothing sums."""
    if x.shape == target:
        return np.ascontiguousarray(x)
    return sum_to_lower_rank(x, target, space, slot)


@_kernel
def sum_to_lower_rank(x, target, space, slot):  # type: ignore[no-untyped-def]
    """x summed down to the shape `target` (of x's rank or lower). The two common cases
    are reductions of a matrix view of x, in float64 like reduce_sum's: target is x's last
    dims (a bias gradient: the leading rows summed, column by column), or x's first dims
    with 1s after (each row summed)."""
    size = 1
    for d in target:
        size *= d
    xc = np.ascontiguousarray(x)
    lead = xc.ndim - len(target)
    ones = 0  # target's leading 1s
    while ones < len(target) and target[ones] == 1:
        ones += 1
    trailing = True
    for k in range(ones, len(target)):
        trailing = trailing and target[k] == xc.shape[lead + k]
    kept = 0
    while lead == 0 and kept < len(target) and target[kept] == xc.shape[kept]:
        kept += 1
    leading = lead == 0
    for k in range(kept, len(target)):
        leading = leading and target[k] == 1
    if size and trailing:
        return reduce_columns(xc.reshape((xc.size // size, size)), 0, space, slot) \
            .reshape(target)
    if size and leading:
        return reduce_rows(xc.reshape((size, xc.size // size)), 0, space, slot).reshape(target)
    out = scratch(space, slot, target, x.dtype)
    out[...] = 0
    _sum_into(x, out, target)
    return out


@_kernel
def reshape(x, shape):  # type: ignore[no-untyped-def]
    """x with a new shape (a view when x is contiguous, else a contiguous copy)."""
    return np.ascontiguousarray(x).reshape(shape)


@_kernel
def transpose(x, perm):  # type: ignore[no-untyped-def]
    return np.transpose(x, perm)


@_kernel
def broadcast_to(x, shape):  # type: ignore[no-untyped-def]
    return np.broadcast_to(x, shape)


@_kernel
def full(shape, value, dtype, space, slot):  # type: ignore[no-untyped-def]
    """An array of `shape` and `dtype` filled with `value`."""
    out = scratch(space, slot, shape, dtype)
    out[...] = value
    return out


def _all_finite(x):  # type: ignore[no-untyped-def]
    """Whether x (an array of any rank, or a scalar) holds no NaN and no infinity."""
    raise NotImplementedError("only callable from numba code")


@overload(_all_finite)
def _all_finite_impl(x):  # type: ignore[no-untyped-def]
    if isinstance(x, types.Array):
        def each(x):  # type: ignore[no-untyped-def]
            for v in x.flat:
                if not np.isfinite(v):
                    return False
            return True
        return each
    return lambda x: np.isfinite(x)


@_kernel
def check_finite(x):  # type: ignore[no-untyped-def]
    """x, or FloatingPointError if it holds a NaN or an infinity (a rank-0 x may be a 0-d
    array or a scalar; neither allocates)."""
    if not _all_finite(x):
        raise FloatingPointError("check_numerics found a NaN or an infinity")
    return x


def forget_kernels_built_on_another_blas(cache: Path, blas: Path) -> None:
    """numba keys a cached kernel on this file's source alone, but the kernel's machine code
    also holds the blas.py functions it calls: after blas.py changes, the cached kernels
    of this file would run the old ones. A digest of blas.py kept next to them in `cache`
    says which they were built on; on a mismatch they are deleted and compile afresh."""
    digest = hashlib.sha256(blas.read_bytes()).hexdigest()
    marker = cache / "kernels.blas-digest"
    try:
        if marker.exists() and marker.read_text() == digest:
            return
        for stale in cache.glob("kernels.*.nb[ic]"):
            stale.unlink(missing_ok=True)
        cache.mkdir(parents=True, exist_ok=True)
        marker.write_text(digest)
    except OSError:  # a cache numba cannot write to either: nothing is kept there
        pass


_CACHE = getattr(getattr(matmul, "_cache", None), "_cache_path", None)  # None: no disk cache
if _CACHE is not None:
    forget_kernels_built_on_another_blas(Path(_CACHE), Path(__file__).parent / "blas.py")


# -- TensorFlow 1's array ops and reductions: argmax/argmin, one_hot, reduce_min/prod/any/all
# (ops/reduce.py, ops/array.py). A reduction here reads its input as a C-contiguous 3-d
# array (outer, n, inner) and reduces the middle axis into (outer, inner): the emitter makes
# that view (a reshape, or a transposed copy when the reduced axes are not adjacent).
@_kernel
def _smaller(best, v):  # type: ignore[no-untyped-def]
    """The smaller of two values, a NaN winning (numpy's min propagates NaN)."""
    return v if v < best or v != v else best


@_kernel
def reduce_min_middle(x, space, slot):  # type: ignore[no-untyped-def]
    """The minimum over the middle axis of (outer, n, inner) x, as (outer, inner)."""
    outer, n, inner = x.shape
    require_items(n)
    out = scratch(space, slot, (outer, inner), x.dtype)
    for o in range(outer):
        for i in range(inner):
            out[o, i] = x[o, 0, i]
        for j in range(1, n):
            for i in range(inner):
                out[o, i] = _smaller(out[o, i], x[o, j, i])
    return out


@_kernel
def reduce_prod_middle(x, space, slot):  # type: ignore[no-untyped-def]
    """The product over the middle axis of (outer, n, inner) float x, as (outer, inner):
    multiplied in float64 (in the slot's first bytes, as reduce_columns adds), rounded
    once to x's dtype."""
    outer, n, inner = x.shape
    count = outer * inner
    both = scratch(space, slot, (count * (8 + itemsize(x.dtype)),), np.dtype(np.uint8))
    total = both[:8 * count].view(np.float64).reshape((outer, inner))
    out = both[8 * count:].view(x.dtype).reshape((outer, inner))
    total[:] = 1.0
    for o in range(outer):
        for j in range(n):
            for i in range(inner):
                total[o, i] *= x[o, j, i]
    for o in range(outer):
        for i in range(inner):
            out[o, i] = total[o, i]
    return out


@_kernel
def reduce_prod_middle_wrapping(x, space, slot):  # type: ignore[no-untyped-def]
    """The product over the middle axis of integer x, wrapping around in x's dtype (as
    numpy's int64 product converted back to it)."""
    outer, n, inner = x.shape
    out = scratch(space, slot, (outer, inner), x.dtype)
    out[:] = 1
    for o in range(outer):
        for j in range(n):
            for i in range(inner):
                out[o, i] = out[o, i] * x[o, j, i]
    return out


@_kernel
def reduce_logical_middle(x, every, space, slot):  # type: ignore[no-untyped-def]
    """Whether all (every) or any of the middle axis of boolean (outer, n, inner) x holds."""
    outer, n, inner = x.shape
    out = scratch(space, slot, (outer, inner), np.dtype(np.bool_))
    out[:] = every
    for o in range(outer):
        for j in range(n):
            for i in range(inner):
                out[o, i] = (out[o, i] & x[o, j, i]) if every else (out[o, i] | x[o, j, i])
    return out


@_kernel
def arg_extreme(x, smallest, dtype, space, slot):  # type: ignore[no-untyped-def]
    """The index along the middle axis of (outer, n, inner) x of its largest (smallest)
    element, the first of ties and the first NaN (numpy's argmax), as (outer, inner)
    integers of `dtype`."""
    outer, n, inner = x.shape
    require_items(n)
    out = scratch(space, slot, (outer, inner), dtype)
    for o in range(outer):
        for i in range(inner):
            best = x[o, 0, i]
            at = 0
            for j in range(1, n):
                if best != best:
                    break
                v = x[o, j, i]
                if (v < best if smallest else v > best) or v != v:
                    best = v
                    at = j
            out[o, i] = at
    return out


@_kernel
def one_hot(indices, depth, on, off, dtype, space, slot):  # type: ignore[no-untyped-def]
    """(outer, inner) integer indices as (outer, depth, inner): `on` where the index is the
    position along the middle axis, else `off` (so an index outside 0..depth-1 gives a line
    of `off`)."""
    outer, inner = indices.shape
    out = scratch(space, slot, (outer, depth, inner), dtype)
    for o in range(outer):
        for d in range(depth):
            for i in range(inner):
                out[o, d, i] = on if indices[o, i] == d else off
    return out



# -- concat, split and their parts (ops/array.py): a tensor as a C-contiguous 3-d array
# (outer, n, inner) around its axis, whose parts are ranges of the middle axis
@_kernel
def with_dim(shape, axis, size):  # type: ignore[no-untyped-def]
    """shape with its dim `axis` set to size."""
    return tuple_setitem(shape, axis, size)


@_kernel
def _around(shape, axis):  # type: ignore[no-untyped-def]
    """(outer, inner): the products of shape's dims before and after axis."""
    outer, inner = 1, 1
    for k in range(len(shape)):
        if k < axis:
            outer *= shape[k]
        elif k > axis:
            inner *= shape[k]
    return outer, inner


@_kernel
def equal_part(dim, count, index):  # type: ignore[no-untyped-def]
    """(begin, size) of part `index` of `count` equal parts of a dimension of dim."""
    if dim % count:
        raise ValueError("split: the dimension does not divide into equal parts")
    size = dim // count
    return index * size, size


@_kernel
def sized_part(dim, sizes, index):  # type: ignore[no-untyped-def]
    """(begin, size) of part `index` of parts of `sizes` (one may be -1: what is left)."""
    known, rest = 0, -1
    for k in range(len(sizes)):
        if sizes[k] == -1:
            rest = k
        else:
            known += sizes[k]
    if (rest < 0 and known != dim) or known > dim:
        raise ValueError("split: the sizes do not add up to the dimension")
    begin = 0
    for k in range(index):
        begin += dim - known if k == rest else sizes[k]
    return begin, dim - known if index == rest else sizes[index]


@_kernel
def ref_part(dims):  # type: ignore[no-untyped-def]
    """(begin, size) of the part whose size is dims' last, after parts of the others."""
    begin = 0
    for k in range(len(dims) - 1):
        begin += dims[k]
    return begin, dims[len(dims) - 1]


@_kernel
def split_part(x, axis, part, space, slot):  # type: ignore[no-untyped-def]
    """A copy of x's elements begin:begin + size along axis, part = (begin, size)."""
    begin, size = part
    n = x.shape[axis]
    if begin + size > n:
        raise ValueError("split: a part lies beyond the dimension")
    outer, inner = _around(x.shape, axis)
    out = scratch(space, slot, (outer, size, inner), x.dtype)
    out[...] = np.ascontiguousarray(x).reshape((outer, n, inner))[:, begin:begin + size, :]
    return out.reshape(tuple_setitem(x.shape, axis, size))


@_kernel
def split_pad(g, like, axis, part, space, slot):  # type: ignore[no-untyped-def]
    """Zeros shaped like `like` with g as its elements begin:begin + size along axis."""
    begin, size = part
    n = like.shape[axis]
    if g.shape != tuple_setitem(like.shape, axis, size) or begin + size > n:
        raise ValueError("split_pad: the part does not fit the tensor")
    outer, inner = _around(like.shape, axis)
    out = scratch(space, slot, (outer, n, inner), g.dtype)
    out[...] = 0
    out[:, begin:begin + size, :] = np.ascontiguousarray(g).reshape((outer, size, inner))
    return out.reshape(like.shape)


@_kernel
def concat_start(first, axis, total, space, slot):  # type: ignore[no-untyped-def]
    """The (outer, total, inner) result of a concat along axis whose first input is first."""
    outer, inner = _around(first.shape, axis)
    return scratch(space, slot, (outer, total, inner), first.dtype)


@_kernel
def concat_place(out, x, like, axis, offset):  # type: ignore[no-untyped-def]
    """Copy x into (outer, total, inner) out at `offset` along its middle axis; x must have
    the shape `like` (the first input's) but along axis. Returns the next offset."""
    for k in range(len(like)):
        if k != axis and x.shape[k] != like[k]:
            raise ValueError("concat: the inputs' shapes differ in a dimension not the axis")
    n = x.shape[axis]
    outer, inner = _around(x.shape, axis)
    out[:, offset:offset + n, :] = np.ascontiguousarray(x).reshape((outer, n, inner))
    return offset + n


@_kernel
def reshape_copy(x, shape, space, slot):  # type: ignore[no-untyped-def]
    """A copy of x in a new shape of as many elements."""
    size = 1
    for d in shape:
        size *= d
    if size != x.size:
        raise ValueError("reshape: the new shape has another number of elements")
    out = scratch(space, slot, shape, x.dtype)
    out.reshape(size)[:] = np.ascontiguousarray(x).reshape(size)
    return out


@_kernel
def squeeze_copy(x, shape, squeezed, space, slot):  # type: ignore[no-untyped-def]
    """A copy of x without the dims `squeezed` (their sizes, each required to be 1)."""
    for d in squeezed:
        if d != 1:
            raise ValueError("squeeze: a dimension to squeeze is not 1")
    return reshape_copy(x, shape, space, slot)



# -- gather, scatter_add, tile, tile_sum (ops/array.py) ---------------------------------------
@_kernel
def _check_indices(indices, size):  # type: ignore[no-untyped-def]
    for j in range(indices.size):
        if indices[j] < 0 or indices[j] >= size:
            raise ValueError("gather: an index is out of range")


@_kernel
def gather(params, indices, space, slot):  # type: ignore[no-untyped-def]
    """The slices params[:, indices[j], :] of (outer, n, inner) params, for flat indices,
    as (outer, m, inner)."""
    outer, n, inner = params.shape
    _check_indices(indices, n)
    out = scratch(space, slot, (outer, indices.size, inner), params.dtype)
    for o in range(outer):
        for j in range(indices.size):
            k = indices[j]
            for i in range(inner):
                out[o, j, i] = params[o, k, i]
    return out


@_kernel
def scatter_add(values, indices, n, space, slot):  # type: ignore[no-untyped-def]
    """(outer, n, inner) zeros with the slices of (outer, m, inner) values added at the
    flat indices (repeated ones add up, in order, as numpy's add.at)."""
    outer, m, inner = values.shape
    _check_indices(indices, n)
    out = scratch(space, slot, (outer, n, inner), values.dtype)
    out[...] = 0
    for o in range(outer):
        for j in range(m):
            k = indices[j]
            for i in range(inner):
                out[o, k, i] += values[o, j, i]
    return out


@_kernel
def tile(x, shape, space, slot):  # type: ignore[no-untyped-def]
    """x repeated to `shape` (each dim a multiple of x's), in C order: an odometer over the
    result, whose offset into x wraps around at each of x's dims."""
    xc = np.ascontiguousarray(x)
    out = scratch(space, slot, shape, xc.dtype)
    if out.size == 0:
        return out
    flat_out, flat_x = out.reshape(out.size), xc.reshape(xc.size)
    rank = xc.ndim
    strides = np.ones(rank, np.int64)
    for k in range(rank - 2, -1, -1):
        strides[k] = strides[k + 1] * xc.shape[k + 1]
    index = np.zeros(rank, np.int64)
    source = np.zeros(rank, np.int64)
    offset = 0
    for p in range(out.size):
        flat_out[p] = flat_x[offset]
        for d in range(rank - 1, -1, -1):
            index[d] += 1
            source[d] += 1
            offset += strides[d]
            if source[d] == xc.shape[d]:
                source[d] = 0
                offset -= strides[d] * xc.shape[d]
            if index[d] < shape[d]:
                break
            index[d] = 0
    return out


@_kernel
def tile_sum(g, shape, accumulate, space, slot):  # type: ignore[no-untyped-def]
    """The sum of g's tiles of `shape`, accumulated in dtype `accumulate` (float64 for
    floats: rounded once, as reduce_sum's) in the slot's first bytes."""
    gc = np.ascontiguousarray(g)
    rank = gc.ndim
    for k in range(rank):
        if shape[k] == 0 or gc.shape[k] % shape[k]:
            if gc.shape[k] != 0:
                raise ValueError("tile_sum: the tiling is not a whole number of tiles")
    count = 1
    for d in shape:
        count *= d
    wide = itemsize(accumulate) * count
    both = scratch(space, slot, (wide + itemsize(gc.dtype) * count,), np.dtype(np.uint8))
    total = both[:wide].view(accumulate)
    out = both[wide:].view(gc.dtype).reshape(shape)
    total[:] = 0
    if gc.size:
        flat_g = gc.reshape(gc.size)
        strides = np.ones(rank, np.int64)
        for k in range(rank - 2, -1, -1):
            strides[k] = strides[k + 1] * shape[k + 1]
        index = np.zeros(rank, np.int64)
        target = np.zeros(rank, np.int64)
        offset = 0
        for p in range(gc.size):
            total[offset] += flat_g[p]
            for d in range(rank - 1, -1, -1):
                index[d] += 1
                target[d] += 1
                offset += strides[d]
                if target[d] == shape[d]:
                    target[d] = 0
                    offset -= strides[d] * shape[d]
                if index[d] < gc.shape[d]:
                    break
                index[d] = 0
    flat_out = out.reshape(count)
    for q in range(count):
        flat_out[q] = total[q]
    return out
