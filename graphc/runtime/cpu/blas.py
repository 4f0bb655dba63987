"""BLAS gemm called from numba code: C = alpha * op(A) @ op(B) + beta * C.

scipy.linalg.cython_blas exports sgemm/dgemm function pointers. They are registered with
LLVM under fixed symbol names, so compiled code refers to them by name and numba's on-disk
cache stays valid across processes (a raw address baked into the code would not be).
Transposes become gemm flags, never copies, and beta = 1 folds an update into C itself.
"""

from __future__ import annotations

import ctypes
from pathlib import Path

import numpy as np
import scipy.linalg.cython_blas as cython_blas
from llvmlite import binding as llvm
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic, overload


def _capsule_address(name: str) -> int:
    capsule = cython_blas.__pyx_capi__[name]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype = ctypes.c_void_p
    get_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return int(get_pointer(capsule, get_name(capsule)))


def _numpy_openblas() -> ctypes.CDLL | None:
    """The ILP64 OpenBLAS that numpy's wheels bundle (numpy.libs), if this numpy has one."""
    libs = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in sorted(libs.glob("libscipy_openblas64_*.so*")):
        lib = ctypes.CDLL(str(path))
        if hasattr(lib, "scipy_sgemm_64_") and hasattr(lib, "scipy_dgemm_64_"):
            return lib
    return None


def _register_gemm() -> bool:
    """Give sgemm/dgemm fixed LLVM symbol names; True when numpy's ILP64 BLAS is used.

    numpy's own BLAS is preferred: one thread pool serves numpy's matmuls and graphc's,
    where two pools would fight over the cores; scipy's LP64 BLAS is the fallback. Both
    symbol pairs always exist (the integer width is in the name), so cached machine code
    never calls a routine with the wrong int size."""
    lp64 = {name: _capsule_address(name) for name in ("sgemm", "dgemm")}
    numpy_blas = _numpy_openblas()
    for name in ("sgemm", "dgemm"):
        llvm.add_symbol(f"graphc_{name}_lp64", lp64[name])
        if numpy_blas is not None:
            function = getattr(numpy_blas, f"scipy_{name}_64_")
            llvm.add_symbol(f"graphc_{name}_ilp64", ctypes.cast(function, ctypes.c_void_p).value)
    return numpy_blas is not None


USE_ILP64 = _register_gemm()
_INT = np.int64 if USE_ILP64 else np.int32
_SUFFIX = "ilp64" if USE_ILP64 else "lp64"

# Fortran calling convention: every argument by pointer
_GEMM_SIGNATURE = types.void(*[types.voidptr] * 13)
_SGEMM = types.ExternalFunction(f"graphc_sgemm_{_SUFFIX}", _GEMM_SIGNATURE)
_DGEMM = types.ExternalFunction(f"graphc_dgemm_{_SUFFIX}", _GEMM_SIGNATURE)


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


def _column_major_gemm(*args):  # type: ignore[no-untyped-def]
    raise NotImplementedError("only callable from numba code")


@overload(_column_major_gemm)
def _column_major_gemm_impl(flag_a, flag_b, m, n, k, alpha, a, lda, b, ldb, beta,  # type: ignore[no-untyped-def]
                            c, ldc):
    single = c.dtype == types.float32
    routine = _SGEMM if single else _DGEMM
    scalar = np.float32 if single else np.float64

    def impl(flag_a, flag_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):  # type: ignore[no-untyped-def]
        routine(_by_reference(flag_a), _by_reference(flag_b), _by_reference(m),
                _by_reference(n), _by_reference(k), _by_reference(scalar(alpha)), _data(a),
                _by_reference(lda), _data(b), _by_reference(ldb), _by_reference(scalar(beta)),
                _data(c), _by_reference(ldc))
    return impl


_N, _T = np.uint8(ord("N")), np.uint8(ord("T"))


@njit(cache=True, nogil=True)
def gemm(a, b, c, transpose_a, transpose_b, alpha, beta):  # type: ignore[no-untyped-def]
    """c = alpha * op(a) @ op(b) + beta * c for row-major float arrays; c must be
    C-contiguous, and a or b that is not is copied first.

    Row-major X is column-major X^T, so this asks column-major BLAS for
    c^T = op(b)^T @ op(a)^T: the operands swap, the flags stay.
    """
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    m, n = c.shape
    k = a.shape[0] if transpose_a else a.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        c *= beta
        return
    _column_major_gemm(_T if transpose_b else _N, _T if transpose_a else _N,
                       _INT(n), _INT(m), _INT(k), alpha,
                       b, _INT(max(1, b.shape[1])), a, _INT(max(1, a.shape[1])),
                       beta, c, _INT(max(1, n)))
