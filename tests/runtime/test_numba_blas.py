"""BLAS from numba code (graphc/runtime/cpu/blas.py): products split over the inner
dimension, one part per BLAS thread, and the kernels that use them.

Tolerances: a part is one gemm over a slice, so it matches numpy's product of the same
slices to rounding; summing the parts reorders the inner sum, which moves a float64 result
by ~1e-15 relative (checked at 1e-12) and a float32 one by ~1e-7 (checked at 1e-5)."""

import subprocess
import sys

import numpy as np
import pytest

import graphc as gc
from graphc.demo import runs_natively
from graphc.runtime.cpu import blas
from graphc.runtime.cpu import kernels as K
from graphc.runtime.cpu.memory import _header, new_workspace

RTOL = {np.float32: 1e-5, np.float64: 1e-12}


def operands(rng, m, n, k, transpose_a, transpose_b, dtype):
    a = rng.standard_normal((k, m) if transpose_a else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if transpose_b else (k, n)).astype(dtype)
    return a, b, (a.T if transpose_a else a), (b.T if transpose_b else b)


def assert_close(actual, expected, dtype):
    scale = np.abs(expected).max()
    np.testing.assert_allclose(actual, expected, rtol=0, atol=RTOL[dtype] * scale)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("transpose_a, transpose_b",
                         [(False, False), (False, True), (True, False), (True, True)])
@pytest.mark.parametrize("p, k", [(2, 1000), (2, 1001), (3, 1000), (3, 1001), (2, 7), (3, 2)])
def test_gemm_parts_are_the_products_of_consecutive_slices(dtype, transpose_a, transpose_b,
                                                           p, k):
    # (64, 100) with k 1000 or 1001 takes the batched call (each part >= 2^21 multiply-adds);
    # k 7 and 2 take the part-by-part path, and k 2 < p leaves empty slices
    m, n = 64, 100
    a, b, op_a, op_b = operands(np.random.default_rng(k), m, n, k, transpose_a, transpose_b,
                                dtype)
    parts = np.full((p, m, n), np.nan, dtype)
    blas.gemm_parts(a, b, parts.reshape(p * m, n), p, transpose_a, transpose_b)
    step = k // p
    for i in range(p):
        end = k if i == p - 1 else (i + 1) * step
        assert_close(parts[i], op_a[:, i * step:end] @ op_b[i * step:end], dtype)
    assert_close(parts.sum(axis=0), op_a @ op_b, dtype)


@pytest.mark.parametrize("m, n, k, threads, parts", [
    (64, 100, 1000, 2, 2),      # the seed's first layer on two threads
    (64, 100, 1000, 1, 1),      # one thread: nothing to share
    (64, 100, 1000, 3, 3),      # each of 3 slices still has 2.1M multiply-adds
    (64, 100, 1000, 4, 1),      # 1.6M per slice: too small to repay a thread
    (128, 128, 1000, 2, 1),     # C too large: BLAS splits C well itself
    (64, 100, 600, 2, 1),       # k short against C's sides
    (2048, 1024, 4096, 2, 1),   # the large benchmark's first layer
    (0, 100, 100000, 2, 1),     # an empty product
])
def test_split_count(m, n, k, threads, parts):
    assert blas.split_count(m, n, k, threads) == parts


def test_inner_split_asks_blas_for_its_thread_count():
    if blas.BATCHED:
        threads = blas._NUMPY_BLAS.scipy_openblas_get_num_threads64_()
    else:
        threads = 1  # no batched gemm: never split
    assert blas.inner_split(64, 100, 1000) == blas.split_count(64, 100, 1000, threads)


@pytest.mark.parametrize("name, dtype", [("sgemm", np.float32), ("dgemm", np.float64)])
def test_the_stand_in_batched_gemm_computes_each_product(name, dtype):
    """Where BLAS has no batched gemm, a loop of plain gemms takes its symbol."""
    count, m, n, k = 3, 4, 5, 6
    rng = np.random.default_rng(1)
    a = rng.standard_normal((count, k, m)).astype(dtype)   # transposed: op(a_i) = a_i.T
    b = rng.standard_normal((count, k, n)).astype(dtype)
    c = np.full((count, m, n), 2.0, dtype)
    loop = blas._batch_loop(name).ctypes
    loop(blas._ROW_MAJOR, blas._TRANS, blas._NO_TRANS, m, n, k, 0.5,
         a.ctypes.data, m, k * m, b.ctypes.data, n, k * n, 3.0, c.ctypes.data, n, m * n,
         count)
    for i in range(count):
        assert_close(c[i], 0.5 * a[i].T @ b[i] + 6.0, dtype)


@pytest.mark.parametrize("m, k, n", [(3, 0, 4), (0, 5, 4), (3, 5, 0)])
def test_gemm_of_empty_operands(m, k, n):
    """An empty inner dimension gives zeros even where C held NaN (beta = 0 overwrites),
    and keeps C where beta = 1."""
    a, b = np.ones((m, k)), np.ones((k, n))
    c = np.full((m, n), np.nan)
    blas.gemm(a, b, c, False, False, 1.0, 0.0)
    np.testing.assert_array_equal(c, np.zeros((m, n)))
    c = np.full((m, n), 2.0)
    blas.gemm(a, b, c, False, False, 1.0, 1.0)
    np.testing.assert_array_equal(c, np.full((m, n), 2.0))


def _parts_recorded(space: np.ndarray, item: int, m: int, n: int) -> int:
    """How many (m, n) arrays the only slot was asked to hold (memory.py's header records
    the size a slot needed when it was too small)."""
    return int(_header(space, 1)[2 + 2 * 1] // (m * n * item))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_kernels_split_where_blas_threads_badly(dtype):
    m, n, k = 64, 100, 1000
    rng = np.random.default_rng(2)
    a, b, _, _ = operands(rng, m, n, k, False, False, dtype)
    product = a.astype(np.float64) @ b
    slot = np.int64(0)
    cases = {
        "matmul": (lambda s: K.matmul(a, b, False, False, s, slot), product),
    }
    for name, (kernel, expected) in cases.items():
        space = new_workspace(1)  # empty: the first run records what slot 0 needs
        assert_close(kernel(space), expected, dtype)
        assert _parts_recorded(space, np.dtype(dtype).itemsize, m, n) == \
            blas.inner_split(m, n, k), name


def test_a_split_matmul_propagates_nan_through_the_relu():
    m, n, k = 64, 100, 1000
    a, b, _, _ = operands(np.random.default_rng(3), m, n, k, False, False, np.float64)
    a[5, 999] = np.nan  # in the last slice: only the last part sees it
    x = gc.placeholder(gc.float64, (m, k))
    with gc.Session(backend="numba") as sess:  # a matmul with a ReLU epilogue
        out = sess.run(gc.relu(x @ gc.constant(b)), {x: a})
        assert runs_natively(sess)
    assert np.isnan(out[5]).all() and not np.isnan(np.delete(out, 5, axis=0)).any()



def test_without_a_batched_gemm_nothing_splits_and_the_stand_in_is_linked():
    """As where numpy's BLAS is not OpenBLAS 0.3.31 or later: the symbols go to the
    stand-ins (in a fresh process, before any kernel is linked)."""
    script = """
import subprocess
import sys

import numpy as np
from graphc.runtime.cpu import blas
assert not blas._register_batch(None)
assert blas.inner_split(64, 100, 1000) == 1
rng = np.random.default_rng(0)
a, b = rng.standard_normal((64, 1000)), rng.standard_normal((1000, 100))
parts = np.empty((2, 64, 100))
blas.gemm_parts(a, b, parts.reshape(128, 100), 2, False, False)  # batched, by the loop
assert np.allclose(parts[0], a[:, :500] @ b[:500]) and np.allclose(parts[1], a[:, 500:] @ b[500:])
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_cached_kernels_built_on_another_blas_are_deleted(tmp_path):
    """numba checks a cached kernel against kernels.py only; its machine code also holds
    blas.py's functions, so a changed blas.py must clear kernels.py's cache entries."""
    blas_file = tmp_path / "blas.py"
    blas_file.write_text("# one version\n")
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    kernel_files = [cache / "kernels.matmul-108.py311.nbi",
                    cache / "kernels.matmul-108.py311.1.nbc"]
    other = cache / "blas.gemm-120.py311.nbi"  # blas.py's own entries: numba checks those
    for f in [*kernel_files, other]:
        f.write_bytes(b"machine code")
    K.forget_kernels_built_on_another_blas(cache, blas_file)  # no digest yet: built on ?
    assert [f.exists() for f in kernel_files] == [False, False] and other.exists()
    kernel_files[0].write_bytes(b"built on this blas.py")
    K.forget_kernels_built_on_another_blas(cache, blas_file)
    assert kernel_files[0].exists()  # the same blas.py: kept
    blas_file.write_text("# another version\n")
    K.forget_kernels_built_on_another_blas(cache, blas_file)
    assert not kernel_files[0].exists() and other.exists()
