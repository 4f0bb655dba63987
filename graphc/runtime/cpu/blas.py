"""BLAS called from numba code: gemm, C = alpha * op(A) @ op(B) + beta * C, and axpy,
y = alpha * x + y (an elementwise update split among BLAS's threads: see axpy).

scipy.linalg.cython_blas and numpy's OpenBLAS export the routines. They are registered
with LLVM under fixed symbol names, so compiled code refers to them by name and numba's
on-disk cache stays valid across processes (a raw address baked into the code would not
be).
Transposes become gemm flags, never copies, and beta = 1 folds an update into C itself.

Who owns the cores: BLAS, always (numba code runs on the calling thread). But OpenBLAS
threads a product by splitting C among its threads, and a small C with a long inner
dimension (the seed's first layer, 64 x 1000 @ 1000 x 100) splits badly: on 2 threads it
ran 1.4x faster than on one where 2x was there to take. Such a product is computed as
partial products over slices of the inner dimension, one per BLAS thread, in one batched
call (OpenBLAS's gemm_batch_strided runs one item per thread), and summed: see
inner_split and gemm_parts.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
from llvmlite import binding as llvm
from numba import cfunc, njit, types
from numba.core import cgutils
from numba.core.typing.templates import Signature
from numba.extending import intrinsic, overload

from graphc.runtime.cpu.blas_symbols import address, blas_symbols
from graphc.runtime.cpu.openblas import ROUTINES, numpy_openblas


def _register_routines(numpy_blas: ctypes.CDLL | None) -> bool:
    """Give the gemms and axpys their fixed LLVM symbol names (blas_symbols.py); True when
    numpy's ILP64 BLAS is used. Both symbol pairs always exist where both BLAS do (the
    integer width is in the name), so cached machine code never calls a routine with the
    wrong int size."""
    symbols = blas_symbols()
    for name in ROUTINES:
        for width in ("lp64", "ilp64"):
            if f"graphc_{name}_{width}" in symbols:
                llvm.add_symbol(f"graphc_{name}_{width}", symbols[f"graphc_{name}_{width}"])
    return numpy_blas is not None


_NUMPY_BLAS = numpy_openblas()
USE_ILP64 = _register_routines(_NUMPY_BLAS)
_INT = np.int64 if USE_ILP64 else np.int32
_SUFFIX = "ilp64" if USE_ILP64 else "lp64"

# Fortran calling convention: every argument by pointer
_GEMM_SIGNATURE = types.void(*[types.voidptr] * 13)
_SGEMM = types.ExternalFunction(f"graphc_sgemm_{_SUFFIX}", _GEMM_SIGNATURE)
_DGEMM = types.ExternalFunction(f"graphc_dgemm_{_SUFFIX}", _GEMM_SIGNATURE)
_AXPY_SIGNATURE = types.void(*[types.voidptr] * 6)
_SAXPY = types.ExternalFunction(f"graphc_saxpy_{_SUFFIX}", _AXPY_SIGNATURE)
_DAXPY = types.ExternalFunction(f"graphc_daxpy_{_SUFFIX}", _AXPY_SIGNATURE)


@intrinsic
def _by_reference(typingctx, value):  # type: ignore[no-untyped-def]
    """A pointer to a copy of a scalar in the caller's stack frame."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        slot = cgutils.alloca_once_value(builder, args[0])
        return builder.bitcast(slot, cgutils.voidptr_t)
    return types.voidptr(value), codegen


@intrinsic
def _data(typingctx, array):  # type: ignore[no-untyped-def]
    """The address of an array's first element."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        view = context.make_array(signature.args[0])(context, builder, args[0])
        return builder.bitcast(view.data, cgutils.voidptr_t)
    return types.voidptr(array), codegen


def _rows(array, ld):  # type: ignore[no-untyped-def]
    """Check that BLAS may read `array` by raw pointer as rows `ld` elements apart."""
    raise NotImplementedError("only callable from numba code")


@overload(_rows)
def _rows_impl(array, ld):  # type: ignore[no-untyped-def]
    """Every array this module hands BLAS is a 2-D row-major block: elements of a row
    adjacent, rows `ld` elements apart, as its pointer and leading dimension tell BLAS. An
    array numba types as C-contiguous is one, with ld its row length (each call passes
    that): the check is made when the code is compiled, and costs nothing at run time. Any
    other layout (a slice of columns, a transposed or strided view) is checked when it is
    passed, a few integer comparisons next to a gemm: were it not such a block, BLAS would
    read the wrong elements, or write outside the array."""
    if array.layout == "C":
        return lambda array, ld: None

    def impl(array, ld):  # type: ignore[no-untyped-def]
        rows, columns = array.shape
        if rows == 0 or columns == 0:
            return
        if ld < columns or (columns > 1 and array.strides[1] != array.itemsize) or \
                (rows > 1 and array.strides[0] != ld * array.itemsize):
            raise ValueError("gemm: an array passed to BLAS is not C-contiguous rows of the "
                             "leading dimension given (a transposed or strided view?)")
    return impl


def _column_major_gemm(*args):  # type: ignore[no-untyped-def]
    raise NotImplementedError("only callable from numba code")


@overload(_column_major_gemm)
def _column_major_gemm_impl(flag_a, flag_b, m, n, k, alpha, a, lda, b, ldb, beta,  # type: ignore[no-untyped-def]
                            c, ldc):
    single = c.dtype == types.float32
    routine = _SGEMM if single else _DGEMM
    scalar = np.float32 if single else np.float64

    def impl(flag_a, flag_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):  # type: ignore[no-untyped-def]
        # column-major a (k x m or m x k) with leading dimension lda is row-major rows
        # lda apart: the same for b and c
        _rows(a, lda)
        _rows(b, ldb)
        _rows(c, ldc)
        routine(_by_reference(flag_a), _by_reference(flag_b), _by_reference(m),
                _by_reference(n), _by_reference(k), _by_reference(scalar(alpha)), _data(a),
                _by_reference(lda), _data(b), _by_reference(ldb), _by_reference(scalar(beta)),
                _data(c), _by_reference(ldc))
    return impl


_N, _T = np.uint8(ord("N")), np.uint8(ord("T"))


@njit(cache=True, nogil=True)
def gemm(a, b, c, transpose_a, transpose_b, alpha, beta):  # type: ignore[no-untyped-def]
    """c = alpha * op(a) @ op(b) + beta * c for row-major float arrays; c must be
    C-contiguous (else ValueError: BLAS writes it by raw pointer), and a or b that is not
    is copied first."""
    _rows(c, max(1, c.shape[1]))
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    _gemm_slice(a, b, c, transpose_a, transpose_b, 0, a.shape[0] if transpose_a else a.shape[1],
                alpha, beta)


# An update y + alpha * x over at least this many elements runs as BLAS axpy: OpenBLAS
# splits it among its threads, so each core updates the part of y it holds. After a
# two-thread gemm made x (momentum's velocity), half of x sits in the other core's cache:
# for 100,352 floats, one thread's loop took 52 us inside the optimizer benchmark's step
# (benchmarks/segment_profile.py) and 28 us right after such a gemm, axpy 19 us. Below
# this size the threads' start costs more than they save (~6 us).
AXPY_MIN = 65536


def _axpy_by_blas(*args):  # type: ignore[no-untyped-def]
    raise NotImplementedError("only callable from numba code")


@overload(_axpy_by_blas)
def _axpy_by_blas_impl(x, y, alpha):  # type: ignore[no-untyped-def]
    """BLAS reads x and writes y by raw pointer, so it is called only for what numba
    types as two 1-d C-contiguous arrays of one float dtype, y writable: decided when
    the code is compiled. For anything else (a graph file's expression may say float32 of
    integers), the call compiles to `return False` and the loop runs."""
    floats = (types.float32, types.float64)
    if not (isinstance(x, types.Array) and isinstance(y, types.Array) and
            x.dtype == y.dtype and y.dtype in floats and x.ndim == y.ndim == 1 and
            x.layout == y.layout == "C" and y.mutable and isinstance(alpha, types.Float)):
        return lambda x, y, alpha: False
    single = y.dtype == types.float32
    routine = _SAXPY if single else _DAXPY
    scalar = np.float32 if single else np.float64
    step, most = _INT(1), np.iinfo(_INT).max

    def impl(x, y, alpha):  # type: ignore[no-untyped-def]
        n, alpha = y.size, scalar(alpha)  # (a float64 alpha may be 0 as a float32)
        if n < AXPY_MIN or n > most or x.size != n or alpha == 0:
            return False
        start_x, start_y = x.ctypes.data, y.ctypes.data
        size = n * y.itemsize
        if start_x != start_y and start_x < start_y + size and start_y < start_x + size:
            return False
        routine(_by_reference(_INT(n)), _by_reference(alpha), _data(x),
                _by_reference(step), _data(y), _by_reference(step))
        return True
    return impl


@njit(cache=True, nogil=True)
def axpy(x, y, alpha):  # type: ignore[no-untyped-def]
    """y += alpha * x by BLAS, for 1-d contiguous float arrays of one size and dtype, when
    that pays (AXPY_MIN); returns whether it did. BLAS rounds once per element (a fused
    multiply-add, as gemm does for matmul_add) where numpy rounds the product and then
    the sum: the two differ by at most the product's rounding, and a product that
    overflows to inf in numpy may leave a finite result here. Not done (False): alpha 0
    (BLAS skips the product, where NaN and inf in x must still count), x overlapping y
    other than element for element, more elements than the BLAS's integers count, and
    any other types."""
    return _axpy_by_blas(x, y, alpha)


@njit(cache=True, nogil=True)
def _gemm_slice(a, b, c, transpose_a, transpose_b, start, end, alpha, beta):  # type: ignore[no-untyped-def]
    """c = alpha * op(a)[:, start:end] @ op(b)[start:end, :] + beta * c for C-contiguous
    a and b, with no copy: BLAS reads the slices with their parents' row lengths.

    Row-major X is column-major X^T, so this asks column-major BLAS for
    c^T = op(b)^T @ op(a)^T: the operands swap, the flags stay.
    """
    m, n = c.shape
    _column_major_gemm(_T if transpose_b else _N, _T if transpose_a else _N,
                       _INT(n), _INT(m), _INT(end - start), alpha,
                       b[:, start:] if transpose_b else b[start:], _INT(max(1, b.shape[1])),
                       a[start:] if transpose_a else a[:, start:], _INT(max(1, a.shape[1])),
                       beta, c, _INT(max(1, n)))


# --- the inner dimension split over BLAS's threads ---------------------------------------

_SPLIT_MAX_OUTPUT = 1 << 14  # elements of C: OpenBLAS splits a larger C well itself
# multiply-adds per part: enough to repay a thread, and far above OpenBLAS's small-matrix
# path (100^3), which its batched call mishandles (0.3.31 crashes there)
_SPLIT_MIN_PART = 1 << 21
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112  # the CBLAS enums


@njit(cache=True, nogil=True)
def split_count(m, n, k, threads):  # type: ignore[no-untyped-def]
    """How many slices of the inner dimension k an (m, n) product is computed in when
    `threads` BLAS threads would share it: all of them when C is small, k is long against
    C's sides and each slice is large; else 1 (one gemm, which BLAS threads itself)."""
    if threads < 2 or m * n > _SPLIT_MAX_OUTPUT or k < 4 * (m + n):
        return 1
    return threads if m * n * (k // threads) >= _SPLIT_MIN_PART else 1


def _row_major_batch(*args):  # type: ignore[no-untyped-def]
    raise NotImplementedError("only callable from numba code")


def _batch_signature(scalar: types.Type) -> Signature:
    """cblas_?gemm_batch_strided: order, transa, transb, m, n, k, alpha, a, lda, stride_a,
    b, ldb, stride_b, beta, c, ldc, stride_c, count (all by value)."""
    i, p = types.int64 if USE_ILP64 else types.int32, types.voidptr
    return types.void(types.intc, types.intc, types.intc, i, i, i, scalar, p, i, i, p, i, i,
                      scalar, p, i, i, i)


_BATCH_SIGNATURES = {"sgemm": _batch_signature(types.float32),
                     "dgemm": _batch_signature(types.float64)}
_SGEMM_BATCH = types.ExternalFunction(f"graphc_sgemm_batch_{_SUFFIX}", _BATCH_SIGNATURES["sgemm"])
_DGEMM_BATCH = types.ExternalFunction(f"graphc_dgemm_batch_{_SUFFIX}", _BATCH_SIGNATURES["dgemm"])
_BATCH_THREADS = types.ExternalFunction("graphc_batch_threads", types.intc())


@overload(_row_major_batch)
def _row_major_batch_impl(transpose_a, transpose_b, m, n, k, a, stride_a, b, stride_b,  # type: ignore[no-untyped-def]
                          c, count):
    single = c.dtype == types.float32
    routine = _SGEMM_BATCH if single else _DGEMM_BATCH
    scalar = np.float32 if single else np.float64

    def impl(transpose_a, transpose_b, m, n, k, a, stride_a, b, stride_b, c, count):  # type: ignore[no-untyped-def]
        _rows(a, max(1, a.shape[1]))
        _rows(b, max(1, b.shape[1]))
        _rows(c, max(1, n))
        routine(_ROW_MAJOR, _TRANS if transpose_a else _NO_TRANS,
                _TRANS if transpose_b else _NO_TRANS, _INT(m), _INT(n), _INT(k), scalar(1),
                _data(a), _INT(max(1, a.shape[1])), _INT(stride_a),
                _data(b), _INT(max(1, b.shape[1])), _INT(stride_b),
                scalar(0), _data(c), _INT(max(1, n)), _INT(m * n), _INT(count))
    return impl


@njit(cache=True, nogil=True)
def inner_split(m, n, k):  # type: ignore[no-untyped-def]
    """split_count for the BLAS threads a batched gemm would run on now (1 where BLAS has
    no batched gemm)."""
    return split_count(m, n, k, _BATCH_THREADS())


@njit(cache=True, nogil=True)
def gemm_parts(a, b, stacked, parts, transpose_a, transpose_b):  # type: ignore[no-untyped-def]
    """The products op(a)[:, K_i] @ op(b)[K_i, :] over `parts` consecutive slices K_i of
    the inner dimension, stacked: part i is rows i*m to (i+1)*m of `stacked`, and the parts
    sum to op(a) @ op(b). Several large parts are one batched call, which BLAS runs one
    part per thread; the last part also takes the k % parts leftover columns."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    n = stacked.shape[1]
    m = stacked.shape[0] // parts
    k = a.shape[0] if transpose_a else a.shape[1]
    step = k // parts
    # one part, or parts too small for the batched call: one gemm each (BLAS threads it)
    if parts == 1 or m * n * step < _SPLIT_MIN_PART:
        for i in range(parts):
            end = k if i == parts - 1 else (i + 1) * step
            _gemm_slice(a, b, stacked[i * m:(i + 1) * m], transpose_a, transpose_b,
                        i * step, end, 1.0, 0.0)
        return
    _row_major_batch(transpose_a, transpose_b, m, n, step,
                     a, step * (a.shape[1] if transpose_a else 1),
                     b, step * (1 if transpose_b else b.shape[1]), stacked, parts)
    if k > parts * step:
        _gemm_slice(a, b, stacked[(parts - 1) * m:], transpose_a, transpose_b, parts * step,
                    k, 1.0, 1.0)


@intrinsic
def _offset(typingctx, pointer, nbytes):  # type: ignore[no-untyped-def]
    """The address `nbytes` bytes past `pointer`."""
    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        return builder.gep(args[0], [args[1]])
    return types.voidptr(types.voidptr, nbytes), codegen


def _batch_loop(name: str) -> Any:
    """A stand-in for cblas_?gemm_batch_strided where BLAS has none, for row-major calls:
    the products one after another, by plain gemm. (batch_threads then says 1, so the
    kernels never split a product; the stand-in keeps cached machine code linkable.)"""
    routine, size = (_SGEMM, 4) if name == "sgemm" else (_DGEMM, 8)

    def loop(order, transa, transb, m, n, k, alpha, a, lda, stride_a,  # type: ignore[no-untyped-def]
             b, ldb, stride_b, beta, c, ldc, stride_c, count):
        flag_a, flag_b = _T if transa == _TRANS else _N, _T if transb == _TRANS else _N
        for i in range(count):
            routine(_by_reference(flag_b), _by_reference(flag_a), _by_reference(n),
                    _by_reference(m), _by_reference(k), _by_reference(alpha),
                    _offset(b, i * stride_b * size), _by_reference(ldb),
                    _offset(a, i * stride_a * size), _by_reference(lda), _by_reference(beta),
                    _offset(c, i * stride_c * size), _by_reference(ldc))
    return cfunc(_BATCH_SIGNATURES[name])(loop)


_STAND_INS: list[Any] = []  # compiled stand-ins, kept alive while LLVM refers to them


def _register_batch(numpy_blas: ctypes.CDLL | None) -> bool:
    """Give the batched gemms and batch_threads fixed LLVM symbol names; True when they are
    numpy's OpenBLAS's own (0.3.31 and later have them), else numba stand-ins. Only its
    row-major entry point is used: in 0.3.31 the column-major one rejects valid leading
    dimensions."""
    symbols = [f"graphc_sgemm_batch_{_SUFFIX}", f"graphc_dgemm_batch_{_SUFFIX}",
               "graphc_batch_threads"]
    table = blas_symbols() if numpy_blas is not None else {}
    if all(symbol in table for symbol in symbols):
        addresses = [table[symbol] for symbol in symbols]
    else:
        _STAND_INS[:] = [_batch_loop("sgemm"), _batch_loop("dgemm"),
                         cfunc(types.intc())(lambda: 1)]
        addresses = [address(stand_in.ctypes) for stand_in in _STAND_INS]
    for symbol, at in zip(symbols, addresses):
        llvm.add_symbol(symbol, at)
    return not _STAND_INS


BATCHED = _register_batch(_NUMPY_BLAS)
